"""The DuckDB half of the point-in-time join: one connection per call, and the SQL of one view's join.

Every time (entity rows, event and created fields, `as_of`, the TTL) becomes an integer count of
microseconds since the Unix epoch in UTC — nanoseconds when any of the times involved has
nanosecond precision — so time zones, units and dates compare exactly and cheaply.

Two formulations, both measured in benchmarks/bench_features.py:

- *by event time* (no created field, or `known_at_time=False`): one ASOF LEFT JOIN whose inequality
  is on a struct rank `{event, created, hash}` against `{row time, +inf, +inf}`. The ASOF picks the
  greatest rank at or before the row's time, so equal event times are decided inside the join
  (latest created, then the greatest hash) without a separate de-duplication pass; the rank costs
  about the same as a plain timestamp inequality, a rank holding every feature value twice as much.
- *as known at the time* (a created field and `known_at_time=True`): eligibility is two
  inequalities (event ≤ t and created ≤ t), which one ASOF cannot express; a range join on the keys
  with both inequalities (and the TTL) followed by `arg_max(values, rank)` per entity row is the
  fastest exact formulation measured (a running arg_max window over `greatest(event, created)`
  followed by an ASOF is exact too, but more than twice as slow). Its work grows with the number of
  source rows per key times the entity rows of that key.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mloop.core.errors import ValidationError
from mloop.quality.inputs import Interruptible, duckdb_module, literal, quote

ROW = "__mloop_row"
TIME = "__mloop_t"
CREATED = "__mloop_c"
HASH = "__mloop_h"
RANK = "__mloop_rank"
VALUES = "__mloop_v"
_BIGINT_MIN = -(2**63 - 1)  # not -2**63: DuckDB reads that literal as a HUGEINT
_BIGINT_MAX = 2**63 - 1
_UBIGINT_MAX = 2**64 - 1


def key_column(index: int) -> str:
    return f"__mloop_k{index}"


def feature_column(index: int) -> str:
    return f"__mloop_f{index}"


def epoch(expression: str, unit: str) -> str:
    """`expression` (any DuckDB DATE or TIMESTAMP type, with or without a zone) as an integer count of
    `unit` ("us" or "ns") since 1970-01-01 UTC; a naive time is read as UTC."""
    return f"epoch_{unit}({expression})"


@dataclass(frozen=True)
class ViewSql:
    """One view's join, resolved: the source relation and quoted expressions over its columns."""

    relation: str
    keys: tuple[str, ...]  # the key columns, in the source and the entity relation
    event_time: str  # SQL: the event time as an integer in the unit of the call
    created_time: str | None  # SQL: the created time likewise, or None
    features: tuple[str, ...]  # source columns, in output order
    ttl: int | None  # in the unit of the call
    as_of: int | None
    known_at_time: bool


def source_rows(view: ViewSql) -> str:
    """The source rows known by `as_of`, keys and features renamed to internal names, with the event
    time, the created time (the event time where missing) and the hash of the feature values (the
    last tie-break). Rows with a NULL key or event time stay: they match nothing (a NULL field sorts
    above every value in a struct rank), and filtering them out costs more than carrying them."""
    keys = [f"{quote(k)} AS {key_column(i)}" for i, k in enumerate(view.keys)]
    created = f"coalesce({view.created_time}, {view.event_time})" if view.created_time else None
    # hashed in name order, so the tie-break does not depend on the order the features are asked in
    hashed = ", ".join(quote(f) for f in sorted(set(view.features)))
    columns = [*keys, f"{view.event_time} AS {TIME}", f"hash({hashed}) AS {HASH}" if hashed else f"0::UBIGINT AS {HASH}"]
    if created:
        columns.append(f"{created} AS {CREATED}")
    columns += [f"{quote(f)} AS {feature_column(i)}" for i, f in enumerate(view.features)]
    where = f" WHERE {created or view.event_time} <= {view.as_of}" if view.as_of is not None else ""
    return f"SELECT {', '.join(columns)} FROM {view.relation}{where}"


def entity_sql(relation: str, keys: Sequence[str], time: str) -> str:
    keys_sql = ", ".join(f"{quote(k)} AS {key_column(i)}" for i, k in enumerate(keys))
    return f"SELECT {ROW}, {keys_sql}, {time} AS {TIME} FROM {relation}"


def join_sql(view: ViewSql, entities: str) -> str:
    """One row per entity row, in row order, with one column per feature (`feature_column(i)`)."""
    if view.created_time and view.known_at_time:
        return _known_at_time_sql(view, entities)
    return _by_event_time_sql(view, entities)


def _key_match(left: str, right: str, count: int) -> str:
    return " AND ".join(f"{left}.{key_column(i)} = {right}.{key_column(i)}" for i in range(count))


def _by_event_time_sql(view: ViewSql, entities: str) -> str:
    created = bool(view.created_time)
    rank = (f"{{'t': {TIME}, 'c': {CREATED}, 'h': {HASH}}}" if created else f"{{'t': {TIME}, 'h': {HASH}}}")
    # a NULL field sorts above every value in a struct: a row without a time probes with the smallest
    # integer instead, before any real time (cheaper than a CASE on the probe)
    time = f"coalesce({TIME}, {_BIGINT_MIN})"
    probe = (f"{{'t': {time}, 'c': {_BIGINT_MAX}, 'h': {_UBIGINT_MAX}::UBIGINT}}" if created
             else f"{{'t': {time}, 'h': {_UBIGINT_MAX}::UBIGINT}}")
    within = f"e.{TIME} - f.{TIME} <= {view.ttl}" if view.ttl is not None else None
    values = ", ".join(
        (f"CASE WHEN {within} THEN f.{feature_column(i)} END" if within else f"f.{feature_column(i)}")
        + f" AS {feature_column(i)}" for i in range(len(view.features)))
    return (f"SELECT {values} FROM (SELECT *, {probe} AS {RANK} FROM ({entities})) e "
            f"ASOF LEFT JOIN (SELECT *, {rank} AS {RANK} FROM ({source_rows(view)})) f "
            f"ON {_key_match('e', 'f', len(view.keys))} AND e.{RANK} >= f.{RANK} ORDER BY e.{ROW}")


def _known_at_time_sql(view: ViewSql, entities: str) -> str:
    names = [feature_column(i) for i in range(len(view.features))]
    payload = ", ".join(f"'{n}': f.{n}" for n in names)
    conditions = [_key_match("e", "f", len(view.keys)), f"f.{TIME} <= e.{TIME}", f"f.{CREATED} <= e.{TIME}"]
    if view.ttl is not None:
        conditions.append(f"e.{TIME} - f.{TIME} <= {view.ttl}")
    best = (f"SELECT e.{ROW}, arg_max({{{payload}}}, {{'t': f.{TIME}, 'c': f.{CREATED}, 'h': f.{HASH}}}) "
            f"AS {VALUES} FROM ({entities}) e LEFT JOIN ({source_rows(view)}) f ON {' AND '.join(conditions)} "
            f"GROUP BY e.{ROW}")
    return f"SELECT {', '.join(f'{VALUES}.{n} AS {n}' for n in names)} FROM ({best}) ORDER BY {ROW}"


class JoinSession:
    """A private DuckDB connection for one call; every query can be stopped with Ctrl-C and fails
    as one ValidationError line naming what was being read."""

    def __init__(self) -> None:
        self.duckdb = duckdb_module()
        self.connection = self.duckdb.connect()
        self.connection.execute("SET TimeZone = 'UTC'")
        self.connection.execute("SET enable_progress_bar = false")
        # the default spill folder is .tmp in the current folder: keep the user's project clean
        spill = os.path.join(tempfile.gettempdir(), "mloop-duckdb")
        self.connection.execute(f"SET temp_directory = {literal(spill)}")
        self.calls = Interruptible(self.connection)

    def register(self, name: str, table: Any) -> None:
        self.connection.register(name, table)

    def execute(self, sql: str, *, what: str) -> None:
        self._run(lambda: self.connection.execute(sql), what)

    def describe(self, relation: str, *, what: str) -> list[tuple[str, str]]:
        rows = self._run(lambda: self.connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall(), what)
        return [(str(name), str(sql_type)) for name, sql_type, *_ in rows]

    def arrow(self, sql: str, *, what: str) -> Any:
        return self._run(lambda: self.connection.sql(sql).to_arrow_table(), what)

    def _run(self, work: Callable[[], Any], what: str) -> Any:
        try:
            return self.calls.run(work)
        except self.duckdb.Error as exc:
            raise ValidationError(f"{what}: {_first_line(exc)}") from None

    def close(self) -> None:
        self.calls.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
