"""MonitorStore: monitors, their results, alerts, webhooks, the outbox of webhook messages, and the
cursors of registry events (issue 11).

Contract:
- each method is one transaction;
- `put_monitors` upserts (name, kind, definition) entries by name, all in one transaction, and
  says for each "created", "updated" or "unchanged" (same kind and definition: nothing written); `delete_monitor` removes the monitor and its results and says
  whether it existed; a miss of `get_monitor` returns None;
- `results` are newest first; `latest_results` holds the newest result of each monitor;
- at most one alert per source is open: `add_alert` of an open alert for a source that has one
  raises ConflictError; `save_alert` writes an alert (inserted or updated by id) together with the
  messages queued for it, so an alert never changes without its notifications;
- `due_deliveries` are pending messages whose next attempt is due, oldest first; `claim_delivery`
  takes one for an attempt (attempts + 1, next attempt pushed to `lease_until`) only if nobody
  took it since it was read (same attempts count), so two deliverers never post one message twice;
- `advance_cursors` moves cursors from `old` to `new` and queues `messages` in one transaction,
  only if every cursor still holds its `old` value (False, and nothing written, otherwise);
- `get_alert` takes an id or a unique prefix of 4+ characters (ConflictError when ambiguous);
- `remove_webhook` says whether it existed; a miss of `get_cursor` returns None;
- `blessings_after` lists blessing reports written after a time, oldest first (the rows of
  `registry_changes().blessings`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class MonitorResultRecord:
    """One evaluation of a monitor (mloop.monitoring.model.MonitorResult has the same fields)."""

    id: str
    monitor: str
    kind: str
    time: datetime
    window_start: datetime
    window_end: datetime
    status: str  # passed | failed | no_data
    value: float | None
    threshold: float | None
    summary: str
    values: dict[str, Any]
    rows: int
    duration_ms: float


@dataclass(frozen=True)
class MonitorRecord:
    name: str
    kind: str
    #: the Monitor's fields (mloop.monitoring.model.Monitor), as JSON
    definition: dict[str, Any]
    paused: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AlertRecord:
    id: str
    #: what raised it: a monitor's name, or another key such as "loop:fraud"
    source: str
    severity: str  # info | warning | critical
    status: str  # open | resolved
    opened_at: datetime
    last_failed_at: datetime
    resolved_at: datetime | None
    #: failing results (or raises) seen while it was open
    failures: int
    summary: str
    details: dict[str, Any]
    last_result_id: str | None
    #: when its last notification was queued (None: never)
    notified_at: datetime | None


@dataclass(frozen=True)
class WebhookRecord:
    id: str
    url: str
    #: what it receives: "alerts", "registry"
    events: list[str]
    format: str  # json | slack
    created_at: datetime


@dataclass(frozen=True)
class DeliveryRecord:
    id: str
    #: alert.opened | alert.failing | alert.resolved | registry.registered | registry.promoted ...
    event: str
    alert_id: str | None
    webhook_id: str
    url: str
    status: str  # pending | delivered | failed
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    payload: dict[str, Any]
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class RegistryChanges:
    """What the registry recorded after the cursors: new versions (model, version, created_at,
    created_by), alias moves (id, model, alias, from_version, to_version, action, reason,
    changed_by, changed_at) and blessing reports (id, model, version, passed, forced, created_at),
    each oldest first."""

    versions: list[dict[str, Any]]
    alias_moves: list[dict[str, Any]]
    blessings: list[dict[str, Any]]


class MonitorStore(Protocol):
    def put_monitors(self, monitors: list[tuple[str, str, dict[str, Any]]], at: datetime) -> list[str]: ...
    def get_monitor(self, name: str) -> MonitorRecord | None: ...
    def list_monitors(self) -> list[MonitorRecord]: ...
    def delete_monitor(self, name: str) -> bool: ...
    def set_paused(self, name: str, paused: bool) -> bool: ...
    def add_result(self, result: MonitorResultRecord) -> None: ...
    def results(self, monitor: str, *, since: datetime | None = None, limit: int = 100) -> list[MonitorResultRecord]: ...
    def latest_results(self) -> dict[str, MonitorResultRecord]: ...
    def open_alert(self, source: str) -> AlertRecord | None: ...
    def add_alert(self, alert: AlertRecord, messages: list[DeliveryRecord]) -> None: ...
    def save_alert(self, alert: AlertRecord, messages: list[DeliveryRecord]) -> None: ...
    def get_alert(self, alert_id: str) -> AlertRecord | None: ...
    def list_alerts(self, *, status: str | None = None, source: str | None = None,
                    opened_since: datetime | None = None, limit: int = 100) -> list[AlertRecord]: ...
    def add_webhook(self, webhook: WebhookRecord) -> None: ...
    def list_webhooks(self) -> list[WebhookRecord]: ...
    def remove_webhook(self, webhook_id: str) -> bool: ...
    def queue(self, messages: list[DeliveryRecord]) -> None: ...
    def due_deliveries(self, at: datetime, *, limit: int = 100) -> list[DeliveryRecord]: ...
    def claim_delivery(self, delivery_id: str, attempts: int, lease_until: datetime) -> bool: ...
    def finish_delivery(self, delivery_id: str, *, status: str, next_attempt_at: datetime,
                        last_error: str | None, delivered_at: datetime | None) -> None: ...
    def list_deliveries(self, *, status: str | None = None, alert_id: str | None = None,
                        limit: int = 100) -> list[DeliveryRecord]: ...
    def get_cursor(self, name: str) -> str | None: ...
    def set_cursors(self, values: dict[str, str]) -> None: ...
    def advance_cursors(self, old: dict[str, str], new: dict[str, str], messages: list[DeliveryRecord]) -> bool: ...
    def registry_changes(self, *, after_version: datetime | None, after_alias_id: int | None,
                         after_blessing: datetime | None, limit: int = 500) -> RegistryChanges: ...
    def blessings_after(self, after: datetime, *, limit: int = 500) -> list[dict[str, Any]]: ...
    def registry_heads(self) -> dict[str, str]: ...
