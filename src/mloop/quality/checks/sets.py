"""Checks of a column's values taken together: uniqueness, category distribution, and references
to the values of another column or table."""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from mloop.core.errors import ValidationError
from mloop.quality.checks.base import CheckBase, Context, Outcome, fraction, rows_phrase
from mloop.quality.inputs import Dataset, literal, open_data, quote


class Unique(CheckBase):
    """No two rows share a value of `column` (or one combination of `columns`). Rows with a null in
    the key are left out, as in a SQL UNIQUE constraint; pair it with not_null for a primary key."""

    check: Literal["unique"] = "unique"
    column: str | None = None
    columns: Annotated[list[str], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_key(self) -> Unique:
        if (self.column is None) == (self.columns is None):
            raise ValueError("give either column (one) or columns (a list)")
        return self

    def used_columns(self) -> list[str]:
        return [self.column] if self.column is not None else list(self.columns or [])

    def _key(self) -> tuple[str, str]:
        """(a row's key as SQL, a predicate true when no part of the key is null)."""
        names = [quote(c) for c in self.used_columns()]
        present = " AND ".join(f"{n} IS NOT NULL" for n in names)
        return (names[0] if len(names) == 1 else f"struct_pack({', '.join(names)})"), present

    def aggregates(self, ctx: Context) -> list[str]:
        key, present = self._key()
        if self.column is not None:
            return [f"count({key})", f"count(DISTINCT {key})"]
        return [f"count_if({present})", f"count(DISTINCT CASE WHEN {present} THEN {key} END)"]

    def evaluate(self, values: list[Any], rows: int, ctx: Context) -> Outcome:
        duplicates = int(values[0] or 0) - int(values[1] or 0)
        share = fraction(duplicates, rows)
        message = (rows_phrase(duplicates, rows, "repeat a key of an earlier row") if duplicates
                   else f"no key repeats in {rows:,} rows")
        return Outcome(duplicates == 0, {"duplicates": duplicates, "distinct": int(values[1] or 0)},
                       message, duplicates, share)

    def offending(self, ctx: Context) -> str | None:
        key, present = self._key()
        return (f"{key} IN (SELECT {key} FROM {ctx.data.table} WHERE {present} "
                "GROUP BY ALL HAVING count(*) > 1)")

    def expectation(self) -> str:
        return "no repeated " + ("value" if self.column is not None else "combination")


class Distribution(CheckBase):
    """The shares of the column's categories stay within `max_distance` of `expected`, measured as
    total variation distance: half the sum of |observed share - expected share| over categories,
    i.e. the share of rows that would have to change category. Values not in `expected` count in
    full (their expected share is 0). Shares are of the non-null values; `expected` is normalised.
    Keys are the values as text (booleans as 'true'/'false'), compared with CAST(column AS VARCHAR)."""

    check: Literal["distribution"] = "distribution"
    column: str
    expected: Annotated[dict[str, float], Field(min_length=1)]
    max_distance: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1

    @field_validator("expected", mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        for key in value:
            if isinstance(key, bool):
                raise ValueError(f"category {key!r} is a boolean; quote it in YAML (YAML reads NO, yes, "
                                 "on, off as booleans; a boolean column's categories are 'true' and 'false')")
        return {str(key): share for key, share in value.items()}

    @field_validator("expected")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        if any(share < 0 for share in value.values()) or sum(value.values()) <= 0:
            raise ValueError("shares must be zero or more, and not all zero")
        return value

    def _text(self, ctx: Context) -> str:
        column = ctx.column(self.column)
        name = quote(column.name)
        return name if column.type.upper().startswith("VARCHAR") else f"CAST({name} AS VARCHAR)"

    def _categories(self) -> str:
        return ", ".join(literal(key) for key in self.expected)

    def aggregates(self, ctx: Context) -> list[str]:
        text = self._text(ctx)
        # only the expected categories are counted one by one: the map stays small however many
        # values the data has; the rest is non-null minus what the map counted
        return [f"count({text})", f"histogram(CASE WHEN {text} IN ({self._categories()}) THEN {text} END)"]

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "max_distance": self.max_distance}  # the knob a person tunes: always shown

    def evaluate(self, values: list[Any], rows: int, ctx: Context) -> Outcome:
        present = int(values[0] or 0)
        counts = dict(values[1] or [])
        total = sum(self.expected.values())
        if not present:
            return Outcome(False, {"distance": None, "shares": {}, "unseen": 0.0},
                           "no non-null values to compare with the expected shares")
        shares = {key: counts.get(key, 0) / present for key in self.expected}
        unseen = (present - sum(counts.values())) / present
        distance = 0.5 * (sum(abs(shares[key] - share / total) for key, share in self.expected.items()) + unseen)
        passed = distance <= self.max_distance
        worst = max(self.expected, key=lambda key: abs(shares[key] - self.expected[key] / total))
        message = (f"total variation distance {distance:.4f} {'<=' if passed else '>'} {self.max_distance}; "
                   f"{worst!r} is {shares[worst]:.2%} (expected {self.expected[worst] / total:.2%})")
        if unseen:
            message += f", values not in expected: {unseen:.2%}"
        observed = {"distance": round(distance, 6), "shares": {k: round(v, 6) for k, v in shares.items()},
                    "unseen": round(unseen, 6)}
        return Outcome(passed, observed, message)

    def offending(self, ctx: Context) -> str | None:
        text = self._text(ctx)
        return f"{text} NOT IN ({self._categories()})"

    def expectation(self) -> str:
        return f"shares within total variation distance {self.max_distance} of the expected"


class Referential(CheckBase):
    """Every non-null value of `column` exists in `reference_column` of `reference`: a Parquet file,
    folder or glob (a relative path is read from the suite file's folder, or the current folder),
    an in-memory table (pandas, polars, pyarrow; Python only, it cannot be saved in YAML), or,
    when `reference` is left out, this same table."""

    check: Literal["referential"] = "referential"
    column: str
    reference: Any = None
    reference_column: str

    @field_validator("reference")
    @classmethod
    def _reference(cls, value: Any) -> Any:
        if isinstance(value, os.PathLike):
            return str(value)
        if value is None or isinstance(value, (str, Dataset)) or hasattr(value, "schema") or hasattr(value, "columns"):
            return value
        raise ValueError("must be the path of a Parquet file or folder, or a pandas, polars or pyarrow table")

    def used_columns(self) -> list[str]:
        return [self.column, self.reference_column] if self.reference is None else [self.column]

    @property
    def label(self) -> str:
        return f"referential on {self.column!r}"

    def _open_reference(self, ctx: Context) -> Dataset:
        if not isinstance(self.reference, str):
            return open_data(self.reference, name="the reference table")
        path = self.reference
        if ctx.folder is not None and not os.path.isabs(path):
            path = str(ctx.folder / path)
        return open_data(path)

    def prepare(self, ctx: Context) -> None:
        column = ctx.column(self.column)
        if self.reference is None:
            target = ctx.column(self.reference_column)
            name = ctx.data.table
        else:
            reference = self._open_reference(ctx)
            try:
                target = reference.column(self.reference_column)
            except ValidationError as exc:
                raise self.refuse(str(exc)) from None
            name = f"mloop_reference_{len(ctx.attached)}"
            _attach(ctx.data, name, reference)
            if reference is not self.reference:
                reference.close()
        if column.kind != target.kind:
            raise self.refuse(f"{column.name!r} is {column.type} but the reference column "
                              f"{target.name!r} is {target.type}; compare columns of one kind")
        ctx.attached[id(self)] = name

    def _missing(self, ctx: Context) -> str:
        name, ref = quote(self.column), quote(self.reference_column)
        return (f"{name} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {ctx.attached[id(self)]} AS r WHERE r.{ref} = d.{name})")

    def evaluate(self, values: list[Any], rows: int, ctx: Context) -> Outcome:
        table = ctx.data.query(f"SELECT count(*) AS n, count(DISTINCT d.{quote(self.column)}) AS v "
                               f"FROM {ctx.data.table} AS d WHERE {self._missing(ctx)}")
        missing, distinct = table.column("n")[0].as_py(), table.column("v")[0].as_py()
        message = (rows_phrase(missing, rows, f"have a value ({distinct:,} distinct) not in {self._target()}")
                   if missing else f"every value is in {self._target()}")
        return Outcome(missing == 0, {"missing": missing, "missing_values": distinct}, message,
                       missing, fraction(missing, rows))

    def offending(self, ctx: Context) -> str | None:
        name, ref = quote(self.column), quote(self.reference_column)
        return (f"{name} IS NOT NULL AND {name} NOT IN "
                f"(SELECT {ref} FROM {ctx.attached[id(self)]} WHERE {ref} IS NOT NULL)")

    def _target(self) -> str:
        where = "this table" if self.reference is None else (
            self.reference if isinstance(self.reference, str) else "the reference table")
        return f"{self.reference_column!r} of {where}"

    def expected_json(self) -> dict[str, Any]:
        reference = self.reference if self.reference is None or isinstance(self.reference, str) else "<in memory>"
        return {"reference": reference, "reference_column": self.reference_column}

    def expectation(self) -> str:
        return f"every value in {self._target()}"

    def to_dict(self) -> dict[str, Any]:
        if self.reference is not None and not isinstance(self.reference, str):
            raise self.refuse("its reference is an in-memory table, which a suite file cannot hold; "
                              "write it to Parquet and give the path as reference")
        return {"check": self.check, "column": self.column,
                **({"reference": self.reference} if self.reference is not None else {}),
                "reference_column": self.reference_column,
                **({"severity": self.severity} if self.severity != "error" else {}),
                **({"name": self.name} if self.name else {})}


def _attach(data: Dataset, name: str, other: Dataset) -> None:
    """Make `other` readable as `name` on the data's connection (for a join in one query)."""
    if other.in_memory:
        from mloop.quality.inputs import as_arrow_table

        data.connection.register(name, as_arrow_table(other.source, other.name))
    else:
        listing = ", ".join(literal(f) for f in other.files)
        data.connection.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet([{listing}], union_by_name=true)")
