"""RunStore over the shared SQL database: runs, step runs, executions, environments, cache lookup.
One class of ~20 short methods: they all read and write the runs and step_runs tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from functools import partial
from typing import Any

import sqlalchemy as sa

from mloop.core.clock import as_utc, utcnow
from mloop.core.errors import NotFoundError
from mloop.stores.metadata import schema as t
from mloop.stores.metadata.database import Database, as_record, as_row
from mloop.stores.metadata.records import (
    ArtifactRecord,
    LineageEdge,
    RunRecord,
    StepExecutionRecord,
    StepRunRecord,
)
from mloop.stores.metadata.runs import CachedStep, PipelineSummary
from mloop.stores.metadata.tracking_records import MAX_VALUE_CHARS, as_text


class SqlRunStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    # ------------------------------------------------------------------ runs
    def create_run(self, run: RunRecord, step_runs: Sequence[StepRunRecord]) -> None:
        """Record a run (and its pipeline or experiment, once); its parameters also become its
        searchable params (`params.<name>`)."""
        db = self._db
        group = {"name": run.pipeline, "description": run.options.get("description", ""), "created_at": run.created_at}
        params = [{"run_id": run.id, "key": key, "value": as_text(value)} for key, value in run.params.items()]
        with db.write() as conn:
            if run.kind == "experiment":
                conn.execute(db.insert_ignore(t.experiments), group)
            else:
                conn.execute(db.insert_ignore(t.pipelines), {**group, "updated_at": run.created_at})
            conn.execute(t.runs.insert(), as_row(run))
            if params := [p for p in params if len(p["value"]) <= MAX_VALUE_CHARS]:
                conn.execute(t.params.insert(), params)
            if step_runs:
                conn.execute(t.step_runs.insert(), [as_row(s) for s in step_runs])

    def update_run(self, run_id: str, **values: Any) -> None:
        with self._db.write() as conn:
            conn.execute(t.runs.update().where(t.runs.c.id == run_id).values(**values))

    def get_run(self, run_id: str) -> RunRecord:
        with self._db.read() as conn:
            row = self._db.by_prefix(conn, t.runs, run_id, "run", "mloop runs list")
        return as_record(RunRecord, row)

    def list_runs(self, pipeline: str | None = None, status: str | None = None, limit: int = 50) -> list[RunRecord]:
        """Newest first."""
        query = sa.select(t.runs).order_by(t.runs.c.created_at.desc(), t.runs.c.id.desc()).limit(limit)
        if pipeline:
            query = query.where(t.runs.c.pipeline == pipeline)
        if status:
            query = query.where(t.runs.c.status == status)
        with self._db.read() as conn:
            return [as_record(RunRecord, row) for row in conn.execute(query)]

    def running_runs(self) -> list[RunRecord]:
        return self.list_runs(status="running", limit=10_000)

    def pipeline_summaries(self) -> list[PipelineSummary]:
        """Every pipeline that has runs, by name: run counts by status and its newest run. One
        grouped scan (count and newest time per pipeline and status), then the newest runs by
        their time (indexed), whatever the number of runs."""
        r = t.runs.c
        grouped = sa.select(r.pipeline, r.status, sa.func.count(), sa.func.max(r.created_at)).group_by(r.pipeline, r.status)
        with self._db.read() as conn:
            by_pipeline: dict[str, dict[str, int]] = {}
            newest: dict[str, Any] = {}
            for pipeline, status, count, last in conn.execute(grouped):
                by_pipeline.setdefault(pipeline, {})[status] = int(count)
                newest[pipeline] = max(newest.get(pipeline, last), last)
            candidates = sa.select(r.pipeline, r.id, r.status, r.created_at, r.ended_at, r.kind).where(
                r.created_at.in_(set(newest.values()))).order_by(r.created_at.desc(), r.id.desc())
            last_runs: dict[str, Any] = {}
            for row in conn.execute(candidates) if newest else ():
                if row.pipeline not in last_runs and row.created_at == newest[row.pipeline]:
                    last_runs[row.pipeline] = row
        return [PipelineSummary(name, sum(statuses.values()), statuses, last_runs[name].id, last_runs[name].status,
                                as_utc(last_runs[name].created_at), as_utc(last_runs[name].ended_at),
                                last_runs[name].kind)
                for name, statuses in sorted(by_pipeline.items()) if name in last_runs]

    def mark_run_interrupted(self, run_id: str, reason: str) -> bool:
        """Mark a run that died without saying so, and its running steps failed; False when it is
        no longer running."""
        now = utcnow()
        with self._db.write() as conn:
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
        with self._db.read() as conn:
            if conn.execute(sa.select(t.environments.c.id).where(t.environments.c.id == env_id)).first():
                return
        with self._db.write() as conn:
            conn.execute(self._db.insert_ignore(t.environments), {"id": env_id, "data": data})

    def get_environment(self, env_id: str) -> dict[str, Any]:
        with self._db.read() as conn:
            row = conn.execute(sa.select(t.environments.c.data).where(t.environments.c.id == env_id)).first()
        if row is None:
            raise NotFoundError(f"no environment {env_id[:12]}")
        return dict(row[0])

    # ------------------------------------------------------------- step runs
    def step_runs(self, run_id: str) -> list[StepRunRecord]:
        query = sa.select(t.step_runs).where(t.step_runs.c.run_id == run_id)
        with self._db.read() as conn:
            rows = conn.execute(query.order_by(t.step_runs.c.id)).all()
        return [as_record(StepRunRecord, row) for row in rows]

    def get_step_runs_by_id(self, ids: Sequence[str]) -> list[StepRunRecord]:
        """The step runs of these exact ids (unknown ids are left out)."""
        if not ids:
            return []
        with self._db.read() as conn:
            rows = conn.execute(sa.select(t.step_runs).where(t.step_runs.c.id.in_(list(ids)))).all()
        return [as_record(StepRunRecord, row) for row in rows]

    def apply_step_updates(self, updates: Sequence[tuple[str, dict[str, Any]]], artifacts: Iterable[ArtifactRecord],
                           edges: Iterable[LineageEdge]) -> None:
        """Several step-run changes with their artifacts and lineage edges, in one transaction."""
        db = self._db
        artifact_rows = [as_row(a) for a in artifacts]
        edge_rows = [as_row(e) for e in edges]
        with db.write() as conn:
            if artifact_rows:
                db.execute_many(conn, ("insert-ignore", "artifacts"), lambda: db.insert_ignore(t.artifacts),
                                t.artifacts, artifact_rows)
            if edge_rows:
                db.execute_many(conn, ("insert-ignore", "lineage"), lambda: db.insert_ignore(t.lineage),
                                t.lineage, edge_rows)
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for step_run_id, values in updates:
                groups.setdefault(tuple(sorted(values)), []).append({"_id": step_run_id, **values})
            for columns, rows in groups.items():  # one executemany per shape of change
                db.execute_many(conn, ("update-step-runs", columns), partial(_update_step_runs, columns),
                                t.step_runs, rows)

    def find_cached(self, cache_key: str) -> CachedStep | None:
        return self.find_cached_many([cache_key]).get(cache_key)

    def find_cached_many(self, cache_keys: Sequence[str]) -> dict[str, CachedStep]:
        """The newest successful execution (not a cache hit) per key, with its output artifacts;
        keys without one are left out."""
        found: dict[str, CachedStep] = {}
        with self._db.read() as conn:
            for key in cache_keys:
                rows = conn.execute(_NEWEST_EXECUTION, {"key": key}).all()
                if rows:
                    record = as_record(StepRunRecord, {c: rows[0]._mapping["s_" + c] for c in _STEP_FIELDS})
                    outputs = {
                        row._mapping["output_name"]: as_record(
                            ArtifactRecord, {c: row._mapping["a_" + c] for c in _ARTIFACT_FIELDS})
                        for row in rows
                    }
                    found[key] = (record, outputs)
        return found

    def last_step_run(self, pipeline: str, node: str) -> StepRunRecord | None:
        """The newest finished step run of `node` in `pipeline` that has a cache key, or None."""
        s, r = t.step_runs, t.runs
        query = (
            sa.select(s).join(r, r.c.id == s.c.run_id)
            .where(r.c.pipeline == pipeline, s.c.node == node, s.c.cache_key.is_not(None),
                   s.c.status.in_(("succeeded", "cached")))
            .order_by(s.c.ended_at.desc()).limit(1)
        )
        with self._db.read() as conn:
            row = conn.execute(query).first()
        return as_record(StepRunRecord, row) if row else None

    # ------------------------------------------------------------ executions
    def start_execution(self, execution: StepExecutionRecord, lost_reason: str) -> list[StepExecutionRecord]:
        """Record an execution starting; returns the step run's earlier executions. Dask starts an
        attempt again only when the worker running it died, so an earlier execution of the same
        attempt still 'running' is marked lost (with `lost_reason`), in the same transaction."""
        e = t.step_executions
        with self._db.write() as conn:
            conn.execute(e.update().where(e.c.step_run_id == execution.step_run_id, e.c.attempt == execution.attempt,
                                          e.c.status == "running")
                         .values(status="lost", error=lost_reason, ended_at=execution.started_at))
            earlier = conn.execute(sa.select(e).where(e.c.step_run_id == execution.step_run_id)
                                   .order_by(e.c.started_at)).all()
            conn.execute(e.insert(), as_row(execution))
        return [as_record(StepExecutionRecord, row) for row in earlier]

    def end_execution(self, execution_id: str, status: str, error: str | None = None) -> None:
        with self._db.write() as conn:
            conn.execute(t.step_executions.update().where(t.step_executions.c.id == execution_id)
                         .values(status=status, error=error, ended_at=utcnow()))

    def mark_lost_executions(self, step_run_id: str, reason: str) -> int:
        """Executions of a step still 'running' once it is over: their worker died."""
        e = t.step_executions
        with self._db.write() as conn:
            return int(conn.execute(e.update().where(e.c.step_run_id == step_run_id, e.c.status == "running")
                                    .values(status="lost", error=reason, ended_at=utcnow())).rowcount)

    def step_executions(self, step_run_ids: Sequence[str]) -> list[StepExecutionRecord]:
        if not step_run_ids:
            return []
        e = t.step_executions
        query = sa.select(e).where(e.c.step_run_id.in_(list(step_run_ids))).order_by(e.c.started_at)
        with self._db.read() as conn:
            return [as_record(StepExecutionRecord, row) for row in conn.execute(query)]


def _update_step_runs(columns: tuple[str, ...]) -> Any:
    return (t.step_runs.update().where(t.step_runs.c.id == sa.bindparam("_id"))
            .values({c: sa.bindparam(c) for c in columns}))


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
