"""`mloop predictions`: the prediction log, ground-truth labels, and explaining one prediction."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

import mloop
from mloop.cli import render
from mloop.cli.errors import handle_errors
from mloop.cli.render import Column

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="Logged predictions: list them, log ground truth, explain one.")
console = render.out_console()
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables (for scripts).")]
#: output columns a table shows after the fixed ones (inputs are in --json and `explain`)
_OUTPUTS = ("prediction", "label")


@app.command("list")
@handle_errors
def list_(
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model's predictions.")] = None,
    version: Annotated[int | None, typer.Option(help="Only this version's.")] = None,
    deployment: Annotated[str | None, typer.Option(help="Only this deployment's.")] = None,
    since: Annotated[str | None, typer.Option(help="From this time (ISO 8601; UTC unless it has a zone).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this time (ISO 8601).")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many, newest first.")] = 50,
    labels: Annotated[bool, typer.Option("--labels", help="Add the ground truth logged for each.")] = False,
    as_json: JSON = False,
) -> None:
    """Logged predictions, newest first (inputs and every output with --json)."""
    frame = mloop.predictions(model, version=version, deployment=deployment, since=since, until=until,
                              with_labels=labels, limit=limit)
    if as_json:
        render.print_json(frame.to_dict(orient="records"))
        return
    if frame.empty:
        console.print("no predictions logged" + (f" for {model}" if model else "") + "; a server logs them as it "
                      "answers (mloop serve MODEL@ALIAS)")
        return
    outputs = [c for c in frame.columns if c in _OUTPUTS or c.startswith("probability_")]
    columns = [Column("request id"), Column("time"), Column("model"), Column("role", drop=3),
               Column("deployment", drop=4), *(Column(c, justify="right", drop=2) for c in outputs),
               Column("latency", justify="right", drop=1)]
    rows = []
    for record in frame.to_dict(orient="records"):
        rows.append([render.escape(str(record["request_id"])), render.when(record["time"].to_pydatetime()),
                     f"{render.escape(record['model'])}/{record['version']}", record["role"],
                     _cell(record["deployment"]), *(_cell(record[c]) for c in outputs),
                     _milliseconds(record["latency_ms"])])
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))
    console.print(f"{len(frame)} prediction(s); explain one with: mloop predictions explain REQUEST_ID")


def _milliseconds(value: Any) -> str:
    text = _cell(value)
    return f"{float(value):.2f} ms" if text else ""


def _cell(value: Any) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return render.escape(str(value))


@app.command()
@handle_errors
def explain(
    request_id: Annotated[str, typer.Argument(help="The request id of a logged prediction.")],
    as_json: JSON = False,
) -> None:
    """Which model version answered a request, trained by which run on which data and features."""
    explanation = mloop.explain_prediction(request_id)
    if as_json:
        render.print_json(explanation.to_dict())
    else:
        console.print(render.escape(str(explanation)), soft_wrap=True)


@app.command()
@handle_errors
def labels(
    file: Annotated[Path, typer.Argument(help="Parquet or CSV file of ground truth.")],
    id_column: Annotated[str, typer.Option("--id-column", help="The request id column.")] = "request_id",
    label_column: Annotated[str, typer.Option("--label-column", help="The label column.")] = "label",
    entity_column: Annotated[list[str], typer.Option(
        "--entity-column", metavar="COLUMN", help="Join by this entity key and --time-column instead of request id (repeatable).")
    ] = [],  # noqa: B006
    time_column: Annotated[str, typer.Option("--time-column", help="When the label became true (with "
                                                                    "--entity-column).")] = "event_time",
    model: Annotated[str | None, typer.Option("--model", "-m", help="Label only this model's predictions "
                                                                    "(with --entity-column).")] = None,
    as_json: JSON = False,
) -> None:
    """Log ground-truth labels, joined to predictions by request id or by entity + time."""
    if not file.is_file():
        raise mloop.NotFoundError(f"no such labels file: {file}; give a Parquet or CSV file")
    result = mloop.log_labels(str(file), id_column=id_column, label_column=label_column,
                              entity_columns=entity_column or None, time_column=time_column, model=model)
    if as_json:
        render.print_json({"labels": result.labels, "matched": result.matched, "unmatched": result.unmatched,
                           "predictions": result.predictions})
    else:
        console.print(str(result))
