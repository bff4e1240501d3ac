"""The data checks a suite holds, one pydantic model per kind, told apart by their `check` field.

    type            column has a kind: numeric, categorical, datetime or other
    not_null        at most max_fraction nulls (default 0)
    range           values in [min, max]; numbers, or ISO times for a datetime column
    allowed_values  values in a list
    distribution    category shares within max_distance (total variation) of expected
    unique          no repeated value of a column, or combination of columns
    regex           strings match a pattern as a whole (RE2)
    row_count       between min and max rows
    freshness       newest time no older than max_age ('24h', '7d') at now or relative_to
    referential     values exist in a column of a Parquet file, a table, or this table
    custom          a Python function (or 'module:function') of the data

Every check has `severity` ('error', the default, or 'warn': reported, never failing validation)
and an optional `name`. Build them in Python (`Range(column="amount", min=0)`) or from a dict
(`parse_check({"check": "range", "column": "amount", "min": 0})`).
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import Field

from mloop.core.errors import ValidationError
from mloop.quality.checks.base import CheckBase, CheckError, Context, Outcome, Severity
from mloop.quality.checks.sets import Distribution, Referential, Unique
from mloop.quality.checks.table import Custom, Freshness, RowCount
from mloop.quality.checks.values import AllowedValues, NotNull, Range, Regex, TypeCheck

Check = Annotated[
    TypeCheck | NotNull | Range | AllowedValues | Distribution | Unique | Regex | RowCount | Freshness
    | Referential | Custom,
    Field(discriminator="check"),
]

#: every kind of check, by the name a suite gives it
CHECKS: dict[str, type[CheckBase]] = {
    model.model_fields["check"].default: model
    for model in (TypeCheck, NotNull, Range, AllowedValues, Distribution, Unique, Regex, RowCount, Freshness,
                  Referential, Custom)
}

__all__ = [
    "CHECKS", "AllowedValues", "Check", "CheckBase", "Context", "Custom", "Distribution", "Freshness",
    "NotNull", "Outcome", "Range", "Referential", "Regex", "RowCount", "Severity", "TypeCheck", "Unique",
    "parse_check",
]


def parse_check(data: dict[str, Any] | CheckBase, where: str = "check", *, label: bool = True) -> CheckBase:
    """A check from its dict form; `where` starts the one-line error (e.g. 'suite.yaml: check 3'),
    followed by what the check is when `label` (e.g. "(range on 'amount')")."""
    if isinstance(data, CheckBase):
        return data
    if not isinstance(data, dict):
        raise ValidationError(f"{where}: a check is a mapping like {{check: range, column: amount, min: 0}}, "
                              f"not {type(data).__name__}")
    kind = data.get("check")
    if kind not in CHECKS:
        raise ValidationError(f"{where}: {unknown_kind(kind)}")
    try:
        return CHECKS[kind](**data)
    except CheckError as exc:
        raise ValidationError(f"{where} ({exc.label}): {exc.problem}" if label else f"{where}: {exc.problem}") from None


def unknown_kind(kind: Any) -> str:
    if kind is None:
        return f"no check kind given; say which, one of: {', '.join(CHECKS)}"
    close = difflib.get_close_matches(str(kind), CHECKS, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown check {kind!r}; {hint}the checks are: {', '.join(CHECKS)}"
