"""`mloop tokens`, `mloop audit`, `mloop aliases`: the access of a team server, run by an admin where
the server's mloop.yaml is (they work on the local workspace, never through MLOOP_TRACKING_URI)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Annotated

import typer

import mloop
from mloop.cli import render
from mloop.cli.errors import handle_errors
from mloop.cli.render import Column
from mloop.core.clock import as_utc, utcnow
from mloop.core.errors import ValidationError

tokens_app = typer.Typer(rich_markup_mode=None, no_args_is_help=True,
                         help="API tokens of the team server (mloop server --auth): create, list, revoke.")
aliases_app = typer.Typer(rich_markup_mode=None, no_args_is_help=True,
                          help="Protected aliases: who may move champion and other aliases.")
console = render.out_console()
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables (for scripts).")]


def register(app: typer.Typer) -> None:
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(aliases_app, name="aliases")
    app.command("audit")(audit_command)


@tokens_app.command("create")
@handle_errors
def create_command(name: Annotated[str, typer.Argument(help="Who or what uses it, e.g. ci or ann.")],
                   role: Annotated[str, typer.Option(help="viewer, editor or admin.")] = "viewer") -> None:
    """Create a token and print its secret, once: it is stored only as a hash."""
    token_id, secret = mloop.create_token(name, role)
    console.print(f"created token {token_id} ({render.escape(name)}, {role}); its secret, shown only now:")
    console.print(secret, highlight=False, soft_wrap=True)
    console.print("use it with: export MLOOP_TOKEN=<the secret>  (or Authorization: Bearer <the secret>; "
                  "log in to the UI with it)", highlight=False, soft_wrap=True)


@tokens_app.command("list")
@handle_errors
def list_command(as_json: JSON = False) -> None:
    """Every token, oldest first (secrets are never shown again)."""
    tokens = mloop.list_tokens()
    if as_json:
        render.print_json([{**asdict(t), "active": t.active} for t in tokens])
        return
    if not tokens:
        console.print("no tokens; create one with: mloop tokens create NAME --role viewer")
        return
    columns = [Column("id"), Column("name"), Column("role"), Column("status"), Column("created"),
               Column("last used", drop=1), Column("by", drop=2)]
    rows = [[t.id, render.escape(t.name), t.role, "[green]active[/]" if t.active else "[red]revoked[/]",
             render.when(t.created_at), render.when(t.last_used_at) if t.last_used_at else "-",
             render.escape(t.created_by)] for t in tokens]
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))


@tokens_app.command("revoke")
@handle_errors
def revoke_command(token_id: Annotated[str, typer.Argument(help="The token's id (mloop tokens list).")]) -> None:
    """Revoke a token: every request with it fails from now on."""
    token = mloop.revoke_token(token_id)
    console.print(f"revoked token {token.id} ({render.escape(token.name)})")


@handle_errors
def audit_command(who: Annotated[str | None, typer.Option(help="Only this token name (or local).")] = None,
                  action: Annotated[str | None, typer.Option(help="An action, or a prefix with '*': models.*")] = None,
                  since: Annotated[str | None, typer.Option(help="A time (2026-01-31T12:00) or an age (24h, 7d).")] = None,
                  limit: Annotated[int, typer.Option(help="At most this many.")] = 100, as_json: JSON = False) -> None:
    """The audit trail of the team server: who wrote what, when; newest first."""
    entries = mloop.audit_trail(who=who, action=action, since=parse_since(since), limit=limit)
    if as_json:
        render.print_json([asdict(e) for e in entries])
        return
    if not entries:
        console.print("no audit entries")
        return
    columns = [Column("when"), Column("who"), Column("role", drop=2), Column("action"), Column("target"),
               Column("detail", fixed=False, min_width=20, drop=1)]
    rows = [[render.when(e.at), render.escape(e.who), e.role, render.escape(e.action), render.escape(e.target),
             render.escape(json.dumps(e.detail, default=str)[:200])] for e in entries]
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))


@aliases_app.command("protect")
@handle_errors
def protect_command(model: Annotated[str, typer.Argument(help="A model name, or a glob such as '*'.")],
                    alias: Annotated[str, typer.Argument(help="The alias, e.g. champion.")],
                    rule: Annotated[str, typer.Option(help="admin, blessed (admins, or a passing blessing "
                                                           "report) or open.")] = "admin") -> None:
    """Set who may move an alias on the team server."""
    set_rule = mloop.protect_alias(model, alias, rule)
    console.print(f"alias {render.escape(set_rule.alias)} of {render.escape(set_rule.model)}: {set_rule.rule}")


@aliases_app.command("list")
@handle_errors
def rules_command(as_json: JSON = False) -> None:
    """The alias rules in force, defaults included."""
    rules = mloop.alias_rules()
    if as_json:
        render.print_json([{**asdict(r), "default": r.default} for r in rules])
        return
    for r in rules:
        note = " (default)" if r.default else f" (set by {render.escape(r.updated_by)})"
        console.print(f"{render.escape(r.model)} {render.escape(r.alias)}: {r.rule}{note}")


def parse_since(value: str | None) -> datetime | None:
    from mloop.core.durations import parse_duration

    if value is None:
        return None
    try:
        return utcnow() - parse_duration(value)
    except ValueError:
        pass
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise ValidationError(f"--since {value!r} is neither a time (2026-01-31T12:00) nor an age (24h, 7d)") from None
