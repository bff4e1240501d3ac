"""RegistryStore over the shared SQL database: models, versions, aliases, stages, blessing reports.

Concurrency: every change to a model (a new version number, an alias or stage move) first locks
the model's row: `UPDATE ... RETURNING` for the version counter, `SELECT ... FOR UPDATE` for the
rest on PostgreSQL; on SQLite a writer holds the database lock from BEGIN IMMEDIATE. So two
processes never get the same version number, and alias history is one consistent chain.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

import sqlalchemy as sa

from mloop.core.clock import utcnow
from mloop.core.errors import ConflictError, NotFoundError, ValidationError
from mloop.stores.metadata import schema as t
from mloop.stores.metadata.database import Database, as_record
from mloop.stores.metadata.registry_records import (
    STAGES,
    AliasChange,
    BlessingRecord,
    ModelRecord,
    ModelVersionRecord,
    StageChange,
)


class SqlRegistryStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    # ---------------------------------------------------------------- models
    def create_model_version(self, draft: ModelVersionRecord, model_description: str = "") -> ModelVersionRecord:
        """Store `draft` as the next version of its model (created on first use); `draft.version`
        is ignored. Atomic: concurrent callers get distinct, consecutive numbers."""
        m = t.models
        with self._db.write() as conn:
            conn.execute(self._db.insert_ignore(m), {"name": draft.model, "description": model_description,
                                                  "latest_version": 0, "created_at": draft.created_at})
            number = conn.execute(
                m.update().where(m.c.name == draft.model)
                .values(latest_version=m.c.latest_version + 1).returning(m.c.latest_version)
            ).scalar_one()
            values = asdict(draft) | {"version": number}
            conn.execute(t.model_versions.insert(), values)
        return ModelVersionRecord(**values)

    def get_model(self, name: str) -> ModelRecord:
        with self._db.read() as conn:
            row = conn.execute(sa.select(t.models).where(t.models.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no model {name!r}; list them with: mloop models list")
        return as_record(ModelRecord, row)

    def list_models(self) -> list[ModelRecord]:
        with self._db.read() as conn:
            rows = conn.execute(sa.select(t.models).order_by(t.models.c.name)).all()
        return [as_record(ModelRecord, row) for row in rows]

    def get_model_version(self, model: str, version: int) -> ModelVersionRecord:
        with self._db.read() as conn:
            return as_record(ModelVersionRecord, _version_row(conn, model, version))

    def list_model_versions(self, model: str) -> list[ModelVersionRecord]:
        """Every version of `model`, oldest first (NotFoundError for an unknown model)."""
        v = t.model_versions
        with self._db.read() as conn:
            _model_row(conn, model)
            rows = conn.execute(sa.select(v).where(v.c.model == model).order_by(v.c.version)).all()
        return [as_record(ModelVersionRecord, row) for row in rows]

    def find_model_version(self, model: str, artifact_id: str) -> ModelVersionRecord | None:
        """The newest version of `model` holding artifact `artifact_id`, or None."""
        v = t.model_versions
        query = (sa.select(v).where(v.c.model == model, v.c.artifact_id == artifact_id)
                 .order_by(v.c.version.desc()).limit(1))
        with self._db.read() as conn:
            row = conn.execute(query).first()
        return as_record(ModelVersionRecord, row) if row else None

    def set_model_card(self, model: str, version: int, card: dict[str, Any]) -> None:
        """Attach (or replace) the evaluation and explainability summary of a version."""
        v = t.model_versions
        with self._db.write() as conn:
            _version_row(conn, model, version)
            conn.execute(v.update().where(v.c.model == model, v.c.version == version).values(card=card))

    # --------------------------------------------------------------- aliases
    def model_aliases(self, model: str | None = None) -> dict[str, dict[str, int]]:
        """{model: {alias: version}} for one model or all."""
        a = t.aliases
        query = sa.select(a.c.model, a.c.alias, a.c.version).order_by(a.c.model, a.c.alias)
        if model is not None:
            query = query.where(a.c.model == model)
        result: dict[str, dict[str, int]] = {}
        with self._db.read() as conn:
            for row in conn.execute(query):
                result.setdefault(row.model, {})[row.alias] = row.version
        return result

    def move_alias(self, model: str, alias: str, version: int | None, *, changed_by: str, reason: str = "",
                   forced: bool = False, expect: int | None = None, action: str | None = None) -> AliasChange:
        """Point `alias` at `version` (None deletes it) and record the move as `action` (default
        "set", or "delete"), in one transaction. `expect` makes it compare-and-set: the alias must
        point at that version now (0: must not exist), else ConflictError."""
        with self._db.write() as conn:
            _lock_model(conn, model)
            current = _alias_version(conn, model, alias)
            if expect is not None and (current or 0) != expect:
                now = f"version {current}" if current else "nothing"
                raise ConflictError(f"alias {alias!r} of model {model!r} points at {now}, not the expected "
                                    f"{'nothing' if expect == 0 else f'version {expect}'}: it was moved meanwhile; "
                                    f"check with: mloop models show {model}")
            if version is not None:
                _version_row(conn, model, version)
            elif current is None:
                raise NotFoundError(f"model {model!r} has no alias {alias!r}")
            action = action or ("set" if version is not None else "delete")
            return _apply_alias(conn, model, alias, current, version, action, changed_by, reason, forced)

    def alias_history(self, model: str, alias: str | None = None) -> list[AliasChange]:
        """Every move of the model's aliases (or of one alias), oldest first."""
        h = t.alias_history
        query = sa.select(h).where(h.c.model == model).order_by(h.c.id)
        if alias is not None:
            query = query.where(h.c.alias == alias)
        with self._db.read() as conn:
            return [as_record(AliasChange, row) for row in conn.execute(query)]

    # ---------------------------------------------------------------- stages
    def set_stage(self, model: str, version: int, stage: str | None, *, changed_by: str, reason: str = "",
                  forced: bool = False) -> StageChange:
        """Move a version to `stage` (one of STAGES, or None) and record who, when and why."""
        if stage is not None and stage not in STAGES:
            raise ValidationError(f"unknown stage {stage!r}; use one of: {', '.join(STAGES)}")
        v = t.model_versions
        with self._db.write() as conn:
            _lock_model(conn, model)
            before = _version_row(conn, model, version).stage
            conn.execute(v.update().where(v.c.model == model, v.c.version == version).values(stage=stage))
            change = StageChange(id=0, model=model, version=version, from_stage=before, to_stage=stage, forced=forced,
                                 reason=reason, changed_by=changed_by, changed_at=utcnow())
            values = {k: v for k, v in asdict(change).items() if k != "id"}
            key = conn.execute(t.stage_history.insert(), values).inserted_primary_key
        return replace(change, id=int(key[0]) if key else 0)

    def stage_history(self, model: str, version: int | None = None) -> list[StageChange]:
        h = t.stage_history
        query = sa.select(h).where(h.c.model == model).order_by(h.c.id)
        if version is not None:
            query = query.where(h.c.version == version)
        with self._db.read() as conn:
            return [as_record(StageChange, row) for row in conn.execute(query)]

    # -------------------------------------------------------------- blessing
    def add_blessing_report(self, report: BlessingRecord) -> None:
        with self._db.write() as conn:
            _version_row(conn, report.model, report.version)
            conn.execute(t.blessing_reports.insert(), asdict(report))

    def blessing_reports(self, model: str, version: int | None = None) -> list[BlessingRecord]:
        """Blessing reports of a model (or one version), oldest first; the newest one decides."""
        b = t.blessing_reports
        query = sa.select(b).where(b.c.model == model).order_by(b.c.created_at, b.c.id)
        if version is not None:
            query = query.where(b.c.version == version)
        with self._db.read() as conn:
            return [as_record(BlessingRecord, row) for row in conn.execute(query)]


def _model_row(conn: sa.Connection, model: str, lock: bool = False) -> Any:
    query = sa.select(t.models).where(t.models.c.name == model)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFoundError(f"no model {model!r}; list them with: mloop models list")
    return row


def _lock_model(conn: sa.Connection, model: str) -> Any:
    return _model_row(conn, model, lock=True)


def _version_row(conn: sa.Connection, model: str, version: int) -> Any:
    v = t.model_versions
    row = conn.execute(sa.select(v).where(v.c.model == model, v.c.version == version)).first()
    if row is None:
        latest = _model_row(conn, model).latest_version
        raise NotFoundError(f"model {model!r} has no version {version} (versions: 1..{latest}); "
                            f"list them with: mloop models show {model}")
    return row


def _alias_version(conn: sa.Connection, model: str, alias: str) -> int | None:
    a = t.aliases
    value = conn.execute(sa.select(a.c.version).where(a.c.model == model, a.c.alias == alias)).scalar()
    return int(value) if value is not None else None


def _apply_alias(conn: sa.Connection, model: str, alias: str, current: int | None, version: int | None,
                 action: str, changed_by: str, reason: str, forced: bool) -> AliasChange:
    a = t.aliases
    now = utcnow()
    where = (a.c.model == model, a.c.alias == alias)
    if version is None:
        conn.execute(a.delete().where(*where))
    elif current is None:
        conn.execute(a.insert(), {"model": model, "alias": alias, "version": version, "updated_at": now})
    else:
        conn.execute(a.update().where(*where).values(version=version, updated_at=now))
    change = AliasChange(id=0, model=model, alias=alias, from_version=current, to_version=version, action=action,
                         forced=forced, reason=reason, changed_by=changed_by, changed_at=now)
    values = {k: v for k, v in asdict(change).items() if k != "id"}
    key = conn.execute(t.alias_history.insert(), values).inserted_primary_key
    return replace(change, id=int(key[0]) if key else 0)
