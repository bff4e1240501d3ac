"""The SQL metadata store (SQLAlchemy Core): SQLite by default, PostgreSQL for teams."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import Any, TypeVar

import sqlalchemy as sa

from mloop.core.clock import as_utc
from mloop.core.errors import ConflictError, NotFoundError, ValidationError
from mloop.stores.metadata import schema as t
from mloop.stores.metadata.engine import Database, redact, translate_errors
from mloop.stores.metadata.records import (
    ArtifactRecord,
    LineageEdge,
    RunRecord,
    StepExecutionRecord,
    StepRunRecord,
)
from mloop.stores.metadata.registry_sql import SqlRegistryMixin
from mloop.stores.metadata.tracking_records import MAX_VALUE_CHARS, as_text
from mloop.stores.metadata.tracking_sql import TrackingSql

R = TypeVar("R")
_TIME_FIELDS = {"created_at", "started_at", "ended_at", "heartbeat_at"}


class SqlMetadataStore(TrackingSql, SqlRegistryMixin):
    """MetadataStore over SQLAlchemy Core. The constructor does no I/O; the first call connects.
    Tracking (metrics, params, tags, run search) is in tracking_sql.py, the model registry in registry_sql.py."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._database = Database(url)
        #: statements built once (building one costs about as much as running it on SQLite)
        self._statements: dict[Any, Any] = {}

    def __repr__(self) -> str:
        return f"SqlMetadataStore({redact(self.url)!r})"

    @property
    def engine(self) -> sa.Engine:
        return self._database.engine

    @property
    def dialect(self) -> str:
        return self._database.reader().dialect.name

    def close(self) -> None:
        self._database.dispose()

    def check_writable(self) -> None:
        self._database.check_writable()

    def _write(self) -> Any:
        return self._database.writer().begin()

    def _read(self) -> Any:
        return self._database.reader().connect()

    def _insert_ignore(self, table: sa.Table) -> Any:
        statement = self._statements.get(("insert-ignore", table.name))
        if statement is None:
            if self.dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                statement = pg_insert(table).on_conflict_do_nothing()
            else:
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert

                statement = sqlite_insert(table).on_conflict_do_nothing()
            self._statements[("insert-ignore", table.name)] = statement
        return statement

    # ------------------------------------------------------------------ runs
    def create_run(self, run: RunRecord, step_runs: Sequence[StepRunRecord]) -> None:
        """Record a run (and its pipeline or experiment, once); its parameters also become its
        searchable params (`params.<name>`)."""
        group = {"name": run.pipeline, "description": run.options.get("description", ""), "created_at": run.created_at}
        params = [{"run_id": run.id, "key": key, "value": as_text(value)} for key, value in run.params.items()]
        with translate_errors(self.url), self._write() as conn:
            if run.kind == "experiment":
                conn.execute(self._insert_ignore(t.experiments), group)
            else:
                conn.execute(self._insert_ignore(t.pipelines), {**group, "updated_at": run.created_at})
            conn.execute(t.runs.insert(), _row(run))
            if params := [p for p in params if len(p["value"]) <= MAX_VALUE_CHARS]:
                conn.execute(t.params.insert(), params)
            if step_runs:
                conn.execute(t.step_runs.insert(), [_row(s) for s in step_runs])

    def update_run(self, run_id: str, **values: Any) -> None:
        with translate_errors(self.url), self._write() as conn:
            conn.execute(t.runs.update().where(t.runs.c.id == run_id).values(**values))

    def get_run(self, run_id: str) -> RunRecord:
        with translate_errors(self.url), self._read() as conn:
            row = self._by_prefix(conn, t.runs, run_id, "run", "mloop runs list")
        return _record(RunRecord, row)

    def list_runs(self, pipeline: str | None = None, status: str | None = None, limit: int = 50) -> list[RunRecord]:
        query = sa.select(t.runs).order_by(t.runs.c.created_at.desc(), t.runs.c.id.desc()).limit(limit)
        if pipeline:
            query = query.where(t.runs.c.pipeline == pipeline)
        if status:
            query = query.where(t.runs.c.status == status)
        with translate_errors(self.url), self._read() as conn:
            return [_record(RunRecord, row) for row in conn.execute(query)]

    def running_runs(self) -> list[RunRecord]:
        return self.list_runs(status="running", limit=10_000)

    def mark_run_interrupted(self, run_id: str, reason: str) -> bool:
        """Mark a run that died without saying so; False when it is no longer running."""
        from mloop.core.clock import utcnow

        now = utcnow()
        with translate_errors(self.url), self._write() as conn:
            changed = conn.execute(
                t.runs.update().where(t.runs.c.id == run_id, t.runs.c.status == "running")
                .values(status="interrupted", ended_at=now, error=reason)
            ).rowcount
            if changed:
                conn.execute(
                    t.step_runs.update()
                    .where(t.step_runs.c.run_id == run_id, t.step_runs.c.status == "running")
                    .values(status="failed", ended_at=now, error=reason)
                )
        return bool(changed)

    def put_environment(self, env_id: str, data: dict[str, Any]) -> None:
        # Nearly always known already: a read takes no write lock from the steps' bookkeeping.
        with translate_errors(self.url), self._read() as conn:
            if conn.execute(sa.select(t.environments.c.id).where(t.environments.c.id == env_id)).first():
                return
        with translate_errors(self.url), self._write() as conn:
            conn.execute(self._insert_ignore(t.environments), {"id": env_id, "data": data})

    def get_environment(self, env_id: str) -> dict[str, Any]:
        with translate_errors(self.url), self._read() as conn:
            row = conn.execute(sa.select(t.environments.c.data).where(t.environments.c.id == env_id)).first()
        if row is None:
            raise NotFoundError(f"no environment {env_id[:12]}")
        return dict(row[0])

    # ------------------------------------------------------------- step runs
    def step_runs(self, run_id: str) -> list[StepRunRecord]:
        query = sa.select(t.step_runs).where(t.step_runs.c.run_id == run_id)
        with translate_errors(self.url), self._read() as conn:
            rows = conn.execute(query.order_by(t.step_runs.c.id)).all()
        return [_record(StepRunRecord, row) for row in rows]

    def start_execution(self, execution: StepExecutionRecord, lost_reason: str) -> list[StepExecutionRecord]:
        """Record an execution starting; returns the step run's earlier executions. Dask starts an
        attempt again only when the worker running it died, so an earlier execution of the same
        attempt still 'running' is marked lost (with `lost_reason`), in the same transaction."""
        e = t.step_executions
        with translate_errors(self.url), self._write() as conn:
            conn.execute(e.update().where(e.c.step_run_id == execution.step_run_id, e.c.attempt == execution.attempt,
                                          e.c.status == "running")
                         .values(status="lost", error=lost_reason, ended_at=execution.started_at))
            earlier = conn.execute(sa.select(e).where(e.c.step_run_id == execution.step_run_id)
                                   .order_by(e.c.started_at)).all()
            conn.execute(e.insert(), _row(execution))
        return [_record(StepExecutionRecord, row) for row in earlier]

    def end_execution(self, execution_id: str, status: str, error: str | None = None) -> None:
        from mloop.core.clock import utcnow

        with translate_errors(self.url), self._write() as conn:
            conn.execute(t.step_executions.update().where(t.step_executions.c.id == execution_id)
                         .values(status=status, error=error, ended_at=utcnow()))

    def mark_lost_executions(self, step_run_id: str, reason: str) -> int:
        """Executions of a step still 'running' once it is over: their worker died."""
        from mloop.core.clock import utcnow

        e = t.step_executions
        with translate_errors(self.url), self._write() as conn:
            return int(conn.execute(e.update().where(e.c.step_run_id == step_run_id, e.c.status == "running")
                                    .values(status="lost", error=reason, ended_at=utcnow())).rowcount)

    def step_executions(self, step_run_ids: Sequence[str]) -> list[StepExecutionRecord]:
        if not step_run_ids:
            return []
        e = t.step_executions
        query = sa.select(e).where(e.c.step_run_id.in_(list(step_run_ids))).order_by(e.c.started_at)
        with translate_errors(self.url), self._read() as conn:
            return [_record(StepExecutionRecord, row) for row in conn.execute(query)]

    def get_step_runs_by_id(self, ids: Sequence[str]) -> list[StepRunRecord]:
        if not ids:
            return []
        with translate_errors(self.url), self._read() as conn:
            rows = conn.execute(sa.select(t.step_runs).where(t.step_runs.c.id.in_(list(ids)))).all()
        return [_record(StepRunRecord, row) for row in rows]

    def get_step_run(self, run_id: str, node: str) -> StepRunRecord:
        query = sa.select(t.step_runs).where(t.step_runs.c.run_id == run_id, t.step_runs.c.node == node)
        with translate_errors(self.url), self._read() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFoundError(f"run {run_id} has no step {node!r}; see its steps with: mloop runs show {run_id}")
        return _record(StepRunRecord, row)

    def update_step_run(self, step_run_id: str, **values: Any) -> None:
        with translate_errors(self.url), self._write() as conn:
            conn.execute(t.step_runs.update().where(t.step_runs.c.id == step_run_id).values(**values))

    def finish_step_run(self, step_run_id: str, values: dict[str, Any], artifacts: Iterable[ArtifactRecord],
                        edges: Iterable[LineageEdge]) -> None:
        self.apply_step_updates([(step_run_id, values)], artifacts, edges)

    def apply_step_updates(self, updates: Sequence[tuple[str, dict[str, Any]]], artifacts: Iterable[ArtifactRecord],
                           edges: Iterable[LineageEdge]) -> None:
        """Several step-run changes with their artifacts and lineage edges, in one transaction."""
        artifact_rows = [_row(a) for a in artifacts]
        edge_rows = [_row(e) for e in edges]
        with translate_errors(self.url), self._write() as conn:
            if artifact_rows:
                conn.execute(self._insert_ignore(t.artifacts), artifact_rows)
            if edge_rows:
                conn.execute(self._insert_ignore(t.lineage), edge_rows)
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for step_run_id, values in updates:
                groups.setdefault(tuple(sorted(values)), []).append({"_id": step_run_id, **values})
            for columns, rows in groups.items():  # one executemany per shape of change
                statement = self._statements.get(("update-step-runs", columns))
                if statement is None:
                    statement = self._statements[("update-step-runs", columns)] = (
                        t.step_runs.update().where(t.step_runs.c.id == sa.bindparam("_id"))
                        .values({c: sa.bindparam(c) for c in columns}))
                conn.execute(statement, rows)

    def find_cached(self, cache_key: str) -> tuple[StepRunRecord, dict[str, ArtifactRecord]] | None:
        return self.find_cached_many([cache_key]).get(cache_key)

    def find_cached_many(self, cache_keys: Sequence[str]) -> dict[str, tuple[StepRunRecord, dict[str, ArtifactRecord]]]:
        """The newest successful execution (not a cache hit) per key, with its output artifacts."""
        found: dict[str, tuple[StepRunRecord, dict[str, ArtifactRecord]]] = {}
        with translate_errors(self.url), self._read() as conn:
            for key in cache_keys:
                rows = conn.execute(_NEWEST_EXECUTION, {"key": key}).all()
                if rows:
                    record = _record(StepRunRecord, {c: rows[0]._mapping["s_" + c] for c in _STEP_FIELDS})
                    outputs = {
                        row._mapping["output_name"]: _record(
                            ArtifactRecord, {c: row._mapping["a_" + c] for c in _ARTIFACT_FIELDS})
                        for row in rows
                    }
                    found[key] = (record, outputs)
        return found

    def _outputs(self, conn: sa.Connection, step_run_ids: list[str]) -> dict[str, dict[str, ArtifactRecord]]:
        query = (
            sa.select(t.lineage.c.step_run_id, t.lineage.c.name.label("output_name"), t.artifacts)
            .join(t.artifacts, t.artifacts.c.id == t.lineage.c.artifact_id)
            .where(t.lineage.c.step_run_id.in_(step_run_ids), t.lineage.c.direction == "out")
        )
        result: dict[str, dict[str, ArtifactRecord]] = {}
        for row in conn.execute(query):
            values = row._mapping
            artifact = _record(ArtifactRecord, values)
            result.setdefault(values["step_run_id"], {})[values["output_name"]] = artifact
        return result

    def last_step_run(self, pipeline: str, node: str) -> StepRunRecord | None:
        s, r = t.step_runs, t.runs
        query = (
            sa.select(s).join(r, r.c.id == s.c.run_id)
            .where(r.c.pipeline == pipeline, s.c.node == node, s.c.cache_key.is_not(None),
                   s.c.status.in_(("succeeded", "cached")))
            .order_by(s.c.ended_at.desc()).limit(1)
        )
        with translate_errors(self.url), self._read() as conn:
            row = conn.execute(query).first()
        return _record(StepRunRecord, row) if row else None

    # ---------------------------------------------------- artifacts, lineage
    def record_artifact(self, artifact: ArtifactRecord) -> None:
        with translate_errors(self.url), self._write() as conn:
            conn.execute(self._insert_ignore(t.artifacts), _row(artifact))

    def get_artifact(self, artifact_id: str) -> ArtifactRecord:
        with translate_errors(self.url), self._read() as conn:
            row = self._by_prefix(conn, t.artifacts, artifact_id, "artifact", "mloop artifacts list")
        return _record(ArtifactRecord, row)

    def get_artifacts(self, artifact_ids: Sequence[str]) -> dict[str, ArtifactRecord]:
        """The records of these exact ids (missing ids are left out)."""
        if not artifact_ids:
            return {}
        with translate_errors(self.url), self._read() as conn:
            rows = conn.execute(sa.select(t.artifacts).where(t.artifacts.c.id.in_(list(artifact_ids)))).all()
        return {row.id: _record(ArtifactRecord, row) for row in rows}

    def list_artifacts(self, limit: int = 50) -> list[ArtifactRecord]:
        query = sa.select(t.artifacts).order_by(t.artifacts.c.created_at.desc()).limit(limit)
        with translate_errors(self.url), self._read() as conn:
            return [_record(ArtifactRecord, row) for row in conn.execute(query)]

    def step_run_edges(self, step_run_ids: Sequence[str]) -> list[LineageEdge]:
        return self._edges(t.lineage.c.step_run_id, step_run_ids)

    def artifact_edges(self, artifact_ids: Sequence[str]) -> list[LineageEdge]:
        return self._edges(t.lineage.c.artifact_id, artifact_ids)

    def _edges(self, column: sa.Column[Any], values: Sequence[str]) -> list[LineageEdge]:
        if not values:
            return []
        with translate_errors(self.url), self._read() as conn:
            rows = conn.execute(sa.select(t.lineage).where(column.in_(list(values)))).all()
        return [LineageEdge(**row._mapping) for row in rows]

    # ------------------------------------------------------- data fast path
    def find_fingerprint(self, path: str, fingerprint: str) -> str | None:
        f = t.data_fingerprints
        with translate_errors(self.url), self._read() as conn:
            row = conn.execute(sa.select(f.c.artifact_id).where(f.c.path == path, f.c.fingerprint == fingerprint)).first()
        return row[0] if row else None

    def put_fingerprint(self, path: str, fingerprint: str, artifact_id: str) -> None:
        f = t.data_fingerprints
        with translate_errors(self.url), self._write() as conn:
            conn.execute(f.delete().where(f.c.path == path))
            conn.execute(f.insert(), {"path": path, "fingerprint": fingerprint, "artifact_id": artifact_id})

    # ---------------------------------------------------------------- helpers
    def _by_prefix(self, conn: sa.Connection, table: sa.Table, value: str, noun: str, hint: str) -> Any:
        row = conn.execute(sa.select(table).where(table.c.id == value)).first()
        if row is not None:
            return row
        if len(value) < 4:
            raise ValidationError(f"{noun} id {value!r} is too short; give at least 4 characters")
        rows = conn.execute(sa.select(table).where(table.c.id.startswith(value, autoescape=True)).limit(2)).all()
        if not rows:
            raise NotFoundError(f"no {noun} {value!r}; list them with: {hint}")
        if len(rows) > 1:
            raise ConflictError(f"{noun} id prefix {value!r} is ambiguous; give more characters")
        return rows[0]


_STEP_FIELDS = [f.name for f in fields(StepRunRecord)]
_ARTIFACT_FIELDS = [f.name for f in fields(ArtifactRecord)]
# One round trip for a cache lookup: the newest successful execution with a key, and its outputs.
_NEWEST_EXECUTION = (
    sa.select(
        *[t.step_runs.c[c].label("s_" + c) for c in _STEP_FIELDS],
        t.lineage.c.name.label("output_name"),
        *[t.artifacts.c[c].label("a_" + c) for c in _ARTIFACT_FIELDS],
    )
    .join(t.lineage, sa.and_(t.lineage.c.step_run_id == t.step_runs.c.id, t.lineage.c.direction == "out"))
    .join(t.artifacts, t.artifacts.c.id == t.lineage.c.artifact_id)
    .where(t.step_runs.c.id == (
        sa.select(t.step_runs.c.id)
        .where(t.step_runs.c.cache_key == sa.bindparam("key"), t.step_runs.c.status == "succeeded")
        .order_by(t.step_runs.c.ended_at.desc()).limit(1).scalar_subquery()
    ))
)


def _row(record: Any) -> dict[str, Any]:
    """A record's fields as a row, shallow: dataclasses.asdict deep-copies every nested dict,
    which costs more than the insert on the hot path."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def _record(cls: type[R], row: Any) -> R:
    values = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    for name in _TIME_FIELDS & values.keys():
        values[name] = as_utc(values[name])
    return cls(**{f.name: values[f.name] for f in fields(cls)})  # type: ignore[arg-type]
