"""`mloop monitor`: declare monitors from a file, list them with their last verdict, run them, and
read their results.

`mloop monitor run` exits 0 when monitors ran, whatever they found (a failing monitor is a
finding, shown as FAILED in red and raised as an alert, not a command error); `--check` makes it
exit 1 when any monitor failed, for CI jobs."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer

import mloop
from mloop.cli import render
from mloop.cli.errors import handle_errors
from mloop.cli.render import Column

app = typer.Typer(rich_markup_mode=None, no_args_is_help=True,
                  help="Monitors: scheduled checks of logged predictions and data sources.")
console = render.out_console()
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables (for scripts).")]
_STYLE = {"passed": "[green]passed[/]", "failed": "[red]FAILED[/]", "no_data": "[dim]no data[/]"}


@app.command()
@handle_errors
def apply(file: Annotated[Path, typer.Argument(help="A .yaml file (monitors: [...]) or a .py file of mloop.Monitor.")],
          as_json: JSON = False) -> None:
    """Create or update the monitors a file declares (by name)."""
    applied = mloop.apply_monitors(file)
    if as_json:
        render.print_json(asdict(applied))
        return
    for change in ("created", "updated", "unchanged"):
        names = getattr(applied, change)
        if names:
            console.print(f"{change}: {render.escape(', '.join(names))}", soft_wrap=True)


@app.command("list")
@handle_errors
def list_command(as_json: JSON = False) -> None:
    """Monitors with their target, window, schedule and last verdict."""
    monitors = mloop.list_monitors()
    active = {m.name for m in mloop.list_monitors(active_only=True)}
    latest = {m.name: next(iter(mloop.monitor_results(m.name, limit=1)), None) for m in monitors}
    if as_json:
        render.print_json([{**_definition(m), "paused": m.name not in active,
                            "last_result": asdict(r) if (r := latest[m.name]) else None} for m in monitors])
        return
    if not monitors:
        console.print("no monitors yet; declare them in a file and run: mloop monitor apply FILE")
        return
    columns = [Column("name"), Column("kind"), Column("target", fixed=False, drop=1), Column("window", drop=2),
               Column("schedule"), Column("last"), Column("value", justify="right"), Column("last run", drop=3)]
    rows = []
    for m in monitors:
        last = latest[m.name]
        rows.append([render.escape(m.name), m.kind, render.escape(_target(m)), m.window,
                     render.escape(m.schedule or "-") + ("" if m.name in active else " (paused)"), _STYLE.get(last.status, last.status) if last else "-",
                     _value(last.value) if last else "", render.when(last.time) if last else "never"])
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))


@app.command()
@handle_errors
def run(name: Annotated[str | None, typer.Argument(help="The monitor to run.")] = None,
        run_all: Annotated[bool, typer.Option("--all", help="Run every monitor that is not paused.")] = False,
        at: Annotated[str | None, typer.Option(help="Judge the window ending at this time (ISO 8601; default "
                                                     "now).")] = None,
        check: Annotated[bool, typer.Option("--check", help="Exit 1 when a monitor failed.")] = False,
        as_json: JSON = False) -> None:
    """Run a monitor (or --all) now: store its result, raise or resolve its alert."""
    if (name is None) == (not run_all):
        raise mloop.ValidationError("give a monitor name or --all (not both); list them with: mloop monitor list")
    moment = _time(at, "--at")
    results = mloop.run_monitors(at=moment) if run_all else [mloop.run_monitor(name or "", at=moment)]
    if as_json:
        render.print_json([asdict(r) for r in results])
    else:
        if not results:
            console.print("no monitors to run; declare them with: mloop monitor apply FILE")
        for r in results:
            console.print(f"{render.escape(r.monitor)}: {_STYLE.get(r.status, r.status)}  "
                          f"{render.escape(r.summary)}", soft_wrap=True)
    if check and any(r.status == "failed" for r in results):
        raise typer.Exit(1)


@app.command()
@handle_errors
def results(name: Annotated[str, typer.Argument(help="The monitor.")],
            since: Annotated[str | None, typer.Option(help="Only results from this time (ISO 8601).")] = None,
            limit: Annotated[int, typer.Option(help="At most this many.")] = 50, as_json: JSON = False) -> None:
    """A monitor's results, newest first."""
    found = mloop.monitor_results(name, since=_time(since, "--since"), limit=limit)
    if as_json:
        render.print_json([asdict(r) for r in found])
        return
    if not found:
        console.print(f"monitor {render.escape(name)} has not run yet; run it with: mloop monitor run {name}")
        return
    columns = [Column("time"), Column("status"), Column("value", justify="right"), Column("rows", justify="right"),
               Column("summary", fixed=False, min_width=20)]
    rows = [[render.when(r.time), _STYLE.get(r.status, r.status), _value(r.value), str(r.rows),
             render.escape(r.summary)] for r in found]
    table, _ = render.fit_table(console, columns, rows)
    console.print(table)


@app.command()
@handle_errors
def delete(name: Annotated[str, typer.Argument(help="The monitor.")]) -> None:
    """Delete a monitor and its results (its alerts stay on record)."""
    mloop.delete_monitor(name)
    console.print(f"deleted monitor {render.escape(name)}")


@app.command()
@handle_errors
def pause(name: Annotated[str, typer.Argument(help="The monitor.")]) -> None:
    """Stop scheduling a monitor (`mloop monitor run NAME` still runs it)."""
    mloop.pause_monitor(name)
    console.print(f"paused monitor {render.escape(name)}")


@app.command()
@handle_errors
def resume(name: Annotated[str, typer.Argument(help="The monitor.")]) -> None:
    """Schedule a paused monitor again."""
    mloop.resume_monitor(name)
    console.print(f"resumed monitor {render.escape(name)}")


def _definition(monitor: mloop.Monitor) -> dict[str, object]:
    values = asdict(monitor)
    values["columns"] = list(monitor.columns) if monitor.columns is not None else None
    return values


def _target(monitor: mloop.Monitor) -> str:
    if monitor.source:
        return monitor.source
    ref = monitor.model or ""
    if monitor.version is not None:
        ref += f"/{monitor.version}"
    return ref + (f" ({monitor.deployment})" if monitor.deployment else "")


def _value(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _time(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise mloop.ValidationError(f"{option} {text!r} is not a time; write ISO 8601, e.g. 2026-12-01T12:00:00+00:00"
                                    ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
