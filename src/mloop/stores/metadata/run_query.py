"""Searching runs: the condition tree (mloop.tracking parses the filter language into it) and its
compilation into one SQL query over runs, latest_metrics, params and tags."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from mloop.stores.metadata import schema as t

#: attribute name -> runs column; a run's `pipeline` is its experiment's name for a notebook run,
#: so `experiment` is the same attribute under the name notebook users expect
ATTRIBUTES: dict[str, sa.Column[Any]] = {
    "run_id": t.runs.c.id,
    "status": t.runs.c.status,
    "pipeline": t.runs.c.pipeline,
    "experiment": t.runs.c.pipeline,
    "kind": t.runs.c.kind,
    "start_time": t.runs.c.started_at,
    "end_time": t.runs.c.ended_at,
}
TIME_ATTRIBUTES = frozenset({"start_time", "end_time"})
COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})
TEXT_OPERATORS = frozenset({"=", "!=", "like", "not like"})
_VALUE_TABLES = {"metrics": t.latest_metrics, "params": t.params, "tags": t.tags}


@dataclass(frozen=True)
class Field:
    kind: str  # "metrics" | "params" | "tags" | "attributes"
    key: str

    def __str__(self) -> str:
        return self.key if self.kind == "attributes" else f"{self.kind}.{self.key}"


@dataclass(frozen=True)
class Comparison:
    """`field op value`: metrics take numbers; params and tags text; time attributes datetimes."""

    field: Field
    op: str  # one of COMPARISONS, TEXT_OPERATORS (like: case-insensitive, % and _) or "in" / "not in" (a tuple)
    value: float | str | datetime | tuple[float | str | datetime, ...]


@dataclass(frozen=True)
class Junction:
    op: str  # "and" | "or"
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Negation:
    """`not <condition>`: every run the condition does not match (runs without the key included)."""

    item: Condition


Condition = Comparison | Junction | Negation


@dataclass(frozen=True)
class RunQuery:
    condition: Condition | None = None
    order_by: Field | None = None
    descending: bool = False
    limit: int = 1000
    offset: int = 0  #: matching runs to skip (a page of a listing)


def compile_query(query: RunQuery, columns: Sequence[Any] | None = None) -> sa.Select[Any]:
    """One SELECT of matching `runs` rows (or of these `columns` of them), ordered (runs without
    the order key last, then newest first) and limited. Value conditions are `run id IN (indexed
    lookup)` subqueries."""
    statement = sa.select(*columns) if columns is not None else sa.select(t.runs)
    if query.condition is not None:
        statement = statement.where(_condition(query.condition))
    order: list[Any] = []
    if query.order_by is not None:
        column, statement = _order_column(query.order_by, statement)
        order.append((column.desc() if query.descending else column.asc()).nulls_last())
    order += [t.runs.c.created_at.desc(), t.runs.c.id.desc()]
    statement = statement.order_by(*order).limit(query.limit)
    return statement.offset(query.offset) if query.offset else statement


def compile_count(query: RunQuery) -> sa.Select[Any]:
    """One SELECT of the number of runs matching `query` (its order, limit and offset ignored)."""
    statement = sa.select(sa.func.count()).select_from(t.runs)
    return statement.where(_condition(query.condition)) if query.condition is not None else statement


def _condition(condition: Condition) -> sa.ColumnElement[bool]:
    if isinstance(condition, Junction):
        parts = [_condition(item) for item in condition.items]
        return sa.and_(*parts) if condition.op == "and" else sa.or_(*parts)
    if isinstance(condition, Negation):
        return sa.not_(_condition(condition.item))
    field = condition.field
    if field.kind == "attributes":
        return _compare(ATTRIBUTES[field.key], condition.op, condition.value)
    table = _VALUE_TABLES[field.kind]
    matching = sa.select(table.c.run_id).where(table.c.key == field.key,
                                               _compare(table.c.value, condition.op, condition.value))
    return t.runs.c.id.in_(matching)


def _compare(column: Any, op: str, value: Any) -> sa.ColumnElement[bool]:
    if op == "like":
        return column.ilike(value)
    if op == "not like":
        return column.not_ilike(value)
    if op == "in":
        return column.in_(list(value))
    if op == "not in":
        return column.not_in(list(value))
    return {
        "=": column.__eq__, "!=": column.__ne__, "<": column.__lt__, "<=": column.__le__,
        ">": column.__gt__, ">=": column.__ge__,
    }[op](value)


def _order_column(field: Field, statement: sa.Select[Any]) -> tuple[Any, sa.Select[Any]]:
    if field.kind == "attributes":
        return ATTRIBUTES[field.key], statement
    table = _VALUE_TABLES[field.kind].alias("order_values")
    statement = statement.outerjoin(table, sa.and_(table.c.run_id == t.runs.c.id, table.c.key == field.key))
    return table.c.value, statement
