"""`mloop features`: apply definitions, list them, build a training set, materialize, read online,
and check freshness."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

import mloop
from mloop.cli import render
from mloop.cli.errors import err_console, handle_errors
from mloop.cli.render import Column

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="Feature store: definitions, training sets, materialization, online reads.")
console = render.out_console()
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables (for scripts).")]
VIEWS = Annotated[list[str] | None, typer.Option("--view", metavar="VIEW", help="Only this feature view (repeatable).")]


def _progress(total_hint: str) -> Any:
    if not err_console.is_terminal:
        return None
    status = err_console.status(total_hint, spinner="dots")
    status.start()
    return status


@app.command()
@handle_errors
def apply(file: Annotated[Path, typer.Argument(help="The Python file defining entities, views and services.")],
          force: Annotated[bool, typer.Option("--force", help="Apply breaking changes too.")] = False,
          dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
          as_json: JSON = False) -> None:
    """Register definitions: a changed one becomes a new version, with its diff."""
    status = _progress(f"applying {file}")

    def progress(done: int, total: int, name: str) -> None:
        if status is not None:
            status.update(f"applying {file}: {done}/{total} {name}")

    try:
        report = mloop.apply_features(file, force=force, dry_run=dry_run, on_progress=progress)
    finally:
        if status is not None:
            status.stop()
    if as_json:
        render.print_json(report.to_dict())
        return
    for change in report.changes:
        version = f"v{change.version}" if change.version else "(new)"
        before = f" (was v{change.previous_version})" if change.status == "changed" else ""
        colour = {"new": "green", "changed": "yellow", "unchanged": "dim"}[change.status]
        console.print(f"[{colour}]{change.status:<9}[/] {change.kind:<9} {render.escape(change.name)} "
                      f"{version}{before}", soft_wrap=True)
        for line in change.diff:
            console.print(f"    {render.escape(line)}", soft_wrap=True)
        for reason in change.breaking:
            console.print(f"    [red]breaking:[/] {render.escape(reason)}", soft_wrap=True)
    console.print(report.summary())


@app.command("list")
@handle_errors
def list_definitions(kind: Annotated[str | None, typer.Option(help="entity, view, on_demand or service.")] = None,
                     as_json: JSON = False) -> None:
    """Registered definitions, latest version of each."""
    found = mloop.list_feature_definitions(kind)
    if as_json:
        render.print_json([record.__dict__ for record in found])
        return
    if not found:
        console.print("no feature definitions yet; register them with: mloop features apply defs.py")
        return
    columns = [Column("kind"), Column("name"), Column("version"), Column("created"),
               Column("details", fixed=False, drop=1, min_width=16)]
    rows = [[r.kind, render.escape(r.name), str(r.version), render.when(r.created_at), render.escape(_details(r))]
            for r in found]
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))


def _details(record: Any) -> str:
    spec = record.spec
    if record.kind == "view":
        ttl = f", ttl {spec['ttl_seconds']:g} s" if spec.get("ttl_seconds") else ""
        return f"{', '.join(f['name'] for f in spec['schema'])}{ttl}"
    if record.kind == "entity":
        return "keys: " + ", ".join(spec["join_keys"])
    if record.kind == "service":
        return ", ".join(spec["features"])
    return "from " + ", ".join(spec["inputs"])


@app.command()
@handle_errors
def show(name: Annotated[str, typer.Argument(help="A definition's name.")], as_json: JSON = False) -> None:
    """Every version of a definition, with what changed between them."""
    from mloop.features.apply import spec_diff

    history = mloop.list_feature_definitions(name=name)
    if as_json:
        render.print_json([record.__dict__ for record in history])
        return
    previous = None
    for record in history:
        console.print(f"[bold]{record.kind} {render.escape(record.name)} v{record.version}[/] "
                      f"({render.when(record.created_at)}, {render.escape(record.created_by)})", soft_wrap=True)
        lines = spec_diff(previous.spec, record.spec) if previous is not None and previous.kind == record.kind else [
            json.dumps(record.spec, default=str)]
        for line in lines:
            console.print(f"    {render.escape(line)}", soft_wrap=True)
        previous = record


@app.command("training-set")
@handle_errors
def training_set(entities: Annotated[Path, typer.Argument(help="Entity rows with labels (Parquet or CSV).")],
                 features: Annotated[str, typer.Option("--features", "-f",
                                                       help="A service name, or view:feature,view2 (comma-separated).")],
                 output: Annotated[Path, typer.Option("-o", "--output", help="Write the training set here (Parquet).")],
                 as_of: Annotated[str | None, typer.Option(help="Build it as it could have been built then (ISO time).")] = None,
                 timestamp_column: Annotated[str, typer.Option(help="The entity rows' time column.")] = "event_timestamp",
                 as_json: JSON = False) -> None:
    """Join entity rows to features as known at each row's time; store and write the result."""
    import pandas as pd

    if not entities.exists():
        raise mloop.ValidationError(f"{entities} does not exist; give the entity rows as a Parquet or CSV file")
    rows = pd.read_csv(entities) if entities.suffix.lower() == ".csv" else pd.read_parquet(entities)
    refs: Any = [f.strip() for f in features.split(",")] if ("," in features or ":" in features) else features
    frame = mloop.get_training_frame(rows, refs, as_of=as_of, timestamp_column=timestamp_column)
    frame.to_parquet(output, index=False)
    stored = frame.attrs["mloop_training_set"]
    if as_json:
        render.print_json({"output": str(output), "rows": len(frame), **stored})
        return
    console.print(f"wrote {output}: {len(frame):,} rows, {len(frame.columns)} columns; stored as artifact "
                  f"{stored['artifact_id'][:16]} with its manifest", soft_wrap=True)


@app.command()
@handle_errors
def materialize(start: Annotated[str, typer.Option(help="From this time (ISO 8601), exclusive.")],
                end: Annotated[str, typer.Option(help="Up to this time (ISO 8601), inclusive.")],
                view: VIEWS = None, as_json: JSON = False) -> None:
    """Write the latest values as known at END of the entities that changed in (START, END]."""
    _print_materialized(mloop.materialize_features(start, end, views=view, on_progress=_row_progress()), as_json)


@app.command("materialize-incremental")
@handle_errors
def materialize_incremental(end: Annotated[str | None, typer.Option(help="Up to this time (default: now).")] = None,
                            view: VIEWS = None, as_json: JSON = False) -> None:
    """Materialize each view from where its last materialization into this online store ended."""
    _print_materialized(mloop.materialize_features_incremental(end, views=view, on_progress=_row_progress()), as_json)


def _row_progress() -> Any:
    if not err_console.is_terminal:
        return None
    return lambda view, rows: err_console.print(f"materialized {view}: {rows:,} rows")


def _print_materialized(done: list[Any], as_json: bool) -> None:
    if as_json:
        render.print_json([item.to_dict() for item in done])
        return
    columns = [Column("view"), Column("version"), Column("from"), Column("to"), Column("rows"), Column("newest event")]
    rows = [[render.escape(d.view), str(d.version or ""), render.when(d.start) if d.start else "beginning",
             render.when(d.end), f"{d.rows:,}", render.when(d.newest_event_time) if d.newest_event_time else ""]
            for d in done]
    table, _ = render.fit_table(console, columns, rows)
    console.print(table)


@app.command()
@handle_errors
def get(entity: Annotated[list[str], typer.Option("--entity", "-e", metavar="KEY=VALUE",
                                                  help="A join key (and request field) value, e.g. customer_id=7.")],
        features: Annotated[str, typer.Option("--features", "-f", help="A service name or view:feature,... .")],
        now: Annotated[str | None, typer.Option(help="Judge the TTL at this time (ISO 8601; default now).")] = None,
        as_json: JSON = False) -> None:
    """Read one entity's features from the online store, with each value's age and status."""
    row: dict[str, Any] = {}
    for item in entity:
        key, sep, value = item.partition("=")
        if not sep:
            raise mloop.ValidationError(f"{item!r} is not KEY=VALUE; write e.g. --entity customer_id=7")
        row[key] = _number(value)
    refs: Any = [f.strip() for f in features.split(",")] if ("," in features or ":" in features) else features
    found = mloop.get_online_features([row], refs, now=now)
    if as_json:
        render.print_json(found.to_dict())
        return
    columns = [Column("feature"), Column("value"), Column("status"), Column("event time")]
    rows = [[render.escape(name), render.escape(str(values[0])), found.statuses[name][0],
             render.when(found.event_times.get(name, [None])[0]) if found.event_times.get(name, [None])[0] else ""]
            for name, values in found.values.items()]
    table, _ = render.fit_table(console, columns, rows)
    console.print(table)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if abs(seconds) >= 2 * size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


@app.command()
@handle_errors
def freshness(view: VIEWS = None, as_json: JSON = False,
              fail_on_stale: Annotated[bool, typer.Option("--fail-on-stale",
                                                          help="Exit code 1 when a view is older than its TTL.")] = False,
              ) -> None:
    """Per view: the newest value online, its age, the last materialization."""
    found = mloop.feature_freshness(view)
    if as_json:
        render.print_json(found)
    else:
        columns = [Column("view"), Column("rows"), Column("newest event"), Column("age"), Column("ttl"),
                   Column("stale"), Column("materialized until", drop=1)]
        rows = [[render.escape(f["view"]), f"{f['rows']:,}", f["newest_event_time"] or "never",
                 _age(f["age_seconds"]), _age(f["ttl_seconds"]),
                 "[red]yes[/]" if f["stale"] else "no", f["materialized_until"] or ""] for f in found]
        table, _ = render.fit_table(console, columns, rows)
        console.print(table)
    if fail_on_stale and any(f["stale"] for f in found):
        raise typer.Exit(1)
