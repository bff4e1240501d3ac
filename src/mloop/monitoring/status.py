"""`mloop status`: what is running (servers, pipeline runs, schedulers), what is scheduled next,
which alerts are open, and the last decisions of the loop (promotions, rollbacks, refusals) —
one read of each role store, newest first."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace


@dataclass(frozen=True)
class Decision:
    """A move of the loop or of a person: a version promoted, rolled back, or refused by its gate."""

    time: datetime
    model: str
    action: str  # promoted | rolled back | alias removed | refused | blessed
    version: int | None
    from_version: int | None
    by: str
    reason: str


@dataclass(frozen=True)
class Status:
    deployments: list[Any] = field(default_factory=list)
    runs: list[Any] = field(default_factory=list)
    schedulers: list[Any] = field(default_factory=list)
    schedules: list[Any] = field(default_factory=list)
    alerts: list[Any] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {name: [_plain(item) for item in getattr(self, name)] for name in
                ("deployments", "runs", "schedulers", "schedules", "alerts", "decisions")}


def status(*, decisions: int = 10, workspace: Workspace | None = None) -> Status:
    """What is running and due now, open alerts, and the newest `decisions` of the loop."""
    from mloop.scheduling.schedules import list_schedules
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    schedules = sorted(list_schedules(workspace=workspace), key=lambda s: (s.paused, s.next_due_at))
    return Status(
        deployments=workspace.deployments.list_deployments(running_only=True),
        runs=workspace.runs.running_runs(),
        schedulers=workspace.schedules.list_schedulers(running_only=True),
        schedules=schedules,
        alerts=workspace.monitors.list_alerts(status="open"),
        decisions=loop_decisions(workspace, decisions),
    )


def loop_decisions(workspace: Workspace, limit: int = 10) -> list[Decision]:
    """Alias moves and blessing refusals of every model, newest first."""
    registry = workspace.registry
    found: list[Decision] = []
    for model in registry.list_models():
        for change in registry.alias_history(model.name):
            action = {"set": "promoted", "rollback": "rolled back", "delete": "alias removed"}.get(change.action,
                                                                                                 change.action)
            found.append(Decision(change.changed_at, model.name, f"{action} ({change.alias})", change.to_version,
                                  change.from_version, change.changed_by, change.reason))
        for report in registry.blessing_reports(model.name):
            if not report.passed:
                failed = [r.get("reason") or r.get("name", "") for r in report.rules if not r.get("passed")]
                found.append(Decision(report.created_at, model.name, "refused", report.version, None,
                                      report.created_by, "; ".join(str(f) for f in failed if f)))
    found.sort(key=lambda d: d.time, reverse=True)
    return found[:limit]


def _plain(item: Any) -> Any:
    if hasattr(item, "to_dict"):
        return item.to_dict()
    return asdict(item)
