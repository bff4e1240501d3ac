"""TrackingStore over the shared SQL database: metric points, latest metrics, params, tags, logged
artifacts and run search."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, fields
from functools import partial
from typing import Any

import sqlalchemy as sa

from mloop.core.clock import as_utc
from mloop.stores.metadata import schema as t
from mloop.stores.metadata.database import Database, driver_rows
from mloop.stores.metadata.records import ArtifactRecord, LineageEdge, RunRecord
from mloop.stores.metadata.run_query import RunQuery, compile_count, compile_query
from mloop.stores.metadata.tracking_records import (
    MetricHistory,
    MetricRow,
    RunValues,
    SearchTable,
    TrackingBatch,
)

_IN_CHUNK = 5000  # ids per IN (...) list, well under SQLite's limit on bound parameters
LOGGED_PREFIX = "logged/"  # lineage name of an artifact a step logged (never clashes with an output)


class SqlTrackingStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    # ------------------------------------------------------------------ writes
    def log_batch(self, batch: TrackingBatch) -> None:
        """Store metric points (one chunk per run, step run and key), keep the latest value per
        (run, key), upsert params and tags: one transaction. A param or tag logged again replaces it."""
        if not len(batch):
            return
        chunks, latest = _chunks(batch.metrics)
        params = {(r[0], r[2]): {"run_id": r[0], "step_run_id": r[1], "key": r[2], "value": r[3]} for r in batch.params}
        tags = {(r[0], r[1]): {"run_id": r[0], "key": r[1], "value": r[2]} for r in batch.tags}
        with self._db.write() as conn:
            if chunks:
                conn.execute(t.metric_chunks.insert(), chunks)
                conn.execute(self._upsert_latest(), latest)
            if params:
                conn.execute(self._upsert(t.params, ("step_run_id", "value")), list(params.values()))
            if tags:
                conn.execute(self._upsert(t.tags, ("value",)), list(tags.values()))

    def record_logged_artifact(self, run_id: str, step_run_id: str | None, name: str,
                               artifact: ArtifactRecord) -> None:
        """Attach `artifact` to a run under `name` (replacing an earlier one of that name); logged
        in a step, it is also a lineage "out" edge of the step run, named "logged/<name>"."""
        ra, lineage = t.run_artifacts, t.lineage
        with self._db.write() as conn:
            conn.execute(self._db.insert_ignore(t.artifacts), asdict(artifact))
            conn.execute(ra.delete().where(ra.c.run_id == run_id, ra.c.name == name))
            conn.execute(ra.insert(), {"run_id": run_id, "name": name, "step_run_id": step_run_id,
                                       "artifact_id": artifact.id, "created_at": artifact.created_at})
            if step_run_id:
                edge = LineageEdge(step_run_id, "out", LOGGED_PREFIX + name, artifact.id, run_id)
                conn.execute(lineage.delete().where(lineage.c.step_run_id == step_run_id,
                                                    lineage.c.direction == "out", lineage.c.name == edge.name))
                conn.execute(lineage.insert(), asdict(edge))

    # ------------------------------------------------------------------- reads
    def search_runs(self, query: RunQuery) -> list[RunRecord]:
        """Runs matching `query`, in its order, in one SQL query."""
        with self._db.read() as conn:
            rows = conn.execute(compile_query(query)).all()
        return [_run_record(row) for row in rows]

    def search_table(self, query: RunQuery) -> SearchTable:
        """The runs matching `query` (summary columns only) and all their tracked values, as rows;
        two queries in one read transaction, no per-row work here."""
        r = t.runs.c
        # times as the driver gives them (text on SQLite): the caller converts the whole column at once
        summary = (r.id, r.pipeline, r.kind, r.status, sa.type_coerce(r.started_at, sa.Text).label("started_at"),
                   sa.type_coerce(r.ended_at, sa.Text).label("ended_at"))
        db = self._db
        with db.read() as conn:
            runs = [tuple(row) for row in conn.execute(compile_query(query, summary)).all()]
            # the ids go in as one bound array (rendering 1,000 bound ids costs more than the query)
            ids = [row[0] for row in runs]
            statement = db.statement(("values-of-ids", db.dialect), partial(_values_of_ids, db.dialect))
            if db.dialect == "sqlite":  # ~10 rows per run: straight from the driver, no Row objects
                sql = db.statement(("values-of-ids-sql",), lambda: str(statement.compile(dialect=conn.dialect)))
                found = driver_rows(conn, sql, (json.dumps(ids),) * sql.count("?"))
            else:
                found = [tuple(row) for row in conn.execute(statement, {"ids": ids}).all()]
        return SearchTable(runs, found)

    def count_runs(self, query: RunQuery) -> int:
        """How many runs match `query` (a listing's total), in one SQL query."""
        with self._db.read() as conn:
            return int(conn.execute(compile_count(query)).scalar_one())

    def run_values(self, run_ids: Sequence[str]) -> dict[str, RunValues]:
        """Params, tags and latest metrics of these runs (a run without any is left out)."""
        found: dict[str, RunValues] = {}
        with self._db.read() as conn:
            for ids in _id_lists(run_ids):
                for run_id, kind, key, number, text in conn.execute(_values_query(ids)).all():  # one fetchall
                    values = found.setdefault(run_id, RunValues())
                    if kind == "m":
                        values.metrics[key] = float("nan") if number is None else number
                    elif kind == "p":
                        values.params[key] = text
                    else:
                        values.tags[key] = text
        return found

    def metric_history(self, run_id: str, key: str) -> MetricHistory:
        """Every point of metric `key` of a run, ordered by step then time (empty if none)."""
        import numpy as np

        c = t.metric_chunks
        query = (sa.select(c.c.step_run_id, c.c.count, c.c.steps, c.c["values"], c.c.timestamps)
                 .where(c.c.run_id == run_id, c.c.key == key).order_by(c.c.id))
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        steps = np.concatenate([np.frombuffer(r.steps, "<i8") for r in rows] or [np.empty(0, "<i8")])
        values = np.concatenate([np.frombuffer(r[3], "<f8") for r in rows] or [np.empty(0, "<f8")])
        stamps = np.concatenate([np.frombuffer(r.timestamps, "<f8") for r in rows] or [np.empty(0, "<f8")])
        owners = np.repeat(np.array([r.step_run_id for r in rows], dtype=object), [r[1] for r in rows])
        order = np.lexsort((stamps, steps))
        return MetricHistory(steps[order], values[order], stamps[order], owners[order].tolist())

    def logged_artifacts(self, run_id: str) -> dict[str, tuple[ArtifactRecord, str | None]]:
        """name -> (artifact, step run that logged it or None) for a run's logged artifacts."""
        ra = t.run_artifacts
        query = (sa.select(ra.c.name, ra.c.step_run_id.label("logged_by"), t.artifacts)
                 .join(t.artifacts, t.artifacts.c.id == ra.c.artifact_id)
                 .where(ra.c.run_id == run_id).order_by(ra.c.name))
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        result = {}
        for row in rows:
            values = dict(row._mapping)
            values["created_at"] = as_utc(values["created_at"])
            result[values["name"]] = (ArtifactRecord(**{f.name: values[f.name] for f in fields(ArtifactRecord)}),
                                      values["logged_by"])
        return result

    # ----------------------------------------------------------------- helpers
    def _upsert_latest(self) -> Any:
        insert = self._db.insert(t.latest_metrics)
        new, old = insert.excluded, t.latest_metrics.c
        newer = sa.or_(new.step > old.step, sa.and_(new.step == old.step, new.timestamp >= old.timestamp))
        return insert.on_conflict_do_update(
            index_elements=["run_id", "key"],
            set_={c: new[c] for c in ("step_run_id", "value", "step", "timestamp")}, where=newer)

    def _upsert(self, table: sa.Table, columns: tuple[str, ...]) -> Any:
        insert = self._db.insert(table)
        return insert.on_conflict_do_update(index_elements=["run_id", "key"],
                                            set_={c: insert.excluded[c] for c in columns})



def _chunks(rows: list[MetricRow]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Points grouped into one chunk row per (run, step run, key), and the newest point (highest
    step, then latest time) per (run, key)."""
    import numpy as np

    groups: dict[tuple[str, str | None, str], list[MetricRow]] = {}
    for row in rows:
        group = groups.get(row[:3])
        if group is None:
            groups[row[:3]] = [row]
        else:
            group.append(row)
    chunks: list[dict[str, Any]] = []
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for (run_id, step_run_id, key), group in groups.items():
        _, _, _, values, steps, stamps = zip(*group, strict=True)
        step_array, stamp_array = np.array(steps, "<i8"), np.array(stamps, "<f8")
        newest = int(np.lexsort((stamp_array, step_array))[-1])
        chunks.append({
            "run_id": run_id, "step_run_id": step_run_id, "key": key, "count": len(group),
            "first_step": int(step_array.min()), "last_step": int(step_array.max()),
            "steps": step_array.tobytes(), "values": np.array(values, "<f8").tobytes(), "timestamps": stamp_array.tobytes(),
        })
        point = group[newest]
        seen = latest.get((run_id, key))
        if seen is None or (point[4], point[5]) >= (seen["step"], seen["timestamp"]):
            value = point[3] if point[3] == point[3] else None  # NaN is NULL in SQL
            latest[(run_id, key)] = {"run_id": run_id, "key": key, "step_run_id": step_run_id, "value": value,
                                     "step": point[4], "timestamp": point[5]}
    return chunks, list(latest.values())


def _values_of_ids(dialect: str) -> Any:
    """`_values_query` for the ids bound as `ids`: a JSON array on SQLite, an array on PostgreSQL."""
    if dialect == "sqlite":
        ids: Any = sa.select(sa.column("value", sa.Text)).select_from(
            sa.func.json_each(sa.bindparam("ids", type_=sa.Text)))
        return _values_query(ids)
    from sqlalchemy.dialects.postgresql import ARRAY

    lm, p, g = t.latest_metrics, t.params, t.tags
    any_id = sa.any_(sa.bindparam("ids", type_=ARRAY(sa.Text)))
    no_text, no_number = sa.cast(sa.null(), sa.Text), sa.cast(sa.null(), sa.Double)
    return sa.union_all(
        sa.select(lm.c.run_id, sa.literal_column("'m'"), lm.c.key, lm.c.value, no_text).where(lm.c.run_id == any_id),
        sa.select(p.c.run_id, sa.literal_column("'p'"), p.c.key, no_number, p.c.value).where(p.c.run_id == any_id),
        sa.select(g.c.run_id, sa.literal_column("'t'"), g.c.key, no_number, g.c.value).where(g.c.run_id == any_id),
    )


def _values_query(run_ids: list[str] | sa.Select[Any]) -> Any:
    lm, p, g = t.latest_metrics, t.params, t.tags
    no_text, no_number = sa.cast(sa.null(), sa.Text), sa.cast(sa.null(), sa.Double)
    return sa.union_all(
        sa.select(lm.c.run_id, sa.literal_column("'m'"), lm.c.key, lm.c.value, no_text).where(lm.c.run_id.in_(run_ids)),
        sa.select(p.c.run_id, sa.literal_column("'p'"), p.c.key, no_number, p.c.value).where(p.c.run_id.in_(run_ids)),
        sa.select(g.c.run_id, sa.literal_column("'t'"), g.c.key, no_number, g.c.value).where(g.c.run_id.in_(run_ids)),
    )


def _id_lists(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield list(values[start:start + _IN_CHUNK])


_RUN_FIELDS = [f.name for f in fields(RunRecord)]


def _run_record(row: Any) -> RunRecord:
    values = row._mapping
    record = RunRecord(**{name: values[name] for name in _RUN_FIELDS})
    for name in ("created_at", "started_at", "ended_at", "heartbeat_at"):
        setattr(record, name, as_utc(getattr(record, name)))
    return record
