"""Checks of the table as a whole: how many rows, how recent the newest one is, and the user's own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from pydantic import Field, field_serializer, field_validator, model_validator

from mloop.core.durations import format_duration, parse_duration
from mloop.core.errors import MloopError
from mloop.quality.checks.base import (
    CheckBase,
    Context,
    Outcome,
    as_utc,
    parse_time,
)
from mloop.quality.inputs import quote


class RowCount(CheckBase):
    """The table has between `min` and `max` rows (either may be left open)."""

    check: Literal["row_count"] = "row_count"
    min: Annotated[int, Field(ge=0)] | None = None
    max: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _bounds(self) -> RowCount:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self

    def aggregates(self, ctx: Context) -> list[str]:
        return ["count(*)"]

    def evaluate(self, values: list[Any], rows: int, ctx: Context) -> Outcome:
        passed = (self.min is None or rows >= self.min) and (self.max is None or rows <= self.max)
        return Outcome(passed, rows, f"{rows:,} rows" + ("" if passed else f", expected {self.expectation()}"))

    def expectation(self) -> str:
        if self.min is not None and self.max is not None:
            return f"between {self.min:,} and {self.max:,} rows"
        return f"at least {self.min:,} rows" if self.min is not None else f"at most {self.max:,} rows"


class Freshness(CheckBase):
    """The newest value of a datetime `column` is no older than `max_age` ('24h', '7d', '90m',
    '1d12h' or a timedelta) at `relative_to` (an ISO time), or at the time of validation when it is
    left out (`validate(..., now=...)` sets that time for reproducible runs). Times without a zone
    are read as UTC."""

    check: Literal["freshness"] = "freshness"
    column: str
    max_age: timedelta
    relative_to: datetime | None = None

    @field_validator("max_age", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return parse_duration(value)

    @field_validator("relative_to", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        return None if value is None else as_utc(parse_time(value))

    @field_serializer("max_age")
    def _show_duration(self, value: timedelta) -> str:
        return format_duration(value)

    @field_serializer("relative_to")
    def _show_time(self, value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    def prepare(self, ctx: Context) -> None:
        column = ctx.column(self.column)
        if column.kind != "datetime" or column.type.upper().startswith("TIME "):
            raise self.misfit(column, "a date or timestamp column")

    def aggregates(self, ctx: Context) -> list[str]:
        return [f"epoch_us(max({quote(self.column)}))"]

    def evaluate(self, values: list[Any], rows: int, ctx: Context) -> Outcome:
        moment = self.relative_to or ctx.now
        if values[0] is None:
            return Outcome(False, {"newest": None, "age": None}, f"{self.column!r} has no values")
        newest = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=int(values[0]))
        age = moment - newest
        passed = age <= self.max_age
        shown = format_duration(timedelta(seconds=round(age.total_seconds()))) if age >= timedelta(0) else "in the future"
        observed = {"newest": newest.isoformat(), "age": shown, "age_seconds": age.total_seconds()}
        message = (f"newest {self.column!r} is {newest.isoformat()}, {shown} old at {moment.isoformat()}"
                   f" ({'within' if passed else 'older than'} {format_duration(self.max_age)})")
        return Outcome(passed, observed, message)

    def offending(self, ctx: Context) -> str | None:
        name = quote(self.column)
        return f"{name} = (SELECT max({name}) FROM {ctx.data.table})"

    def expectation(self) -> str:
        at = self.relative_to.isoformat() if self.relative_to else "the time of validation"
        return f"newest value at most {format_duration(self.max_age)} old at {at}"


class Custom(CheckBase):
    """The user's own check: a function, or a 'module:function' reference, that receives the data as
    a `mloop.quality.inputs.Dataset` (run SQL on it with `data.query(f"SELECT ... FROM {data.table}")`,
    which returns a pyarrow Table; `.to_pandas()` loads a result into pandas) and returns
    - a bool (passed),
    - a tuple (passed, observed), or
    - a dict with "passed" and any of "observed", "message", "failing" (rows), "sample" (row dicts).
    An exception in the function fails the check with its message. `columns` names the columns it
    reads, so that a missing one is reported before any work starts."""

    check: Literal["custom"] = "custom"
    function: str | Callable[..., Any]
    columns: list[str] = []

    @field_validator("function", mode="before")
    @classmethod
    def _reference(cls, value: Any) -> Any:
        if isinstance(value, str) and ":" not in value:
            raise ValueError(f"{value!r} is not a reference; write it as 'package.module:function'")
        if not isinstance(value, str) and not callable(value):
            raise ValueError(f"must be a function or 'package.module:function', not {value!r}")
        return value

    def used_columns(self) -> list[str]:
        return list(self.columns)

    @property
    def label(self) -> str:
        return f"custom {self.reference(strict=False)}"

    @property
    def title(self) -> str:
        return self.name or f"custom({self.reference(strict=False)})"

    def reference(self, strict: bool = True) -> str:
        """The function as 'module:qualname'; refused when strict and a file could not name it."""
        if isinstance(self.function, str):
            return self.function
        from mloop.core.imports import reference

        text = reference(self.function)[0]
        if strict and ("<" in text or text.startswith("__main__:")):
            raise self.refuse(f"{text} cannot be saved in a suite file; define the function at the top "
                              "level of an importable module and refer to it as 'package.module:function'")
        return text

    def prepare(self, ctx: Context) -> None:
        if isinstance(self.function, str):
            from mloop.core.imports import resolve

            try:
                target = resolve(self.function)
            except MloopError as exc:
                raise self.refuse(str(exc)) from None
            if not callable(target):
                raise self.refuse(f"{self.function} is not a function")

    def evaluate(self, values: list[Any], rows: int, ctx: Context) -> Outcome:
        function = self.function
        if isinstance(function, str):
            from mloop.core.imports import resolve

            function = resolve(function)
        try:
            result = function(ctx.data)
        except Exception as exc:  # a bug in the check (SQL typo included) fails the check, not the validation
            return Outcome(False, None, f"the check raised {type(exc).__name__}: {exc}")
        return _outcome(self, result, rows)

    def expected_json(self) -> dict[str, Any]:
        return {"function": self.reference(strict=False), **({"columns": self.columns} if self.columns else {})}

    def to_dict(self) -> dict[str, Any]:
        data = {"check": self.check, "function": self.reference(), "columns": self.columns,
                "severity": self.severity, "name": self.name}
        return {key: value for key, value in data.items() if value and (key != "severity" or value != "error")}

    def expectation(self) -> str:
        return f"{self.reference(strict=False)} returns passed"


def _outcome(check: Custom, result: Any, rows: int) -> Outcome:
    if isinstance(result, dict):
        if "passed" not in result:
            raise check.refuse("a dict result needs a 'passed' key; return {'passed': bool, 'observed': ...}")
        failing = result.get("failing")
        sample = result.get("sample")
        if sample is not None and not isinstance(sample, list):
            sample = sample.to_pylist() if hasattr(sample, "to_pylist") else sample.to_dict("records")
        passed = bool(result["passed"])
        return Outcome(passed, result.get("observed"), result.get("message") or ("passed" if passed else "failed"),
                       failing, failing / rows if failing is not None and rows else None, sample)
    if isinstance(result, tuple) and len(result) == 2:
        passed = bool(result[0])
        return Outcome(passed, result[1], f"{'passed' if passed else 'failed'}; observed {result[1]!r}")
    if isinstance(result, bool) or type(result).__name__ == "bool_":
        return Outcome(bool(result), None, "passed" if result else "failed")
    raise check.refuse(f"returned {type(result).__name__}; return a bool, (passed, observed) or a dict "
                       "with 'passed'")
