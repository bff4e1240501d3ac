"""Registry events for webhooks, derived from what the registry records (new versions, alias moves
such as promote and rollback, blessing reports) since cursors kept in the monitoring tables, so
the registry itself knows nothing of webhooks. Each event is queued once: the cursors move in the
transaction that queues its messages, and only if no other process moved them first."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mloop.core.clock import utcnow
from mloop.monitoring.webhooks import CURSORS, list_webhooks, messages_for, start_registry_cursors

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace

_ACTIONS = {"set": "promoted", "rollback": "rolled_back", "delete": "alias_removed"}


def collect_registry_events(workspace: Workspace | None = None, *, at: datetime | None = None) -> int:
    """Queue a message to every registry webhook for each version registered, alias moved and
    blessing report written since the last call; the number of events queued."""
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    store = workspace.monitors
    hooks = [w for w in list_webhooks(workspace=workspace) if "registry" in w.events]
    if not hooks:
        return 0
    cursors = {name: store.get_cursor(name) for name in CURSORS}
    if any(value is None for value in cursors.values()):
        start_registry_cursors(workspace)
        return 0
    old: dict[str, str] = {k: v for k, v in cursors.items() if v is not None}
    changes = store.registry_changes(after_version=datetime.fromisoformat(old["versions"]),
                                     after_alias_id=int(old["alias_history"]),
                                     after_blessing=datetime.fromisoformat(old["blessings"]))
    timed = ([(v["created_at"], _registered(v)) for v in changes.versions]
             + [(m["changed_at"], _moved(m)) for m in changes.alias_moves]
             + [(b["created_at"], _blessed(b)) for b in changes.blessings])
    events = [event for _, event in sorted(timed, key=lambda pair: pair[0])]
    if not events:
        return 0
    new = dict(old)
    if changes.versions:
        new["versions"] = changes.versions[-1]["created_at"].isoformat()
    if changes.alias_moves:
        new["alias_history"] = str(changes.alias_moves[-1]["id"])
    if changes.blessings:
        new["blessings"] = changes.blessings[-1]["created_at"].isoformat()
    now = at or utcnow()
    # a microsecond apart: webhooks receive them in the order they happened
    messages = [m for i, (event, text, body) in enumerate(events)
                for m in messages_for(hooks, "registry", event, text, body, now - timedelta(microseconds=len(events) - i))]
    return len(events) if store.advance_cursors(old, new, messages) else 0


def _registered(row: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    ref = f"{row['model']}/{row['version']}"
    return ("registry.registered", f"[mloop] {ref} registered by {row['created_by']}",
            {"source": row["model"], "model": row["model"], "version": row["version"],
             "summary": f"version {row['version']} registered", "details": {"created_by": row["created_by"]}})


def _moved(row: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    what = _ACTIONS.get(row["action"], row["action"])
    alias = f"{row['model']}@{row['alias']}"
    if row["to_version"] is None:
        summary = f"{alias} removed (was version {row['from_version']})"
    else:
        was = f" (was {row['from_version']})" if row["from_version"] is not None else ""
        summary = f"{alias} -> version {row['to_version']}{was}"
    reason = f": {row['reason']}" if row["reason"] else ""
    return (f"registry.{what}", f"[mloop] {what.replace('_', ' ')} {summary} by {row['changed_by']}{reason}",
            {"source": row["model"], "model": row["model"], "alias": row["alias"], "version": row["to_version"],
             "summary": summary, "details": {"from_version": row["from_version"], "action": row["action"],
                                             "reason": row["reason"], "changed_by": row["changed_by"]}})


def _blessed(row: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    ref = f"{row['model']}/{row['version']}"
    verdict = "blessed" if row["passed"] else "refused by blessing"
    forced = " (forced)" if row["forced"] else ""
    return ("registry.blessed" if row["passed"] else "registry.refused", f"[mloop] {ref} {verdict}{forced}",
            {"source": row["model"], "model": row["model"], "version": row["version"], "summary": f"{verdict}{forced}",
             "details": {"report_id": row["id"], "passed": row["passed"], "forced": row["forced"]}})
