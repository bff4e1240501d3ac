"""The loop's own alerts about its gate: a candidate refused by its blessing policy leaves the
champion in place and raises an alert (source `gate:MODEL`); the next blessed candidate resolves
it. Read from the registry's blessing reports since a cursor, on each scheduler tick (a tick hook),
so the registry knows nothing of alerts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from mloop.core.clock import utcnow
from mloop.monitoring.alerts import raise_alert, resolve_alert

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace

CURSOR = "loop:blessings"


def watch_blessings(workspace: Workspace | None = None) -> int:
    """Raise or resolve the gate alert of each model for the blessing reports written since the
    last call (the first call only starts from now); how many reports were read."""
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    store, registry = workspace.monitors, workspace.registry
    cursor = store.get_cursor(CURSOR)
    if cursor is None:
        store.set_cursors({CURSOR: utcnow().isoformat()})
        return 0
    reports = store.blessings_after(datetime.fromisoformat(cursor))  # one query a tick, new reports only
    for report in reports:
        source, ref = f"gate:{report['model']}", f"{report['model']}/{report['version']}"
        if report["passed"]:
            resolve_alert(source, f"{ref} blessed", at=report["created_at"], workspace=workspace)
            continue
        [full] = [r for r in registry.blessing_reports(report["model"], report["version"]) if r.id == report["id"]]
        reasons = "; ".join(str(rule.get("reason", "")) for rule in full.rules if not rule.get("passed"))
        raise_alert(source, f"{ref} refused by its blessing gate: {reasons}; the champion stays",
                    details={"model": report["model"], "version": report["version"], "report": report["id"]},
                    at=report["created_at"], workspace=workspace)
    if reports:
        store.set_cursors({CURSOR: reports[-1]["created_at"].isoformat()})
    return len(reports)
