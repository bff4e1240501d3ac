"""The `alert` trigger: starts its job when an alert opens for a source (a monitor's name). The
job gets the ids of the alerts that opened as the argument named by `param_name`, when given."""

from __future__ import annotations

import importlib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mloop.core.clock import as_utc
from mloop.scheduling.triggers import Detection

if TYPE_CHECKING:
    from mloop.stores.metadata.schedules import TriggerRecord
    from mloop.stores.workspace import Workspace


def alerts_opened_since(workspace: Workspace, cursor: datetime | None) -> list[tuple[str, str, datetime]]:
    """(alert id, source, opened_at) of every alert opened at or after `cursor`, oldest first;
    [] while this mloop has no alerts (mloop.monitoring.alerts_opened_since, wired on merge)."""
    try:
        source = getattr(importlib.import_module("mloop.monitoring"), "alerts_opened_since", None)
    except ImportError:
        return []
    if source is None:
        return []
    opened: list[tuple[str, str, datetime]] = source(workspace, cursor)
    return opened


def initial_state(config: dict[str, Any], workspace: Workspace, folder: Path) -> dict[str, Any]:
    from mloop.core.clock import utcnow

    return {"cursor": utcnow().isoformat(), "ids": []}


def detect(trigger: TriggerRecord, workspace: Workspace, now: datetime) -> Detection | None:
    cursor_text = trigger.state.get("cursor")
    cursor = as_utc(datetime.fromisoformat(cursor_text)) if cursor_text else None
    seen = set(trigger.state.get("ids", []))
    opened = [(i, s, as_utc(t)) for i, s, t in alerts_opened_since(workspace, cursor) if i not in seen]
    if not opened:
        return None
    latest = max(t for _, _, t in opened if t is not None)
    at_latest = {i for i, _, t in opened if t == latest} | (seen if latest == cursor else set())
    state = {"cursor": latest.isoformat(), "ids": sorted(at_latest)}
    mine = [i for i, source, _ in opened if source == trigger.config["monitor"]]
    if not mine:
        return Detection(state, None)
    param = trigger.config.get("param_name")
    return Detection(state, {param: mine} if param else {})
