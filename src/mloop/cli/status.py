"""`mloop status`: what runs now, what is due next, open alerts, the loop's last decisions."""

from __future__ import annotations

from typing import Annotated, Any

import typer

import mloop
from mloop.cli import render
from mloop.cli.errors import handle_errors
from mloop.cli.render import Column

console = render.out_console()


@handle_errors
def status_command(
    decisions: Annotated[int, typer.Option(help="How many of the loop's last decisions to show.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document (for scripts).")] = False,
) -> None:
    """Servers, pipeline runs and schedulers running now; schedules and their next runs; open
    alerts; the last promotions, rollbacks and refusals."""
    found = mloop.status(decisions=decisions)
    if as_json:
        render.print_json(found.to_dict())
        return
    _section("running", [
        *([f"server {d.id}: {render.escape(d.version)} following {render.escape(d.follows)} at "
           f"{render.escape(d.url)} ({d.mode}, since {render.when(d.started_at)})" for d in found.deployments]),
        *([f"run {r.id}: {render.escape(r.pipeline)} (since {render.when(r.started_at or r.created_at)})"
           for r in found.runs]),
        *([f"scheduler {render.escape(s.id)} (since {render.when(s.started_at)})" for s in found.schedulers]),
    ], "nothing: start a server with mloop serve MODEL@ALIAS, the scheduler with mloop scheduler")
    if found.schedules and not found.schedulers:
        console.print("[yellow]no scheduler is running: schedules and monitors wait for: mloop scheduler[/]")
    _table("schedules", [Column("name"), Column("job", drop=2), Column("cadence"), Column("next run"), Column("last", drop=1)],
           [[render.escape(s.name), f"{s.job_kind} {render.escape(s.target)}", render.escape(s.cron),
             "paused" if s.paused else render.when(s.next_due_at), _last(s)] for s in found.schedules],
           "none: mloop schedule add, or a monitor with a schedule")
    _table("open alerts", [Column("id"), Column("source"), Column("severity", drop=2), Column("since"),
                           Column("failures", drop=1),
                           Column("summary", fixed=False, min_width=20)],
           [[render.run_id(console, a.id), render.escape(a.source), a.severity, render.when(a.opened_at), str(a.failures),
             render.escape(a.summary)] for a in found.alerts], "none")
    _table("last decisions", [Column("time"), Column("model"), Column("action"), Column("version"), Column("by", drop=1),
                              Column("reason", fixed=False, min_width=20)],
           [[render.when(d.time), render.escape(d.model), d.action, _versions(d), render.escape(d.by),
             render.escape(d.reason)] for d in found.decisions], "none yet")


def _section(title: str, lines: list[str], empty: str) -> None:
    console.print(f"[bold]{title}[/]")
    for line in lines or [empty]:
        console.print(f"  {line}", soft_wrap=True)


def _table(title: str, columns: list[Column], rows: list[list[str]], empty: str) -> None:
    console.print(f"[bold]{title}[/]")
    if not rows:
        console.print(f"  {empty}")
        return
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))


def _last(schedule: Any) -> str:
    fire = schedule.last_fire
    if fire is None:
        return "-"
    return f"{fire.result or fire.outcome} {render.when(fire.due_at)}"


def _versions(decision: Any) -> str:
    if decision.from_version is not None and decision.version is not None:
        return f"{decision.from_version} → {decision.version}"
    return "-" if decision.version is None else str(decision.version)
