"""`mloop deployments`: what is served where, following which alias, and what happened to it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

import mloop
from mloop.cli import render
from mloop.cli.errors import handle_errors
from mloop.cli.render import Column

app = typer.Typer(rich_markup_mode=None, invoke_without_command=True,
                  help="Deployments: served models, their traffic split, swaps and stops.")
console = render.out_console()
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables (for scripts).")]
MODEL = Annotated[str | None, typer.Option("--model", help="Only this model's deployments.")]
RUNNING = Annotated[bool, typer.Option("--running", help="Only deployments running now.")]


@app.callback()
def _default(context: typer.Context, model: MODEL = None, running: RUNNING = False, as_json: JSON = False) -> None:
    """`mloop deployments` alone lists them."""
    if context.invoked_subcommand is None:
        list_command(model=model, running=running, as_json=as_json)


@app.command("list")
@handle_errors
def list_command(model: MODEL = None, running: RUNNING = False,
                 limit: Annotated[int, typer.Option(help="At most this many.")] = 100, as_json: JSON = False) -> None:
    """Deployments, newest first (a running one whose process died shows as lost)."""
    found = mloop.list_deployments(model, running_only=running, limit=limit)
    if as_json:
        render.print_json([asdict(d) for d in found])
        return
    if not found:
        console.print("no deployments yet; start one with: mloop serve MODEL@ALIAS")
        return
    columns = [Column("id"), Column("model"), Column("follows"), Column("version"), Column("mode"), Column("status"),
               Column("url"), Column("started"), Column("traffic", fixed=False, drop=1, min_width=12)]
    rows = [[d.id, render.escape(d.model), render.escape(d.follows), render.escape(d.version), d.mode,
             render.status(d.status), render.escape(d.url), render.when(d.started_at), _traffic(d.traffic)]
            for d in found]
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))


@app.command()
@handle_errors
def show(deployment: Annotated[str, typer.Argument(help="A deployment id (or a unique prefix).")],
         as_json: JSON = False) -> None:
    """One deployment and its events: start, swaps, refused candidates, stop."""
    record, events = mloop.get_deployment(deployment)
    if as_json:
        render.print_json({**asdict(record), "events": [asdict(e) for e in events]})
        return
    console.print(f"deployment {record.id}: {render.escape(record.model)} following {render.escape(record.follows)}, "
                  f"now {render.escape(record.version)} ({record.mode}, {render.status(record.status)}) at "
                  f"{render.escape(record.url)} on {render.escape(record.host)} (pid {record.pid})", soft_wrap=True)
    if record.traffic:
        console.print(f"traffic: {_traffic(record.traffic)}")
    columns = [Column("time"), Column("event"), Column("role"), Column("from"), Column("to"),
               Column("detail", fixed=False, min_width=12)]
    rows = [[render.when(e.time), e.kind, e.role, render.escape(e.from_version or ""), render.escape(e.to_version or ""),
             render.escape(e.detail)] for e in events]
    table, _ = render.fit_table(console, columns, rows)
    console.print(table)


def _traffic(traffic: dict[str, dict[str, object]]) -> str:
    return ", ".join(f"{role} {spec['ref']} {spec['percent']:g}%" for role, spec in traffic.items()) or "-"
