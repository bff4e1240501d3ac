"""`mloop predict MODEL_REF INPUT OUTPUT`: batch scoring with a live progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

import mloop
from mloop.cli import render
from mloop.cli.errors import err_console, handle_errors

console = render.out_console()


@handle_errors
def predict(
    model_ref: Annotated[str, typer.Argument(help="The model version: fraud@champion, fraud/3 or fraud@latest.")],
    input: Annotated[str, typer.Argument(help="A Parquet or CSV file, a folder of them, or a glob.")],
    output: Annotated[Path, typer.Argument(help="The Parquet file to write (replaced only when scoring succeeds).")],
    id_column: Annotated[str | None, typer.Option("--id-column", help="Keep this column (e.g. a row id) beside "
                                                                      "the scores.")] = None,
    keep: Annotated[list[str], typer.Option("--keep", metavar="COL", help="Also keep this input column "
                                                                          "(repeatable, or comma-separated).")] = [],  # noqa: B006
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="Rows scored at a time (memory grows with it).")
                          ] = 100_000,
    no_probabilities: Annotated[bool, typer.Option("--no-probabilities",
                                                   help="Only the prediction, no probability_<class> columns.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON document.")] = False,
) -> None:
    """Score a table with a registered model, in chunks, into one Parquet file (id column kept,
    prediction, class probabilities, model version)."""
    columns = [name.strip() for item in keep for name in item.split(",") if name.strip()]
    with ScoringProgress(f"scoring {input} with {model_ref}") as progress:
        result = mloop.score_batch(model_ref, input, output, id_column=id_column, keep_columns=columns,
                                   chunk_rows=chunk_rows, probabilities=not no_probabilities,
                                   progress=progress.update)
    if as_json:
        render.print_json(result.to_dict())
        return
    console.print(render.escape(result.summary()), soft_wrap=True)


class ScoringProgress:
    """A live bar on stderr (rows, rows/s, elapsed), redrawn 4 times a second by rich's thread and
    moved once per chunk: nothing per row. Only in a terminal; nothing when piped."""

    def __init__(self, description: str) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.fields[rows]} rows"), TextColumn("{task.fields[speed]}"),
                                 TimeElapsedColumn(), console=err_console, transient=True, refresh_per_second=4,
                                 disable=not err_console.is_terminal)
        self.description = description
        self.task: Any = None

    def __enter__(self) -> ScoringProgress:
        self.progress.__enter__()
        self.task = self.progress.add_task(render.escape(self.description), total=None, rows="0", speed="")
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def update(self, rows: int, total: int | None) -> None:
        elapsed = self.progress.tasks[0].elapsed or 0.0
        shown = f"{rows:,}" + (f"/{total:,}" if total is not None else "")
        speed = f"{rows / elapsed:,.0f} rows/s" if elapsed > 0 else ""
        self.progress.update(self.task, completed=rows, total=total, rows=shown, speed=speed)
