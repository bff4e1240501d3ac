"""Features, deployments and schedules as plain data, shared by their pages and the REST API:
feature definitions with their versions and freshness, deployments with traffic split, swaps
and live traffic, schedules with their next due times and last fires."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import datetime
from typing import Any

import mloop
from mloop.core.cadence import parse_cadence
from mloop.core.clock import utcnow
from mloop.core.errors import NotFoundError

#: what a deployment id (or a prefix of one) looks like; checked before the database is asked
DEPLOYMENT_ID = re.compile(r"^[0-9a-z]{4,64}$")
#: how many due times ahead the schedules page lists
NEXT_RUNS = 3
#: how many of a schedule's newest fires it lists
RECENT_FIRES = 5


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def features_overview() -> dict[str, Any]:
    """Entities, views (with freshness), on-demand features and services, each with its versions."""
    definitions = mloop.list_feature_definitions()
    freshness = {row["view"]: row for row in mloop.feature_freshness()} if any(
        d.kind == "view" for d in definitions) else {}
    grouped: dict[str, list[dict[str, Any]]] = {"entity": [], "view": [], "on_demand": [], "service": []}
    for record in definitions:
        history = mloop.list_feature_definitions(record.kind, record.name) if record.version > 1 else [record]
        grouped.setdefault(record.kind, []).append(
            {"name": record.name, "version": record.version, "spec": record.spec, "created_at": _iso(record.created_at),
             "created_by": record.created_by, "freshness": freshness.get(record.name) if record.kind == "view" else None,
             "versions": [{"version": h.version, "created_at": _iso(h.created_at), "created_by": h.created_by,
                           "spec_hash": h.spec_hash} for h in sorted(history, key=lambda h: h.version)]})
    return grouped


def deployment_row(record: Any) -> dict[str, Any]:
    traffic = record.traffic or {}
    split = {role: float(slot.get("percent", 0)) for role, slot in traffic.items() if isinstance(slot, dict)}
    return {"id": record.id, "model": record.model, "follows": record.follows, "mode": record.mode,
            "version": record.version, "traffic": traffic, "primary_percent": max(0.0, 100.0 - split.get("canary", 0.0)),
            "canary_percent": split.get("canary", 0.0), "shadow_percent": split.get("shadow", 0.0),
            "url": record.url, "host": record.host, "status": record.status, "started_at": _iso(record.started_at),
            "stopped_at": _iso(record.stopped_at), "heartbeat_at": _iso(record.heartbeat_at)}


def deployments_overview() -> list[dict[str, Any]]:
    return [deployment_row(record) for record in mloop.list_deployments(limit=500)]


def deployment_detail(deployment_id: str, *, minutes: int = 60) -> dict[str, Any]:
    """A deployment, its events (start, every swap and refusal, stop) and its traffic over the
    last `minutes` from the prediction log."""
    if not DEPLOYMENT_ID.fullmatch(deployment_id):
        raise NotFoundError(f"no deployment {deployment_id[:80]!r}: a deployment id is 4 to 64 letters and digits "
                            "(list them with: mloop deployments list)")
    record, events = mloop.get_deployment(deployment_id)
    traffic = mloop.deployment_traffic(record.id, minutes=minutes)
    return {**deployment_row(record),
            "events": [{**asdict(event), "time": _iso(event.time)} for event in events],
            "swaps": [{**asdict(event), "time": _iso(event.time)} for event in events
                      if event.kind in ("swap", "refused")],
            "live": traffic.to_dict()}


def next_due_times(cron: str, timezone: str, first: datetime, count: int = NEXT_RUNS) -> list[datetime]:
    cadence = parse_cadence(cron, timezone)
    times = [first]
    while len(times) < count:
        times.append(cadence.next_after(times[-1]))
    return times


def schedules_overview() -> dict[str, Any]:
    """Schedules with their next due times and newest fires, and triggers with their newest."""
    now = utcnow()
    schedules = []
    for schedule in mloop.list_schedules():
        fire = schedule.last_fire
        schedules.append({"name": schedule.name, "job_kind": schedule.job_kind, "target": schedule.target,
                          "cron": schedule.cron, "timezone": schedule.timezone, "paused": schedule.paused,
                          "catchup": schedule.catchup,
                          "next_runs": [] if schedule.paused else
                          [_iso(t) for t in next_due_times(schedule.cron, schedule.timezone, schedule.next_due_at)],
                          "last_fire": _fire(fire),
                          "recent_fires": [_fire(f) for f in mloop.schedule_fires(schedule.name, limit=RECENT_FIRES)]
                          if fire is not None else []})
    triggers = []
    for trigger in mloop.list_triggers():
        fires = mloop.trigger_fires(trigger.name, limit=1)
        triggers.append({"name": trigger.name, "kind": trigger.kind, "config": trigger.config,
                         "job_kind": trigger.job_kind, "target": trigger.target,
                         "last_fire": _fire(fires[0] if fires else None)})
    return {"now": now.isoformat(), "schedules": schedules, "triggers": triggers}


def _fire(fire: Any) -> dict[str, Any] | None:
    if fire is None:
        return None
    return {"due_at": _iso(fire.due_at), "fired_at": _iso(fire.fired_at), "outcome": fire.outcome,
            "run_id": fire.run_id, "error": fire.error, "result": fire.result, "ended_at": _iso(fire.ended_at)}
