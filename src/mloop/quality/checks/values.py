"""Checks of each value of one column: its type, nulls, range, allowed values and pattern.

Each row-wise check counts its offending rows in the scan with `count_if` (linear in the number of
checks; DuckDB's `FILTER (WHERE ...)` clauses are not) and allows up to `max_fraction` of them.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from mloop.quality.checks.base import (
    CheckBase,
    Context,
    Outcome,
    as_utc,
    fraction,
    is_float,
    parse_time,
    rows_phrase,
    without_nan,
)
from mloop.quality.inputs import Column, Kind, duckdb_module, literal, quote

Bound = int | float | datetime | date | None


class _RowCheck(CheckBase):
    """A check of each non-null value of `column`: it passes when at most `max_fraction` of the rows break it."""

    column: str
    max_fraction: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0

    def broken(self, ctx: Context) -> str:
        """A SQL predicate true for a row that breaks the check (NULL counts as not broken)."""
        raise NotImplementedError

    def aggregates(self, ctx: Context) -> list[str]:
        return [f"count_if({self.broken(ctx)})"]

    def offending(self, ctx: Context) -> str | None:
        return self.broken(ctx)

    def evaluate(self, values: list[Any], rows: int, ctx: Context) -> Outcome:
        failing = int(values[0] or 0)
        share = fraction(failing, rows)
        passed = share <= self.max_fraction
        what = self.failure() if failing else self.success()
        message = rows_phrase(failing, rows, what) if failing else f"all {rows:,} rows {what}"
        return Outcome(passed, {"failing": failing, "fraction": share}, message, failing, share)

    def failure(self) -> str:
        return f"are not {self.expectation()}"

    def success(self) -> str:
        return f"are {self.expectation()}"


class TypeCheck(CheckBase):
    """The column's type is of this kind (numeric, categorical, datetime or other)."""

    check: Literal["type"] = "type"
    column: str
    kind: Kind

    def evaluate(self, values: list[Any], rows: int, ctx: Context) -> Outcome:
        column = ctx.column(self.column)
        passed = column.kind == self.kind
        message = f"{column.type} is {column.kind}" + ("" if passed else f", not {self.kind}")
        return Outcome(passed, {"type": column.type, "kind": column.kind}, message)

    def expectation(self) -> str:
        return f"a {self.kind} column"


class NotNull(_RowCheck):
    """At most `max_fraction` of the column's values are null (0: none)."""

    check: Literal["not_null"] = "not_null"

    def broken(self, ctx: Context) -> str:
        return f"{quote(self.column)} IS NULL"

    def aggregates(self, ctx: Context) -> list[str]:
        return [f"count({quote(self.column)})"]

    def evaluate(self, values: list[Any], rows: int, ctx: Context) -> Outcome:
        return super().evaluate([rows - int(values[0] or 0)], rows, ctx)

    def failure(self) -> str:
        return "are null" + (f" (at most {self.max_fraction:.2%} may be)" if self.max_fraction else "")

    def success(self) -> str:
        return "are not null"

    def expectation(self) -> str:
        return "no nulls" if not self.max_fraction else f"at most {self.max_fraction:.2%} nulls"


class Range(_RowCheck):
    """Values lie in [min, max] (either may be left open); nulls are not range failures, NaN is."""

    check: Literal["range"] = "range"
    min: Bound = None
    max: Bound = None

    @field_validator("min", "max", mode="before")
    @classmethod
    def _bound(cls, value: Any) -> Any:
        if value is None or isinstance(value, (datetime, date)):
            return value
        if isinstance(value, bool):
            raise ValueError("must be a number, or an ISO date or time for a datetime column")
        if isinstance(value, (int, float)):
            return value
        try:
            return parse_time(value)
        except ValueError:
            raise ValueError("must be a number, or an ISO date or time for a datetime column") from None

    @model_validator(mode="after")
    def _some_bound(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None:
            if isinstance(self.min, (int, float)) != isinstance(self.max, (int, float)):
                raise ValueError("min and max must both be numbers or both be times")
            low, high = (self.min, self.max) if isinstance(self.min, (int, float)) else (
                as_utc(self.min), as_utc(self.max))  # type: ignore[arg-type]
            if low > high:  # type: ignore[operator]
                raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self

    def _numeric_bounds(self) -> bool:
        return isinstance(self.min if self.min is not None else self.max, (int, float))

    def prepare(self, ctx: Context) -> None:
        column = ctx.column(self.column)
        needed = "numeric" if self._numeric_bounds() else "datetime"
        if column.kind != needed or column.type.upper().startswith("TIME "):
            raise self.misfit(column, f"a {needed} column (its min and max are "
                                      f"{'numbers' if needed == 'numeric' else 'times'})")

    def broken(self, ctx: Context) -> str:
        column = ctx.column(self.column)
        name = quote(self.column)
        parts = [f"{name} < {_sql_bound(self.min, column)}"] if self.min is not None else []
        parts += [f"{name} > {_sql_bound(self.max, column)}"] if self.max is not None else []
        parts += [f"isnan({name})"] if is_float(column) else []
        return "(" + " OR ".join(parts) + ")"

    def aggregates(self, ctx: Context) -> list[str]:
        value = without_nan(ctx.column(self.column))
        return [*super().aggregates(ctx), f"min({value})", f"max({value})"]

    def evaluate(self, values: list[Any], rows: int, ctx: Context) -> Outcome:
        outcome = super().evaluate(values[:1], rows, ctx)
        outcome.observed.update(min=values[1], max=values[2])
        if values[1] is not None:
            outcome.message += f"; observed min {values[1]}, max {values[2]}"
        return outcome

    def expectation(self) -> str:
        if self.min is not None and self.max is not None:
            return f"between {self.min} and {self.max}"
        return f"at least {self.min}" if self.min is not None else f"at most {self.max}"


class AllowedValues(_RowCheck):
    """Every non-null value is one of `values`."""

    check: Literal["allowed_values"] = "allowed_values"
    values: Annotated[list[Any], Field(min_length=1)]

    def prepare(self, ctx: Context) -> None:
        column = ctx.column(self.column)
        if column.kind not in ("categorical", "numeric"):
            raise self.misfit(column, "a categorical or numeric column")
        text = column.type.upper().startswith(("VARCHAR", "ENUM"))
        for value in self.values:
            if isinstance(value, bool) and not column.type.upper().startswith("BOOL"):
                raise self.refuse(f"{value!r} is a boolean, but {column.name!r} is {column.type}; "
                                  "quote the value in YAML (YAML reads NO, yes, on, off as booleans)")
            if (not isinstance(value, (str, int, float))) if text else isinstance(value, str):
                raise self.refuse(f"{value!r} cannot be a value of {column.name!r} ({column.type}); "
                                  f"give {'strings' if text else 'values of that type'}")

    def _literals(self, column: Column) -> str:
        text = column.type.upper().startswith(("VARCHAR", "ENUM"))
        return ", ".join(literal(str(v) if text and not isinstance(v, str) else v) for v in self.values)

    def broken(self, ctx: Context) -> str:
        return f"{quote(self.column)} NOT IN ({self._literals(ctx.column(self.column))})"

    def expectation(self) -> str:
        shown = ", ".join(repr(v) for v in self.values[:10]) + (", ..." if len(self.values) > 10 else "")
        return f"one of {shown}"

    def failure(self) -> str:
        return "have a value that is not allowed"

    def success(self) -> str:
        return "have an allowed value"


class Regex(_RowCheck):
    """Every non-null string matches `pattern` as a whole (RE2 syntax, DuckDB `regexp_full_match`)."""

    check: Literal["regex"] = "regex"
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        problem = _regex_problem(pattern)
        if problem:
            raise ValueError(f"{pattern!r} is not a valid RE2 pattern: {problem}")
        return pattern

    def prepare(self, ctx: Context) -> None:
        column = ctx.column(self.column)
        if not column.type.upper().startswith("VARCHAR"):
            raise self.misfit(column, "a string (VARCHAR) column")

    def broken(self, ctx: Context) -> str:
        return f"NOT regexp_full_match({quote(self.column)}, {literal(self.pattern)})"

    def expectation(self) -> str:
        return f"matching {self.pattern!r}"

    def failure(self) -> str:
        return f"do not match {self.pattern!r}"

    def success(self) -> str:
        return f"match {self.pattern!r}"


@lru_cache(maxsize=256)
def _regex_problem(pattern: str) -> str | None:
    """Why RE2 (as DuckDB runs it) refuses `pattern`, or None."""
    duckdb = duckdb_module()
    try:
        duckdb.sql(f"SELECT regexp_full_match('', {literal(pattern)})").fetchall()
    except duckdb.Error as exc:
        return str(exc).splitlines()[0].split("Error: ", 1)[-1]
    return None


def _sql_bound(value: Bound, column: Column) -> str:
    if isinstance(value, (int, float)):
        return literal(value)
    moment = as_utc(value)  # type: ignore[arg-type]
    if "WITH TIME ZONE" in column.type.upper():
        return f"TIMESTAMPTZ '{moment.isoformat()}'"
    return f"TIMESTAMP '{moment.replace(tzinfo=None).isoformat()}'"
