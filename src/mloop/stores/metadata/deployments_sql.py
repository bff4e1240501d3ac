"""DeploymentStore over the shared SQL database."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from mloop.core.clock import utcnow
from mloop.stores.metadata import schema as t
from mloop.stores.metadata.database import Database, as_record
from mloop.stores.metadata.deployments import DeploymentEvent, DeploymentRecord, ReadinessCheck, RequestCounts


class SqlDeploymentStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    def start(self, deployment: DeploymentRecord) -> None:
        with self._db.write() as conn:
            conn.execute(t.deployments.insert(), asdict(deployment))
            conn.execute(t.deployment_events.insert(), asdict(DeploymentEvent(
                deployment.id, deployment.started_at, "start", "primary", None, deployment.version, deployment.url)))

    def add_event(self, event: DeploymentEvent) -> None:
        with self._db.write() as conn:
            conn.execute(t.deployment_events.insert(), asdict(event))

    def set_version(self, deployment_id: str, version: str) -> None:
        d = t.deployments
        with self._db.write() as conn:
            conn.execute(d.update().where(d.c.id == deployment_id).values(version=version))

    def beat(self, deployment_id: str, at: datetime) -> None:
        d = t.deployments
        with self._db.write() as conn:
            conn.execute(d.update().where(d.c.id == deployment_id, d.c.stopped_at.is_(None)).values(heartbeat_at=at))

    def stop(self, deployment_id: str, at: datetime) -> None:
        d = t.deployments
        with self._db.write() as conn:
            stopped = conn.execute(d.update().where(d.c.id == deployment_id, d.c.stopped_at.is_(None))
                                   .values(stopped_at=at, status="stopped", heartbeat_at=at)).rowcount
            if stopped:
                conn.execute(t.deployment_events.insert(), asdict(DeploymentEvent(
                    deployment_id, at, "stop", "primary", None, None, "")))

    def get_deployment(self, deployment_id: str, *, stale_after: float = 60.0) -> DeploymentRecord | None:
        with self._db.read() as conn:
            row = conn.execute(sa.select(t.deployments).where(t.deployments.c.id == deployment_id)).first()
        return _with_liveness(as_record(DeploymentRecord, row), stale_after) if row else None

    def list_deployments(self, *, model: str | None = None, running_only: bool = False, stale_after: float = 60.0,
                         limit: int = 100) -> list[DeploymentRecord]:
        d = t.deployments
        query = sa.select(d).order_by(d.c.started_at.desc(), d.c.id.desc()).limit(limit)
        if model is not None:
            query = query.where(d.c.model == model)
        if running_only:
            query = query.where(d.c.stopped_at.is_(None))
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        records = [_with_liveness(as_record(DeploymentRecord, row), stale_after) for row in rows]
        return [r for r in records if r.status == "running"] if running_only else records

    def events(self, deployment_id: str) -> list[DeploymentEvent]:
        e = t.deployment_events
        with self._db.read() as conn:
            rows = conn.execute(sa.select(e).where(e.c.deployment_id == deployment_id).order_by(e.c.seq)).all()
        return [as_record(DeploymentEvent, row) for row in rows]

    def add_counts(self, deployment_id: str, model: str, version: str, at: datetime, counts: RequestCounts) -> None:
        with self._db.write() as conn:
            conn.execute(t.deployment_counts.insert().values(deployment_id=deployment_id, model=model, version=version,
                                                             time=at, **asdict(counts)))

    def request_counts(self, model: str, *, since: datetime, until: datetime,
                       version: str | None = None) -> RequestCounts:
        c = t.deployment_counts
        query = (sa.select(*(sa.func.coalesce(sa.func.sum(column), 0) for column in
                             (c.c.requests, c.c.client_errors, c.c.server_errors)))
                 .where(c.c.model == model, c.c.time >= since, c.c.time < until))
        if version is not None:
            query = query.where(c.c.version == version)
        with self._db.read() as conn:
            row = conn.execute(query).one()
        return RequestCounts(*(int(value) for value in row))

    def add_check(self, check: ReadinessCheck) -> None:
        with self._db.write() as conn:
            conn.execute(t.readiness_checks.insert(), asdict(check))

    def latest_check(self, model: str, version: int) -> ReadinessCheck | None:
        c = t.readiness_checks
        query = (sa.select(c).where(c.c.model == model, c.c.version == version)
                 .order_by(c.c.created_at.desc(), c.c.id.desc()).limit(1))
        with self._db.read() as conn:
            row = conn.execute(query).first()
        return as_record(ReadinessCheck, row) if row else None


def _with_liveness(record: DeploymentRecord, stale_after: float) -> DeploymentRecord:
    if record.status == "running" and utcnow() - record.heartbeat_at > timedelta(seconds=stale_after):
        return replace(record, status="lost")
    return record
