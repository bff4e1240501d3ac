"""Request records checked against a model signature, and gathered into one model input.

A single-row request is the hot path of online serving: building and checking a one-row pandas
DataFrame costs about a millisecond, longer than the model's own work. So one JSON record is
checked field by field against the signature here (a dict lookup and a type test per field), and
the records of a micro-batch become one DataFrame, column by column, once per batch. The rules
are the signature's (registry.signature): the same types accepted, the same categorical domains,
the same nullability, plus "no NaN or infinity" for numbers the model was trained without.
Larger requests (columns, many records) go through `Signature.validate` as they are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from mloop.registry.signature import ColumnSpec, Signature

#: checks one present value; returns a problem or None
_Check = Callable[[Any], "str | None"]


class RecordValidator:
    """Checks single records against a signature and builds the model input of a batch."""

    def __init__(self, signature: Signature) -> None:
        self.signature = signature
        self.columns = signature.columns
        self._checks: list[tuple[str, bool, _Check]] = [(c.name, c.nullable, _value_check(c)) for c in signature.inputs]
        self._expected = frozenset(self.columns)
        #: every column a float: rows can become one float array (integers keep their own dtype)
        self.numeric = all(c.type == "float" and c.dtype == "float64" for c in signature.inputs)

    def problems(self, record: Any) -> list[str]:
        """What is wrong with one record ({column: value}); [] when it can be predicted."""
        if not isinstance(record, dict):
            return [f"a record must be a JSON object of column: value, got {type(record).__name__}"]
        problems = []
        for name, nullable, check in self._checks:
            if name not in record:
                problems.append(f"missing field {name!r}")
                continue
            value = record[name]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                if not nullable:
                    problems.append(f"field {name!r} is null, but it had no missing values in training")
                continue
            problem = check(value)
            if problem:
                problems.append(f"field {name!r} {problem}")
        if len(record) > len(self._expected) or any(key not in self._expected for key in record):
            problems += [f"unknown field {key!r}" for key in record if key not in self._expected]
        return problems

    def frame(self, records: Sequence[dict[str, Any]]) -> Any:
        """The checked records as the DataFrame the model takes (training column order and dtypes)."""
        import pandas as pd

        from mloop.registry.signature import conform

        if self.numeric:  # one float block: a tenth of the time of a frame built column by column
            return pd.DataFrame(self.matrix(records), columns=self.columns)
        data = {name: [record[name] for record in records] for name in self.columns}
        return conform(self.signature, pd.DataFrame(data, columns=self.columns))

    def matrix(self, records: Sequence[dict[str, Any]]) -> Any:
        """The checked records of an all-numeric signature as one float array (rows × columns), NaN for nulls."""
        import numpy as np

        columns = self.columns
        return np.array([[record[name] for name in columns] for record in records], dtype=np.float64)


def _value_check(spec: ColumnSpec) -> _Check:
    kind = spec.type
    if kind == "float":
        return _number
    if kind == "integer":
        return _integer
    if kind == "boolean":
        return lambda value: None if isinstance(value, bool) else f"is {_json_type(value)}, expected boolean"
    if kind in ("string", "category") and spec.categories is not None:
        known = frozenset(str(c) for c in spec.categories)
        shown = ", ".join(map(str, spec.categories[:10])) + (", ..." if len(spec.categories) > 10 else "")
        accept = (str,) if kind == "string" else (str, int, float, bool)

        def categorical(value: Any) -> str | None:
            if not isinstance(value, accept):
                return f"is {_json_type(value)}, expected {kind}"
            return None if str(value) in known else f"has unknown value {value!r} (known: {shown})"

        return categorical
    if kind in ("string", "datetime"):
        return lambda value: None if isinstance(value, str) else f"is {_json_type(value)}, expected {kind}"
    return lambda value: None


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"is {_json_type(value)}, expected a number"
    if isinstance(value, float) and math.isinf(value):
        return "is infinite, expected a finite number"
    return None


def _integer(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"is {_json_type(value)}, expected an integer"
    if isinstance(value, float) and not value.is_integer():
        return f"is {value!r}, expected an integer"
    return None


def _json_type(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)
