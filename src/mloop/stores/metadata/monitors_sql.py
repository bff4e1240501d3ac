"""MonitorStore over the shared SQL database.

One class past the usual ~150 lines, by decision: the role spans six small tables (monitors,
results, alerts, webhooks, the outbox, cursors) whose methods are one short transaction each, and
splitting it would split the one transaction that saves an alert with its queued messages."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from mloop.core.clock import as_utc
from mloop.core.errors import ConflictError
from mloop.stores.metadata import schema as t
from mloop.stores.metadata.database import Database, as_row
from mloop.stores.metadata.monitors import (
    AlertRecord,
    DeliveryRecord,
    MonitorRecord,
    MonitorResultRecord,
    RegistryChanges,
    WebhookRecord,
)

R = TypeVar("R")


class SqlMonitorStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    # ------------------------------------------------------------------ monitors
    def put_monitors(self, monitors: list[tuple[str, str, dict[str, Any]]], at: datetime) -> list[str]:
        m = t.monitors
        changes = []
        with self._db.write() as conn:
            for name, kind, definition in monitors:
                row = conn.execute(sa.select(m.c.kind, m.c.definition).where(m.c.name == name)).first()
                if row is None:
                    conn.execute(m.insert().values(name=name, kind=kind, definition=definition, paused=False,
                                                   created_at=at, updated_at=at))
                    changes.append("created")
                elif (row.kind, row.definition) == (kind, definition):
                    changes.append("unchanged")
                else:
                    conn.execute(m.update().where(m.c.name == name).values(kind=kind, definition=definition,
                                                                           updated_at=at))
                    changes.append("updated")
        return changes

    def get_monitor(self, name: str) -> MonitorRecord | None:
        with self._db.read() as conn:
            row = conn.execute(sa.select(t.monitors).where(t.monitors.c.name == name)).first()
        return _record(MonitorRecord, row) if row else None

    def list_monitors(self) -> list[MonitorRecord]:
        with self._db.read() as conn:
            rows = conn.execute(sa.select(t.monitors).order_by(t.monitors.c.name)).all()
        return [_record(MonitorRecord, row) for row in rows]

    def delete_monitor(self, name: str) -> bool:
        with self._db.write() as conn:
            conn.execute(t.monitor_results.delete().where(t.monitor_results.c.monitor == name))
            return bool(conn.execute(t.monitors.delete().where(t.monitors.c.name == name)).rowcount)

    def set_paused(self, name: str, paused: bool) -> bool:
        m = t.monitors
        with self._db.write() as conn:
            return bool(conn.execute(m.update().where(m.c.name == name).values(paused=paused)).rowcount)

    # ------------------------------------------------------------------ results
    def add_result(self, result: MonitorResultRecord) -> None:
        with self._db.write() as conn:
            conn.execute(t.monitor_results.insert(), as_row(result))

    def results(self, monitor: str, *, since: datetime | None = None,
                limit: int = 100) -> list[MonitorResultRecord]:
        r = t.monitor_results
        query = sa.select(r).where(r.c.monitor == monitor).order_by(r.c.time.desc(), r.c.id.desc()).limit(limit)
        if since is not None:
            query = query.where(r.c.time >= since)
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        return [_record(MonitorResultRecord, row) for row in rows]

    def latest_results(self) -> dict[str, MonitorResultRecord]:
        r = t.monitor_results
        newest = (sa.select(r.c.monitor, sa.func.max(r.c.time).label("time")).group_by(r.c.monitor).subquery())
        query = (sa.select(r).join(newest, sa.and_(r.c.monitor == newest.c.monitor, r.c.time == newest.c.time))
                 .order_by(r.c.id))
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        return {row.monitor: _record(MonitorResultRecord, row) for row in rows}

    # ------------------------------------------------------------------ alerts
    def open_alert(self, source: str) -> AlertRecord | None:
        a = t.alerts
        with self._db.read() as conn:
            row = conn.execute(sa.select(a).where(a.c.open_source == source)).first()
        return _record(AlertRecord, row) if row else None

    def add_alert(self, alert: AlertRecord, messages: list[DeliveryRecord]) -> None:
        with self._db.write() as conn:
            conn.execute(t.alerts.insert(), _alert_row(alert))
            _queue(conn, messages)

    def save_alert(self, alert: AlertRecord, messages: list[DeliveryRecord]) -> None:
        a = t.alerts
        with self._db.write() as conn:
            conn.execute(a.update().where(a.c.id == alert.id), _alert_row(alert))
            _queue(conn, messages)

    def get_alert(self, alert_id: str) -> AlertRecord | None:
        with self._db.read() as conn:
            row = conn.execute(sa.select(t.alerts).where(t.alerts.c.id == alert_id)).first()
            if row is None and len(alert_id) >= 4:
                rows = conn.execute(sa.select(t.alerts).where(
                    t.alerts.c.id.startswith(alert_id, autoescape=True)).limit(2)).all()
                if len(rows) > 1:
                    raise ConflictError(f"alert id prefix {alert_id!r} is ambiguous; give more characters")
                row = rows[0] if rows else None
        return _record(AlertRecord, row) if row else None

    def list_alerts(self, *, status: str | None = None, source: str | None = None,
                    opened_since: datetime | None = None, limit: int = 100) -> list[AlertRecord]:
        a = t.alerts
        query = sa.select(a).order_by(a.c.opened_at.desc(), a.c.id.desc()).limit(limit)
        if opened_since is not None:
            query = query.where(a.c.opened_at >= opened_since)
        if status is not None:
            query = query.where(a.c.status == status)
        if source is not None:
            query = query.where(a.c.source == source)
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        return [_record(AlertRecord, row) for row in rows]

    # ------------------------------------------------------------------ webhooks and their messages
    def add_webhook(self, webhook: WebhookRecord) -> None:
        with self._db.write() as conn:
            conn.execute(t.webhooks.insert(), as_row(webhook))

    def list_webhooks(self) -> list[WebhookRecord]:
        w = t.webhooks
        with self._db.read() as conn:
            rows = conn.execute(sa.select(w).order_by(w.c.created_at, w.c.id)).all()
        return [_record(WebhookRecord, row) for row in rows]

    def remove_webhook(self, webhook_id: str) -> bool:
        with self._db.write() as conn:
            return bool(conn.execute(t.webhooks.delete().where(t.webhooks.c.id == webhook_id)).rowcount)

    def queue(self, messages: list[DeliveryRecord]) -> None:
        with self._db.write() as conn:
            _queue(conn, messages)

    def due_deliveries(self, at: datetime, *, limit: int = 100) -> list[DeliveryRecord]:
        d = t.alert_deliveries
        query = (sa.select(d).where(d.c.status == "pending", d.c.next_attempt_at <= at)
                 .order_by(d.c.next_attempt_at, d.c.created_at, d.c.id).limit(limit))
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        return [_record(DeliveryRecord, row) for row in rows]

    def claim_delivery(self, delivery_id: str, attempts: int, lease_until: datetime) -> bool:
        d = t.alert_deliveries
        with self._db.write() as conn:
            claimed = conn.execute(d.update().where(d.c.id == delivery_id, d.c.status == "pending",
                                                    d.c.attempts == attempts)
                                   .values(attempts=attempts + 1, next_attempt_at=lease_until)).rowcount
        return bool(claimed)

    def finish_delivery(self, delivery_id: str, *, status: str, next_attempt_at: datetime,
                        last_error: str | None, delivered_at: datetime | None) -> None:
        d = t.alert_deliveries
        with self._db.write() as conn:
            conn.execute(d.update().where(d.c.id == delivery_id).values(
                status=status, next_attempt_at=next_attempt_at, last_error=last_error, delivered_at=delivered_at))

    def list_deliveries(self, *, status: str | None = None, alert_id: str | None = None,
                        limit: int = 100) -> list[DeliveryRecord]:
        d = t.alert_deliveries
        query = sa.select(d).order_by(d.c.created_at.desc(), d.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(d.c.status == status)
        if alert_id is not None:
            query = query.where(d.c.alert_id == alert_id)
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        return [_record(DeliveryRecord, row) for row in rows]

    # ------------------------------------------------------------------ registry events
    def get_cursor(self, name: str) -> str | None:
        c = t.monitor_cursors
        with self._db.read() as conn:
            return conn.execute(sa.select(c.c.value).where(c.c.name == name)).scalar()

    def set_cursors(self, values: dict[str, str]) -> None:
        c = t.monitor_cursors
        with self._db.write() as conn:
            for name, value in values.items():
                if not conn.execute(c.update().where(c.c.name == name).values(value=value)).rowcount:
                    conn.execute(c.insert().values(name=name, value=value))

    def advance_cursors(self, old: dict[str, str], new: dict[str, str], messages: list[DeliveryRecord]) -> bool:
        c = t.monitor_cursors
        try:
            with self._db.write() as conn:
                for name, value in new.items():
                    if not conn.execute(c.update().where(c.c.name == name, c.c.value == old[name])
                                        .values(value=value)).rowcount:
                        raise _CursorMoved
                _queue(conn, messages)
        except _CursorMoved:
            return False
        return True

    def registry_changes(self, *, after_version: datetime | None, after_alias_id: int | None,
                         after_blessing: datetime | None, limit: int = 500) -> RegistryChanges:
        v, h = t.model_versions, t.alias_history
        versions = (sa.select(v.c.model, v.c.version, v.c.created_at, v.c.created_by)
                    .order_by(v.c.created_at, v.c.model, v.c.version).limit(limit))
        if after_version is not None:
            versions = versions.where(v.c.created_at > after_version)
        moves = (sa.select(h.c.id, h.c.model, h.c.alias, h.c.from_version, h.c.to_version, h.c.action, h.c.reason,
                           h.c.changed_by, h.c.changed_at).order_by(h.c.id).limit(limit))
        if after_alias_id is not None:
            moves = moves.where(h.c.id > after_alias_id)
        blessings = _blessings_query(after_blessing, limit)
        with self._db.read() as conn:
            found = [[_utc_times(dict(row._mapping)) for row in conn.execute(query)]
                     for query in (versions, moves, blessings)]
        return RegistryChanges(*found)

    def blessings_after(self, after: datetime, *, limit: int = 500) -> list[dict[str, Any]]:
        with self._db.read() as conn:
            return [_utc_times(dict(row._mapping)) for row in conn.execute(_blessings_query(after, limit))]

    def registry_heads(self) -> dict[str, str]:
        with self._db.read() as conn:
            version = conn.execute(sa.select(sa.func.max(t.model_versions.c.created_at))).scalar()
            move = conn.execute(sa.select(sa.func.max(t.alias_history.c.id))).scalar()
            blessing = conn.execute(sa.select(sa.func.max(t.blessing_reports.c.created_at))).scalar()
        epoch = "1970-01-01T00:00:00+00:00"
        return {"versions": as_utc(version).isoformat() if version else epoch,  # type: ignore[union-attr]
                "alias_history": str(move or 0),
                "blessings": as_utc(blessing).isoformat() if blessing else epoch}  # type: ignore[union-attr]


class _CursorMoved(Exception):
    """Another process moved a cursor first: roll back, it queued those events."""


def _queue(conn: sa.Connection, messages: list[DeliveryRecord]) -> None:
    if messages:
        conn.execute(t.alert_deliveries.insert(), [as_row(m) for m in messages])


def _alert_row(alert: AlertRecord) -> dict[str, Any]:
    return {**as_row(alert), "open_source": alert.source if alert.status == "open" else None}


def _utc_times(values: dict[str, Any]) -> dict[str, Any]:
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in values.items()}


def _record(cls: type[R], row: Any) -> R:
    values = _utc_times(dict(row._mapping))
    return cls(**{f.name: values[f.name] for f in fields(cls)})  # type: ignore[arg-type]


def _blessings_query(after: datetime | None, limit: int) -> sa.Select[Any]:
    """Blessing reports (id, model, version, passed, forced, created_at) after `after`, oldest first."""
    b = t.blessing_reports
    query = (sa.select(b.c.id, b.c.model, b.c.version, b.c.passed, b.c.forced, b.c.created_at)
             .order_by(b.c.created_at, b.c.id).limit(limit))
    return query if after is None else query.where(b.c.created_at > after)
