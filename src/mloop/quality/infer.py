"""Inferring a suite from reference data, for a person to read, edit and keep.

What `infer_suite` writes, per column:
- `type`: its kind (numeric, categorical, datetime, other);
- `not_null` when it has no nulls, else `not_null: {max_fraction}` at the observed null share
  times (1 + null_margin) plus one percentage point (a column only of nulls gets no check);
- numeric: `range` from the observed min and max, widened by range_margin of the span on each
  side but never across zero (a column that is never negative stays so); whole numbers stay whole;
- categorical (strings, booleans, enums) with at most max_categories distinct values:
  `allowed_values` (the values seen) and `distribution` (their shares, max_distance apart);
- `unique` for a key: an integer or string column with all values distinct and none null, in at
  least 10 rows (a key gets no allowed_values or distribution);
and for the table `row_count` between (1 - row_margin) and (1 + row_margin) times the rows seen.
Freshness, regex, referential and custom checks say what the data should be, which reference data
cannot tell: add them by hand.

Two scans at most: one for counts, ranges and approximate distinct counts of every column; one for
the categories of the columns with few of them and the exact distinct count of key candidates.
"""

from __future__ import annotations

import math
from typing import Any

from mloop.core.errors import ValidationError
from mloop.quality.checks import (
    AllowedValues,
    CheckBase,
    Distribution,
    NotNull,
    Range,
    RowCount,
    TypeCheck,
    Unique,
)
from mloop.quality.checks.base import is_float, without_nan
from mloop.quality.inputs import Column, Dataset, open_data, quote
from mloop.quality.suite import Suite

_KEY_MIN_ROWS = 10


def infer_suite(data: Any, *, name: str | None = None, max_categories: int = 50, max_distance: float = 0.1,
                range_margin: float = 0.1, null_margin: float = 0.5, row_margin: float = 0.5) -> Suite:
    """A suite that `data` (reference data: a DataFrame, pyarrow table, or Parquet file or folder)
    passes, with the slack described in this module's docstring."""
    for label, value in (("range_margin", range_margin), ("null_margin", null_margin), ("row_margin", row_margin)):
        if value < 0:
            raise ValidationError(f"{label} must be 0 or more, not {value}")
    if max_categories < 1:
        raise ValidationError(f"max_categories must be 1 or more, not {max_categories}")
    dataset = open_data(data)
    try:
        return _Inference(dataset, max_categories, max_distance, range_margin, null_margin, row_margin).suite(name)
    finally:
        if dataset is not data:
            dataset.close()


def _is_whole(column: Column) -> bool:
    return column.kind == "numeric" and "INT" in column.type.upper()


def _key_like(column: Column) -> bool:
    return _is_whole(column) or column.type.upper().startswith("VARCHAR")


class _Inference:
    def __init__(self, data: Dataset, max_categories: int, max_distance: float, range_margin: float,
                 null_margin: float, row_margin: float) -> None:
        self.data = data
        self.max_categories = max_categories
        self.max_distance = max_distance
        self.range_margin = range_margin
        self.null_margin = null_margin
        self.row_margin = row_margin

    def suite(self, name: str | None) -> Suite:
        columns = self.data.columns
        first = self._first_pass(columns)
        rows = int(first["rows"])
        candidates = {c.name for c in columns if c.kind == "categorical"
                      and (first.get(f"d:{c.name}") or 0) <= self.max_categories * 1.1}
        keys = {c.name for c in columns if _key_like(c) and rows >= _KEY_MIN_ROWS and first[f"n:{c.name}"] == rows
                and (first.get(f"d:{c.name}") or 0) >= 0.9 * rows}
        second = self._second_pass(candidates, keys)
        checks: list[CheckBase] = []
        for column in columns:
            checks += self._column(column, rows, first, second)
        if rows:
            checks.append(RowCount(min=math.floor(rows * max(0.0, 1 - self.row_margin)),
                                   max=math.ceil(rows * (1 + self.row_margin))))
        return Suite(name=name or _stem(self.data.name), checks=checks)

    def _first_pass(self, columns: list[Column]) -> dict[str, Any]:
        expressions = {"rows": "count(*)"}
        for column in columns:
            name = quote(column.name)
            expressions[f"n:{column.name}"] = f"count({name})"
            if column.kind == "numeric":
                value = without_nan(column)
                expressions[f"min:{column.name}"] = f"min({value})"
                expressions[f"max:{column.name}"] = f"max({value})"
            if column.kind == "categorical" or _key_like(column):
                expressions[f"d:{column.name}"] = f"approx_count_distinct({name})"
        return self._query(expressions)

    def _second_pass(self, categorical: set[str], keys: set[str]) -> dict[str, Any]:
        expressions = {f"h:{name}": f"histogram({quote(name)})" for name in sorted(categorical)}
        expressions |= {f"u:{name}": f"count(DISTINCT {quote(name)})" for name in sorted(keys)}
        return self._query(expressions) if expressions else {}

    def _query(self, expressions: dict[str, str]) -> dict[str, Any]:
        labels = list(expressions)
        select = ", ".join(f"{sql} AS a{i}" for i, sql in enumerate(expressions.values()))
        row = self.data.query(f"SELECT {select} FROM {self.data.table}").to_pylist()[0]
        return {label: row[f"a{i}"] for i, label in enumerate(labels)}

    def _column(self, column: Column, rows: int, first: dict[str, Any], second: dict[str, Any]) -> list[CheckBase]:
        name = column.name
        present = int(first[f"n:{name}"])
        checks: list[CheckBase] = [TypeCheck(column=name, kind=column.kind)]
        if rows and present == rows:
            checks.append(NotNull(column=name))
        elif present:
            share = (rows - present) / rows
            checks.append(NotNull(column=name, max_fraction=min(1.0, _round_up(share * (1 + self.null_margin) + 0.01))))
        if second.get(f"u:{name}") == rows:
            # a key: new rows bring new values, so no range or categories
            return [*checks, Unique(column=name)]
        if column.kind == "numeric" and first.get(f"min:{name}") is not None:
            checks.append(self._range(column, first[f"min:{name}"], first[f"max:{name}"]))
        if second.get(f"h:{name}"):
            counts = dict(second[f"h:{name}"])
            if len(counts) <= self.max_categories:
                values = sorted(counts, key=lambda v: (-counts[v], str(v)))
                checks.append(AllowedValues(column=name, values=values))
                checks.append(Distribution(column=name, max_distance=self.max_distance,
                                           expected={_text(v): round(counts[v] / present, 4) for v in values}))
        return checks

    def _range(self, column: Column, low: Any, high: Any) -> Range:
        low, high = float(low), float(high)
        pad = (high - low) * self.range_margin
        wider_low, wider_high = low - pad, high + pad
        if low >= 0:
            wider_low = max(0.0, wider_low)
        if high <= 0:
            wider_high = min(0.0, wider_high)
        if _is_whole(column) or not is_float(column) and wider_low.is_integer() and wider_high.is_integer():
            return Range(column=column.name, min=math.floor(wider_low), max=math.ceil(wider_high))
        return Range(column=column.name, min=_round_down(wider_low), max=_round_up(wider_high))


def _text(value: Any) -> str:
    """A category as DuckDB casts it to VARCHAR (what distribution checks compare)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _round_up(value: float) -> float:
    """`value` rounded up at 4 significant digits (a bound a person reads, never below the value)."""
    if value == 0 or not math.isfinite(value):
        return value
    digits = 3 - math.floor(math.log10(abs(value)))
    rounded = round(value, digits)
    return rounded if rounded >= value else round(rounded + 10.0 ** -digits, digits)


def _round_down(value: float) -> float:
    return -_round_up(-value)


def _stem(name: str) -> str:
    stem = name.rstrip("/").rsplit("/", 1)[-1]
    return stem.removesuffix(".parquet") or "suite"
