"""A model's signature: the input columns it was trained on (name, type, nullability, categorical
domain) and the outputs it gives; inferred from training data, checked against every input.

Checks are per column and vectorised (pandas), never per row in Python.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mloop.core.errors import ValidationError

#: a string column with at most this many distinct values (and at most half as many as rows)
#: is categorical: its values are recorded as its domain
MAX_DOMAIN = 20
LOGICAL_TYPES = ("integer", "float", "boolean", "string", "category", "datetime", "object")
_ACCEPTS = {  # expected type -> other types accepted for it (values checked where it matters)
    "float": {"integer"},
    "integer": {"float"},  # when every value is whole (JSON and NaN-holding integer columns)
    "string": {"category"},
    "category": {"string", "integer", "float", "boolean"},
    "datetime": {"string"},  # when every value parses
}


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str  # one of LOGICAL_TYPES
    dtype: str  # the pandas dtype it was trained with
    nullable: bool
    categories: list[Any] | None = None


@dataclass(frozen=True)
class OutputSpec:
    name: str  # "prediction" | "probabilities"
    type: str
    dtype: str
    shape: list[int]  # -1 is the batch dimension
    classes: list[Any] | None = None


@dataclass(frozen=True)
class Signature:
    inputs: tuple[ColumnSpec, ...]
    outputs: tuple[OutputSpec, ...] = field(default=())

    @property
    def columns(self) -> list[str]:
        return [c.name for c in self.inputs]

    def to_dict(self) -> dict[str, Any]:
        return {"inputs": [asdict(c) for c in self.inputs], "outputs": [asdict(o) for o in self.outputs]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signature:
        return cls(tuple(ColumnSpec(**c) for c in data.get("inputs", [])),
                   tuple(OutputSpec(**o) for o in data.get("outputs", [])))

    @classmethod
    def infer(cls, frame: Any, model: Any = None) -> Signature:
        """The signature of `frame` (the model's training inputs); outputs from predicting a few rows."""
        inputs = tuple(_column_spec(str(name), frame[name]) for name in frame.columns)
        outputs = infer_outputs(model, frame.head(5)) if model is not None and len(frame) else ()
        return cls(inputs, outputs)

    def problems(self, data: Any) -> list[str]:
        """What is wrong with `data` (a DataFrame, a record, a list of records, or columns): [] if nothing."""
        return _problems(self, as_frame(data))

    def validate(self, data: Any, what: str = "input") -> Any:
        """`data` as a DataFrame in the signature's column order, ready for the model; raises one
        ValidationError naming every missing, extra or mistyped column."""
        frame = as_frame(data)
        problems = _problems(self, frame)
        if problems:
            expected = ", ".join(f"{c.name}:{c.type}" for c in self.inputs)
            raise ValidationError(f"{what} does not match the signature: {'; '.join(problems)} "
                                  f"(expected columns: {expected})")
        return conform(self, frame)

    def to_json_schema(self, title: str = "input") -> dict[str, Any]:
        from mloop.registry.schema_formats import json_schema

        return json_schema(self, title)

    def to_avro(self, name: str = "Input", namespace: str = "mloop") -> dict[str, Any]:
        from mloop.registry.schema_formats import avro_schema

        return avro_schema(self, name, namespace)

    def to_proto(self, name: str = "Model", package: str = "mloop") -> str:
        from mloop.registry.schema_formats import proto_file

        return proto_file(self, name, package)


def as_frame(data: Any) -> Any:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, dict) and list(data) == ["instances"] and isinstance(data["instances"], list):
        data = data["instances"]  # a request body: {"instances": [record, ...]}
    if isinstance(data, dict) and data and all(isinstance(v, (list, tuple)) for v in data.values()):
        return pd.DataFrame(data)
    if isinstance(data, dict):
        return pd.DataFrame([data])
    if isinstance(data, list) and all(isinstance(row, dict) for row in data):
        return pd.DataFrame.from_records(data)
    raise ValidationError(f"cannot check a {type(data).__name__} against a signature: give a DataFrame, a record "
                          "({column: value}), a list of records, {\"instances\": [records]}, or columns "
                          "({column: [values]})")


def logical_type(series: Any) -> str | None:
    """The signature type of a column; None for a column with no values at all."""
    import pandas as pd
    from pandas.api import types

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if types.is_object_dtype(dtype):
        inferred = types.infer_dtype(series, skipna=True)
        return {"string": "string", "integer": "integer", "floating": "float", "mixed-integer-float": "float",
                "boolean": "boolean", "datetime": "datetime", "datetime64": "datetime", "empty": None,
                "decimal": "float"}.get(inferred, "object")
    if types.is_bool_dtype(dtype):
        return "boolean"
    if types.is_integer_dtype(dtype):
        return "integer"
    if types.is_float_dtype(dtype):
        return "float" if series.notna().any() or len(series) == 0 else None
    if types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if types.is_string_dtype(dtype):
        return "string"
    return "object"


def _column_spec(name: str, series: Any) -> ColumnSpec:
    kind = logical_type(series) or "object"
    categories: list[Any] | None = None
    if kind == "category":
        categories = [_plain(v) for v in series.cat.categories]
    elif kind == "string":
        distinct = series.dropna().unique()
        if len(distinct) <= MAX_DOMAIN and 2 * len(distinct) <= len(series):
            categories = sorted(str(v) for v in distinct)
    return ColumnSpec(name, kind, str(series.dtype), bool(series.isna().any()), categories)


def infer_outputs(model: Any, sample: Any) -> tuple[OutputSpec, ...]:
    import numpy as np

    from mloop.registry import adapters

    predictions = np.asarray(adapters.predict(model, sample))
    known = adapters.classes(model)
    outputs = [OutputSpec("prediction", _numpy_type(predictions.dtype), str(predictions.dtype),
                          [-1, *predictions.shape[1:]], known)]
    try:
        probabilities = adapters.predict_proba(model, sample)
    except Exception:  # e.g. an SVC without probability=True: no probabilities output
        probabilities = None
    if probabilities is not None:
        array = np.asarray(probabilities)
        outputs.append(OutputSpec("probabilities", "float", str(array.dtype), [-1, *array.shape[1:]], known))
    return tuple(outputs)


def _numpy_type(dtype: Any) -> str:
    return {"b": "boolean", "i": "integer", "u": "integer", "f": "float", "U": "string", "S": "string",
            "M": "datetime"}.get(dtype.kind, "object")


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _problems(signature: Signature, frame: Any) -> list[str]:
    names = [str(c) for c in frame.columns]
    expected = {c.name: c for c in signature.inputs}
    problems = [f"missing column {c.name!r}" for c in signature.inputs if c.name not in names]
    problems += [f"extra column {name!r}" for name in names if name not in expected]
    for name in names:
        spec = expected.get(name)
        if spec is not None:
            problems += _column_problems(spec, frame[name])
    return problems


def _column_problems(spec: ColumnSpec, series: Any) -> list[str]:
    import pandas as pd

    actual = logical_type(series)
    values = series.dropna()
    if actual is not None and actual != spec.type:
        if actual not in _ACCEPTS.get(spec.type, ()):
            return [f"column {spec.name!r} is {actual} ({series.dtype}), expected {spec.type} ({spec.dtype})"]
        if spec.type == "integer" and not (values.astype(float) % 1 == 0).all():
            return [f"column {spec.name!r} has fractional values, expected {spec.type} ({spec.dtype})"]
        if spec.type == "datetime" and pd.to_datetime(values, errors="coerce").isna().any():
            return [f"column {spec.name!r} has values that are not dates, expected datetime"]
    problems = []
    if spec.type in ("float", "integer") and actual in ("float", "integer") and len(values):
        import numpy as np

        infinite = int(np.isinf(values.to_numpy(dtype=float, na_value=np.nan)).sum())
        if infinite:
            problems.append(f"column {spec.name!r} has {infinite} infinite value(s), expected finite numbers")
    if spec.categories is not None and len(values):
        unknown = pd.unique(values[~values.astype(str).isin([str(c) for c in spec.categories])])
        if len(unknown):
            shown = ", ".join(repr(_plain(v)) for v in unknown[:3]) + (", ..." if len(unknown) > 3 else "")
            known = ", ".join(map(str, spec.categories[:10])) + (", ..." if len(spec.categories) > 10 else "")
            problems.append(f"column {spec.name!r} has unknown value(s) {shown} (known: {known})")
    if not spec.nullable and len(values) < len(series):
        problems.append(f"column {spec.name!r} has {len(series) - len(values)} missing value(s), but it had none "
                        "in training")
    return problems


def conform(signature: Signature, frame: Any) -> Any:
    """The columns in training order, categorical and date columns given their training dtypes."""
    import pandas as pd

    result = frame if list(frame.columns) == signature.columns else frame[signature.columns]
    changes = {}
    for spec in signature.inputs:
        column = result[spec.name]
        if spec.type == "category" and not isinstance(column.dtype, pd.CategoricalDtype):
            changes[spec.name] = column.astype(pd.CategoricalDtype(spec.categories))
        elif spec.type == "datetime" and logical_type(column) == "string":
            changes[spec.name] = pd.to_datetime(column)
    return result.assign(**changes) if changes else result
