"""PredictionStore over the shared SQL database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from mloop.core.clock import as_utc
from mloop.stores.metadata import schema as t
from mloop.stores.metadata.database import Database, as_row
from mloop.stores.metadata.predictions import (
    LABEL_COLUMNS,
    PREDICTION_COLUMNS,
    PredictionRecord,
    PredictionSegment,
)

#: request ids per IN (...) list: well under every driver's parameter limit
_CHUNK = 500


class SqlPredictionStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    def add_predictions(self, columns: Mapping[str, Sequence[Any]]) -> None:
        values = _columns(columns, PREDICTION_COLUMNS)
        if not values["request_id"]:
            return
        table = t.prediction_log
        with self._db.write() as conn:
            self._db.execute_columns(conn, "add-predictions",
                                     lambda: self._db.insert(table).on_conflict_do_nothing(), table, values)

    def get_prediction(self, request_id: str) -> PredictionRecord | None:
        p = t.prediction_log
        with self._db.read() as conn:
            row = conn.execute(sa.select(p).where(p.c.request_id == request_id)).first()
        if row is None:
            return None
        values = dict(row._mapping)
        values["time"] = as_utc(values["time"])
        return PredictionRecord(**values)

    def logged_request_ids(self, request_ids: Sequence[str]) -> set[str]:
        p = t.prediction_log
        ids = list(dict.fromkeys(request_ids))
        found: set[str] = set()
        with self._db.read() as conn:
            for start in range(0, len(ids), _CHUNK):
                query = sa.select(p.c.request_id).where(p.c.request_id.in_(ids[start:start + _CHUNK]))
                found.update(conn.execute(query).scalars())
        return found

    def prediction_rows(self, *, model: str | None = None, version: int | None = None,
                        deployment: str | None = None, since: datetime | None = None,
                        until: datetime | None = None, limit: int | None = None) -> dict[str, list[Any]]:
        p = t.prediction_log
        query = sa.select(*(p.c[name] for name in PREDICTION_COLUMNS)).order_by(p.c.time.desc(), p.c.request_id)
        for column, value in ((p.c.model, model), (p.c.version, version), (p.c.deployment, deployment)):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(p.c.time >= since)
        if until is not None:
            query = query.where(p.c.time <= until)
        if limit is not None:
            query = query.limit(limit)
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        columns: dict[str, list[Any]] = {name: list(values) for name, values in
                                         zip(PREDICTION_COLUMNS, zip(*rows, strict=True) if rows else
                                             ([] for _ in PREDICTION_COLUMNS), strict=True)}
        columns["time"] = [as_utc(value) for value in columns["time"]]
        return columns

    def add_segment(self, segment: PredictionSegment) -> None:
        with self._db.write() as conn:
            conn.execute(self._db.insert_ignore(t.prediction_segments), as_row(segment))

    def replace_segments(self, compacted: PredictionSegment, replaced: Sequence[str]) -> None:
        s = t.prediction_segments
        with self._db.write() as conn:
            conn.execute(self._db.insert_ignore(s), as_row(compacted))
            conn.execute(s.delete().where(s.c.id.in_(list(replaced)), s.c.id != compacted.id))

    def segments(self, *, model: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> list[PredictionSegment]:
        s = t.prediction_segments
        query = sa.select(s).order_by(s.c.min_time, s.c.id)
        if model is not None:
            query = query.where(s.c.model == model)
        if since is not None:
            query = query.where(s.c.max_time >= since)
        if until is not None:
            query = query.where(s.c.min_time <= until)
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        segments = []
        for row in rows:
            values = dict(row._mapping)
            for name in ("min_time", "max_time", "created_at"):
                values[name] = as_utc(values[name])
            segments.append(PredictionSegment(**values))
        return segments

    def add_labels(self, columns: Mapping[str, Sequence[Any]]) -> None:
        from mloop.core.clock import utcnow

        values = _columns(columns, LABEL_COLUMNS)
        if not values["label"]:
            return
        values["created_at"] = [utcnow()] * len(values["label"])
        table = t.prediction_labels
        with self._db.write() as conn:
            self._db.execute_columns(conn, "add-labels", table.insert, table, values)

    def labels_of(self, request_ids: Sequence[str]) -> dict[str, str]:
        ids = list(dict.fromkeys(request_ids))
        found: dict[str, str] = {}
        with self._db.read() as conn:
            # Plain driver SQL: SQLAlchemy's per-value work on IN lists cost ~1.4 µs an id (a
            # monitor's window of a million predictions: seconds); the driver's is a tenth of it.
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            table = conn.dialect.identifier_preparer.format_table(t.prediction_labels)
            statements: dict[int, str] = {}
            for start in range(0, len(ids), _CHUNK):
                chunk = tuple(ids[start:start + _CHUNK])
                sql = statements.get(len(chunk)) or statements.setdefault(
                    len(chunk), f"SELECT request_id, label FROM {table} WHERE request_id IN "
                                f"({', '.join([mark] * len(chunk))}) ORDER BY id")
                found.update((row[0], row[1]) for row in conn.exec_driver_sql(sql, chunk))  # a later label wins
        return found


def _columns(columns: Mapping[str, Sequence[Any]], names: Sequence[str]) -> dict[str, Sequence[Any]]:
    missing = [name for name in names if name not in columns]
    if missing:
        raise ValueError(f"prediction columns missing: {', '.join(missing)}")
    if len({len(columns[name]) for name in names}) > 1:
        raise ValueError("prediction columns differ in length")
    return {name: columns[name] for name in names}
