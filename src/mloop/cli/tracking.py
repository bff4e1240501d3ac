"""`mloop runs search | compare | metrics`, and the tracked values in `mloop runs show`."""

from __future__ import annotations

import math
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

import mloop
from mloop.cli import render
from mloop.cli.errors import handle_errors
from mloop.cli.render import Column

console = render.out_console()
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables (for scripts).")]


@handle_errors
def search(
    filter: Annotated[str, typer.Argument(help="e.g. \"metrics.val_auc > 0.8 and params.model = 'xgb'\"")] = "",
    order_by: Annotated[str | None, typer.Option("--order-by", help="A field, e.g. metrics.val_auc.")] = None,
    desc: Annotated[bool, typer.Option("--desc", help="Order from the highest value.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many runs.")] = 50,
    column: Annotated[list[str], typer.Option("--column", "-c", metavar="COLUMN", help="Show this column (repeatable); "
                                              "default: every metric, and params and tags that differ.")] = [],  # noqa: B006
    as_json: JSON = False,
) -> None:
    """Runs matching a filter, with their params, latest metrics and tags."""
    frame = mloop.search_runs(filter, order_by=order_by, descending=desc, limit=limit)
    if as_json:  # every column: a script picks what it needs
        render.print_json(frame.to_dict("records"))
        return
    if frame.empty:
        console.print("no run matches" if filter else "no runs yet")
        return
    shown = column or _interesting(frame, f"{filter} {order_by or ''}")
    # metrics are what a search is for: on a narrow terminal the start time, then tags and params go first
    columns = [Column("run"), Column("pipeline"), Column("status"), Column("started", drop=100)]
    # in a terminal a header breaks after its kind ("metrics." over "val_auc"), so columns stay narrow
    header = (lambda name: name) if console.piped else (lambda name: name.replace(".", ".\n", 1))
    columns += [Column(header(name), justify="right", drop=10) if name.startswith("metrics.") else
                Column(header(name), fixed=False, drop=50, min_width=min(12, len(name))) for name in shown]
    rows = []
    for row in frame.itertuples(index=False):
        record = dict(zip(frame.columns, row, strict=True))
        rows.append([render.run_id(console, record["run_id"]), escape(record["pipeline"]), render.status(record["status"]),
                     render.when(_timestamp(record["start_time"])), *[_cell(record.get(c)) for c in shown]])
    table, left_out = render.fit_table(console, columns, rows)
    console.print(table)
    if left_out:
        console.print(render.hidden_note([name.replace("\n", "") for name in left_out]))
    hidden = sum(1 for c in frame.columns if c.partition(".")[0] in ("params", "tags") and c not in shown)
    console.print(f"{len(frame)} run(s)" + (f"; {hidden} column(s) with the same value in every run hidden "
                                             "(show one with --column NAME)" if hidden and not column else ""))


def _interesting(frame: Any, mentioned: str) -> list[str]:
    """Every metric, the params and tags the filter names, and those that differ between runs."""
    names = []
    for name in frame.columns:
        kind = name.partition(".")[0]
        if kind == "metrics" or (kind in ("params", "tags") and (
                name in mentioned or frame[name].astype(str).nunique(dropna=False) > 1)):
            names.append(name)
    return names


@handle_errors
def compare(runs: Annotated[list[str], typer.Argument(help="Run ids to put side by side (unique prefixes are enough).")],
            as_json: JSON = False) -> None:
    """Params, metrics and tags of runs side by side; rows that differ are highlighted."""
    frame = mloop.compare_runs(runs)
    if as_json:  # run id -> field -> value
        render.print_json({run_id: dict(frame[run_id].items()) for run_id in frame.columns})
        return
    table = Table()
    table.add_column("field", no_wrap=True, overflow="fold")
    for run_id in frame.columns:
        table.add_column(run_id[:render.ID_PREFIX], justify="right", overflow="fold")
    for field, row in frame.iterrows():
        cells = [_cell(value) for value in row]
        differs = len({_cell(value) for value in row}) > 1
        if field in ("start_time", "end_time"):
            cells = [render.when(_timestamp(value)) for value in row]
            differs = False
        style = "bold yellow" if differs else "dim"
        table.add_row(f"[{style}]{escape(str(field))}[/]", *[f"[{style}]{cell}[/]" for cell in cells])
    console.print(table)


@handle_errors
def metrics(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    key: Annotated[str | None, typer.Argument(help="A metric: show every point it logged.")] = None,
    as_json: JSON = False,
) -> None:
    """A run's latest metrics, or the history (step, value, time) of one metric."""
    if key is None:
        data = mloop.get_run_data(run_id)
        if as_json:  # metric -> latest value
            render.print_json(data.metrics)
            return
        print_values("metrics (latest)", data.metrics)
        return
    history = mloop.get_metric_history(run_id, key)
    if as_json:
        render.print_json([{"step": row.step, "value": row.value, "timestamp": row.timestamp,
                            "step_run_id": row.step_run_id} for row in history.itertuples(index=False)])
        return
    table = Table(title=f"{escape(key)} of run {run_id}", title_justify="left")
    for column in ("step", "value", "time", "step run"):
        table.add_column(column, justify="right" if column in ("step", "value") else "left")
    for row in history.itertuples(index=False):
        table.add_row(str(row.step), _cell(row.value), render.when(_timestamp(row.timestamp)),
                      render.short(row.step_run_id))
    console.print(table)


def print_tracked(data: Any, skip_params: dict[str, Any]) -> None:
    """The tracked values of a run (a RunData), for `mloop runs show`; params equal to the run's own
    (`skip_params`, already shown) are left out."""
    print_values("params", {k: v for k, v in data.params.items() if k not in skip_params or _differs(skip_params[k], v)})
    print_values("metrics (latest)", data.metrics)
    print_values("tags", data.tags)
    if data.artifacts:
        print_values("logged artifacts", {name: f"{a.id[:12]} {a.type_name}" for name, a in data.artifacts.items()})


def print_values(title: str, values: dict[str, Any]) -> None:
    if not values:
        return
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("key")
    table.add_column("value", justify="right" if title.startswith("metrics") else "left")
    for key in sorted(values):
        table.add_row(escape(key), _cell(values[key]))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the tracking commands to `mloop runs`."""
    app.command("search")(search)
    app.command("compare")(compare)
    app.command("metrics")(metrics)


def _differs(recorded: Any, tracked: Any) -> bool:
    """A tracked param is stored as text; it repeats the run's parameter when their texts match."""
    return str(tracked) not in (str(recorded), _json_text(recorded))


def _json_text(value: Any) -> str:
    import json

    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return str(value)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return escape(str(value))


def _timestamp(value: Any) -> Any:
    """A pandas Timestamp (or NaT) as a datetime (or None)."""
    if value is None or value != value:
        return None
    return value.to_pydatetime(warn=False) if hasattr(value, "to_pydatetime") else value
