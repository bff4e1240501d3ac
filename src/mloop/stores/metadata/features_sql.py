"""FeatureDefinitionStore over the shared SQL database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from mloop.core.clock import utcnow
from mloop.core.errors import ValidationError
from mloop.stores.metadata import schema as t
from mloop.stores.metadata.database import Database, as_record
from mloop.stores.metadata.features import KINDS, DefinitionRecord, MaterializationRecord


class SqlFeatureDefinitionStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    def put_definition(self, kind: str, name: str, spec: dict[str, Any], spec_hash: str,
                       created_by: str) -> tuple[DefinitionRecord, bool]:
        if kind not in KINDS:
            raise ValidationError(f"unknown definition kind {kind!r}; one of {', '.join(KINDS)}")
        d = t.feature_definitions
        with self._db.write() as conn:  # SQLite: BEGIN IMMEDIATE holds the database; PostgreSQL: a lock per name
            if self._db.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"mloop:{kind}:{name}"})
            latest = conn.execute(sa.select(d).where(d.c.kind == kind, d.c.name == name)
                                  .order_by(d.c.version.desc()).limit(1)).first()
            if latest is not None and latest.spec_hash == spec_hash:
                return as_record(DefinitionRecord, latest), False
            record = DefinitionRecord(kind=kind, name=name, version=(latest.version if latest else 0) + 1, spec=spec,
                                      spec_hash=spec_hash, created_at=utcnow(), created_by=created_by)
            conn.execute(d.insert(), asdict(record))
        return record, True

    def latest_definitions(self, kind: str | None = None) -> list[DefinitionRecord]:
        d = t.feature_definitions
        newest = (sa.select(d.c.kind, d.c.name, sa.func.max(d.c.version).label("version"))
                  .group_by(d.c.kind, d.c.name).subquery())
        query = (sa.select(d).join(newest, sa.and_(d.c.kind == newest.c.kind, d.c.name == newest.c.name,
                                                   d.c.version == newest.c.version))
                 .order_by(d.c.kind, d.c.name))
        if kind is not None:
            query = query.where(d.c.kind == kind)
        with self._db.read() as conn:
            return [as_record(DefinitionRecord, row) for row in conn.execute(query).all()]

    def definition(self, kind: str, name: str, version: int | None = None) -> DefinitionRecord | None:
        d = t.feature_definitions
        query = sa.select(d).where(d.c.kind == kind, d.c.name == name)
        query = query.where(d.c.version == version) if version is not None else query.order_by(
            d.c.version.desc()).limit(1)
        with self._db.read() as conn:
            row = conn.execute(query).first()
        return None if row is None else as_record(DefinitionRecord, row)

    def definition_history(self, kind: str, name: str) -> list[DefinitionRecord]:
        d = t.feature_definitions
        with self._db.read() as conn:
            rows = conn.execute(sa.select(d).where(d.c.kind == kind, d.c.name == name).order_by(d.c.version)).all()
        return [as_record(DefinitionRecord, row) for row in rows]

    def record_materialization(self, record: MaterializationRecord) -> None:
        with self._db.write() as conn:
            conn.execute(t.feature_materializations.insert(), asdict(record))

    def materializations(self, views: Sequence[str] | None = None, online_url: str | None = None,
                         limit: int = 100) -> list[MaterializationRecord]:
        m = t.feature_materializations
        query = sa.select(m).order_by(m.c.end_time.desc(), m.c.finished_at.desc()).limit(limit)
        if views is not None:
            query = query.where(m.c.view.in_(list(views)))
        if online_url is not None:
            query = query.where(m.c.online_url == online_url)
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        return [as_record(MaterializationRecord, row) for row in reversed(rows)]

    def record_training_set(self, artifact_id: str, manifest: dict[str, Any]) -> None:
        with self._db.write() as conn:
            conn.execute(self._db.insert_ignore(t.training_sets),
                         {"artifact_id": artifact_id, "manifest": manifest, "created_at": utcnow()})

    def training_sets(self, artifact_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not artifact_ids:
            return {}
        s = t.training_sets
        with self._db.read() as conn:
            rows = conn.execute(sa.select(s.c.artifact_id, s.c.manifest).where(s.c.artifact_id.in_(list(artifact_ids))))
        return {artifact_id: manifest for artifact_id, manifest in rows}
