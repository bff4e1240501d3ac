"""`mloop alerts` and `mloop webhooks`: what monitors (and the training loop) raised, the messages
sent about it, and where they go."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

import mloop
from mloop.cli import render
from mloop.cli.errors import handle_errors
from mloop.cli.render import Column

app = typer.Typer(rich_markup_mode=None, invoke_without_command=True,
                  help="Alerts raised by monitors and the training loop, and their notifications.")
webhooks_app = typer.Typer(rich_markup_mode=None, no_args_is_help=True,
                           help="Webhooks told about alerts and registry events (Slack-compatible JSON).")
console = render.out_console()
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables (for scripts).")]
STATUS = Annotated[str | None, typer.Option("--status", help="open or resolved.")]
SOURCE = Annotated[str | None, typer.Option("--source", help="Only this monitor's (or source's) alerts.")]
_STYLE = {"open": "[red]open[/]", "resolved": "[green]resolved[/]", "pending": "[yellow]pending[/]",
          "delivered": "[green]delivered[/]", "failed": "[red]failed[/]"}


@app.callback()
def _default(context: typer.Context, status: STATUS = None, source: SOURCE = None, as_json: JSON = False) -> None:
    """`mloop alerts` alone lists them."""
    if context.invoked_subcommand is None:
        list_command(status=status, source=source, as_json=as_json)


@app.command("list")
@handle_errors
def list_command(status: STATUS = None, source: SOURCE = None,
                 limit: Annotated[int, typer.Option(help="At most this many.")] = 100, as_json: JSON = False) -> None:
    """Alerts, newest first."""
    found = mloop.list_alerts(status, source, limit=limit)
    if as_json:
        render.print_json([asdict(a) for a in found])
        return
    if not found:
        console.print("no alerts" + (f" ({status})" if status else ""))
        return
    columns = [Column("id"), Column("source"), Column("severity", drop=2), Column("status"), Column("opened"),
               Column("failures", justify="right", drop=1), Column("summary", fixed=False, min_width=20)]
    rows = [[render.run_id(console, a.id), render.escape(a.source), a.severity, _STYLE.get(a.status, a.status),
             render.when(a.opened_at),
             str(a.failures), render.escape(a.summary)] for a in found]
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))


@app.command()
@handle_errors
def show(alert: Annotated[str, typer.Argument(help="An alert id (or a unique prefix).")], as_json: JSON = False) -> None:
    """One alert, its details and the messages sent about it."""
    found = mloop.get_alert(alert)
    messages = mloop.list_deliveries(alert_id=found.id)
    if as_json:
        render.print_json({**asdict(found), "deliveries": [asdict(d) for d in messages]})
        return
    console.print(f"alert {found.id}: {render.escape(found.source)} ({found.severity}) "
                  f"{_STYLE.get(found.status, found.status)}", soft_wrap=True)
    console.print(f"summary:   {render.escape(found.summary)}", soft_wrap=True)
    console.print(f"opened:    {render.when(found.opened_at)}; last failure {render.when(found.last_failed_at)}; "
                  f"{found.failures} failure(s)")
    if found.resolved_at:
        console.print(f"resolved:  {render.when(found.resolved_at)}")
    if found.details:
        console.print(f"details:   {render.escape(json.dumps(found.details, default=str))}", soft_wrap=True)
    for d in messages:
        console.print(f"message:   {d.event} to {render.escape(d.url)}: {_STYLE.get(d.status, d.status)} "
                      f"({d.attempts} attempt(s)){'; ' + render.escape(d.last_error) if d.last_error else ''}",
                      soft_wrap=True)


@app.command()
@handle_errors
def deliveries(status: Annotated[str | None, typer.Option("--status", help="pending, delivered or failed.")] = None,
               limit: Annotated[int, typer.Option(help="At most this many.")] = 100, as_json: JSON = False) -> None:
    """Messages to webhooks, newest first, with their last error."""
    found = mloop.list_deliveries(status, limit=limit)
    if as_json:
        render.print_json([asdict(d) for d in found])
        return
    if not found:
        console.print("no messages to webhooks yet; add one with: mloop webhooks add URL")
        return
    columns = [Column("created"), Column("event"), Column("status"), Column("attempts", justify="right"),
               Column("url", fixed=False), Column("last error", fixed=False, min_width=16)]
    rows = [[render.when(d.created_at), d.event, _STYLE.get(d.status, d.status), str(d.attempts),
             render.escape(d.url), render.escape(d.last_error or "")] for d in found]
    table, _ = render.fit_table(console, columns, rows)
    console.print(table)


@webhooks_app.command("add")
@handle_errors
def add_webhook(url: Annotated[str, typer.Argument(help="Where to POST (http or https).")],
                events: Annotated[str, typer.Option(help="What it receives: alerts, registry, or both "
                                                         "(comma-separated).")] = "alerts,registry",
                format: Annotated[str, typer.Option("--format", help="json (text + an mloop object) or slack "
                                                                     "(text only).")] = "json",
                as_json: JSON = False) -> None:
    """Send alerts and/or registry events to a URL from now on."""
    hook = mloop.add_webhook(url, events=[e.strip() for e in events.split(",") if e.strip()], format=format)
    if as_json:
        render.print_json(asdict(hook))
        return
    console.print(f"added webhook {hook.id}: {render.escape(hook.url)} ({', '.join(hook.events)}, {hook.format})",
                  soft_wrap=True)


@webhooks_app.command("list")
@handle_errors
def list_webhooks(as_json: JSON = False) -> None:
    """Webhooks and what they receive."""
    found = mloop.list_webhooks()
    if as_json:
        render.print_json([asdict(w) for w in found])
        return
    if not found:
        console.print("no webhooks; add one with: mloop webhooks add URL")
        return
    columns = [Column("id"), Column("url", fixed=False), Column("events"), Column("format"), Column("added")]
    rows = [[w.id, render.escape(w.url), ",".join(w.events), w.format,
             "mloop.yaml" if w.id.startswith("yaml-") else render.when(w.created_at)] for w in found]
    table, _ = render.fit_table(console, columns, rows)
    console.print(table)


@webhooks_app.command("remove")
@handle_errors
def remove_webhook(webhook: Annotated[str, typer.Argument(help="A webhook id (or a unique prefix).")]) -> None:
    """Stop sending to a webhook."""
    mloop.remove_webhook(webhook)
    console.print(f"removed webhook {render.escape(webhook)}")
