"""What every check is: a pydantic model that validation compiles to SQL.

A check contributes aggregate expressions to the one scan of the data (`aggregates`), reads their
values back (`evaluate`), and names the rows that break it (`offending`, a SQL predicate used only
when the check failed, to sample a few of them). Checks that cannot be an aggregate of the scan
(referential, custom) run their own query inside `evaluate`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticError

from mloop.core.errors import ValidationError
from mloop.quality.inputs import Column, Dataset, quote

Severity = Literal["error", "warn"]


class CheckError(ValidationError):
    """A check's parameters are wrong: "range on 'amount': min must be a number"."""

    def __init__(self, label: str, problem: str) -> None:
        super().__init__(f"{label}: {problem}")
        self.label = label
        self.problem = problem


@dataclass
class Context:
    """What a check sees while validating: the data, the time that counts as now (aware, UTC),
    and the folder that relative paths in the suite are read from."""

    data: Dataset
    now: datetime
    folder: Path | None = None
    #: names of the tables attached to the data's connection for this validation, by check
    attached: dict[int, str] = field(default_factory=dict)
    _columns: dict[str, Column] = field(default_factory=dict, repr=False)

    def column(self, name: str) -> Column:
        if not self._columns:  # a dict: wide data has thousands of columns and checks
            self._columns.update((c.name, c) for c in self.data.columns)
        return self._columns[name] if name in self._columns else self.data.column(name)


@dataclass
class Outcome:
    passed: bool
    observed: Any
    message: str
    failing: int | None = None
    failing_fraction: float | None = None
    #: rows the check found itself (custom checks); others are sampled with `offending`
    sample: list[dict[str, Any]] | None = None


class CheckBase(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, validate_assignment=True)

    check: str
    severity: Severity = "error"
    name: str | None = None

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except PydanticError as exc:
            kind = type(self).model_fields["check"].default
            column = data.get("column") or data.get("columns")
            raise CheckError(f"{kind} on {column!r}" if column else kind, explain(exc, type(self))) from None

    def used_columns(self) -> list[str]:
        """The columns of the data this check reads (they must exist)."""
        column = getattr(self, "column", None)
        return [column] if isinstance(column, str) else []

    @property
    def label(self) -> str:
        """How error messages name the check: "range on 'amount'"."""
        columns = self.used_columns()
        if not columns:
            return self.check
        return f"{self.check} on {columns[0]!r}" if len(columns) == 1 else f"{self.check} on {columns}"

    @property
    def title(self) -> str:
        """The check's name in a report: its `name`, else e.g. "range(amount)"."""
        return self.name or f"{self.check}({', '.join(self.used_columns())})"

    def prepare(self, ctx: Context) -> None:
        """Refuse, before any scan, a check that does not fit the data (e.g. range on a string column)."""

    def aggregates(self, ctx: Context) -> list[str]:
        """SQL aggregate expressions over the data's rows; their values go to `evaluate` in order."""
        return []

    def evaluate(self, values: list[Any], rows: int, ctx: Context) -> Outcome:
        raise NotImplementedError

    def offending(self, ctx: Context) -> str | None:
        """A SQL predicate true for the rows that break the check, or None if rows cannot say."""
        return None

    def expected_json(self) -> dict[str, Any]:
        """The check's parameters as plain JSON (what was expected)."""
        data = self.model_dump(mode="json", exclude={"check", "severity", "name", "column", "columns"})
        return {key: value for key, value in data.items() if value is not None}

    def expectation(self) -> str:
        """The expectation in words, e.g. 'between 0 and 5000'."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The check as plain JSON, defaults left out: {"check": "range", "column": "amount", "min": 0}."""
        data = self.model_dump(mode="json", exclude_defaults=True, exclude={"check", "severity", "name"})
        data.update(self.model_dump(mode="json", exclude_defaults=True, include={"severity", "name"}))
        return {"check": self.check, **{key: value for key, value in data.items() if value is not None}}

    def refuse(self, problem: str) -> ValidationError:
        return ValidationError(f"{self.label}: {problem}")

    def misfit(self, column: Column, needs: str) -> ValidationError:
        return self.refuse(f"column {column.name!r} is {column.type}, but {self.check} needs {needs}; "
                           "remove the check or give it a column of that type")


def rows_phrase(failing: int, rows: int, what: str) -> str:
    """'3 of 1,000 rows (0.30%) are null'."""
    share = failing / rows if rows else 0.0
    return f"{failing:,} of {rows:,} rows ({share:.2%}) {what}"


def fraction(count: int, rows: int) -> float:
    return count / rows if rows else 0.0


def is_float(column: Column) -> bool:
    return column.type.upper().split("(")[0] in ("FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8")


def without_nan(column: Column) -> str:
    """The column as SQL, NaN read as NULL (DuckDB sorts NaN above every number)."""
    name = quote(column.name)
    return f"(CASE WHEN isnan({name}) THEN NULL ELSE {name} END)" if is_float(column) else name


def as_utc(value: datetime | date) -> datetime:
    """An aware UTC datetime; a naive time is read as UTC, a date as its midnight."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def parse_time(value: Any) -> datetime | date:
    """A datetime or date, from itself or an ISO 8601 string."""
    if isinstance(value, (datetime, date)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"must be an ISO date or time like '2024-05-01' or '2024-05-01T12:00:00Z', not {value!r}")


_TYPE_WORDS = {"int": "a whole number", "float": "a number", "bool": "true or false", "string": "a string",
               "list": "a list", "dict": "a mapping", "datetime": "an ISO time", "literal": "one of"}


_BOUND_WORDS = {"greater_than_equal": "at least", "less_than_equal": "at most", "greater_than": "above",
                "less_than": "below"}


def explain(exc: PydanticError, model: type[BaseModel]) -> str:
    """The first problem pydantic found, as words a person editing YAML understands."""
    error = exc.errors()[0]
    location = [str(part) for part in error["loc"]]
    field = location[0] if location else ""
    kind = error["type"]
    if kind == "extra_forbidden":
        known = [name for name in model.model_fields if name not in ("check", "severity", "name")]
        known += ["severity", "name"]
        close = difflib.get_close_matches(field, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown key {field!r}; {hint}its keys are: {', '.join(known)}"
    if kind == "missing":
        return f"missing key {field!r}"
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
        if not field:
            return message
        return f"{field} {message}" if message.startswith("must") else f"{field}: {message}"
    if kind == "too_short":
        return f"{'.'.join(location)} must not be empty"
    if kind in _BOUND_WORDS:
        return f"{'.'.join(location)} must be {_BOUND_WORDS[kind]} {next(iter(error.get('ctx', {}).values()), '')}"
    if kind.startswith("literal"):
        expected = error.get("ctx", {}).get("expected", "")
        return f"{field} must be {expected}, not {error['input']!r}"
    for prefix, words in _TYPE_WORDS.items():
        if kind.startswith(prefix):
            return f"{'.'.join(location)} must be {words}, not {error['input']!r}"
    return f"{'.'.join(location)}: {message}" if location else message
