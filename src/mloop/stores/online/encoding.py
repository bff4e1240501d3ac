"""How online rows are written down, shared by every backend: entity keys as canonical JSON text,
event times as integer microseconds since the epoch (UTC), feature values as one JSON object per
row. Encoding a batch is vectorised (pyarrow compute); only reads decode per row.

    entity_key(["c1", 7])            # '["c1",7]'  (("c1", 7) and ("c1", "7") differ)
    entity_keys([ids, stores])       # the same text for every row of the columns, vectorised
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mloop.core.errors import ValidationError

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_VIEW_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
_CONTROL = "[\x00-\x1f]"
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def check_view(view: str) -> str:
    if not isinstance(view, str) or not _VIEW_NAME.fullmatch(view):
        raise ValidationError(f"online view name {view!r} is not valid; use letters, digits, _, . and -")
    return view


# ---------------------------------------------------------------- entity keys


def entity_key(values: Any) -> str:
    """The canonical key of one entity: compact JSON of the list of its join-key values, so
    ("a", 1) and ("a", "1") differ. A single value stands for a one-value key; a float that is a
    whole number is that integer (ids read back from a nullable column stay the same key). Values
    must be strings, integers or booleans: a null or fractional value is a ValidationError."""
    items = list(values) if isinstance(values, (list, tuple)) else [values]
    if not items:
        raise ValidationError("an entity key needs at least one join-key value")
    return json.dumps([_key_value(v) for v in items], separators=(",", ":"), ensure_ascii=False)


def _key_value(value: Any) -> str | int | bool:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise ValidationError("an entity key value is null; drop rows whose join keys are null before writing")
    raise ValidationError(f"entity key value {value!r} ({type(value).__name__}) is not usable; "
                          f"join keys must be strings, integers or booleans")


def entity_keys(columns: Sequence[Any]) -> list[str]:
    """`entity_key` of every row of the join-key `columns` (arrays, lists, pandas Series, ...),
    vectorised: equal to `[entity_key(row) for row in zip(*columns)]`."""
    if not columns:
        raise ValidationError("an entity key needs at least one join-key column")
    arrays = [_combined(pa.array(c) if not isinstance(c, (pa.Array, pa.ChunkedArray)) else c) for c in columns]
    if len({len(a) for a in arrays}) > 1:
        raise ValidationError(f"join-key columns differ in length: {[len(a) for a in arrays]}")
    parts: list[Any] = []
    for index, array in enumerate(arrays):
        parts += [pa.scalar("[" if index == 0 else ","), _key_text(array, index)]
    parts.append(pa.scalar("]"))
    joined: list[str] = pc.binary_join_element_wise(*parts, "").to_pylist()
    return joined


def _key_text(array: pa.Array, index: int) -> pa.Array:
    if array.null_count or (pa.types.is_floating(array.type) and pc.any(pc.is_nan(array)).as_py()):
        raise ValidationError(f"join-key column {index} holds nulls; drop those rows before writing")
    kind = array.type
    if pa.types.is_dictionary(kind):
        return _key_text(array.cast(kind.value_type), index)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return json_strings(array.cast(pa.string()))
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return array.cast(pa.string())
    if pa.types.is_floating(kind):
        whole = pc.equal(pc.floor(array), array)
        if not pc.all(whole).as_py():
            raise ValidationError(f"join-key column {index} holds fractional numbers; join keys must be "
                                  f"strings, integers or booleans")
        return array.cast(pa.int64()).cast(pa.string())
    raise ValidationError(f"join-key column {index} is {kind}; join keys must be strings, integers or booleans")


# ---------------------------------------------------------------- values


def json_strings(array: pa.Array) -> pa.Array:
    """Each string of `array` as a JSON string literal, as json.dumps(ensure_ascii=False) writes it."""
    escaped = pc.replace_substring(array, "\\", "\\\\")
    escaped = pc.replace_substring(escaped, '"', '\\"')
    if pc.any(pc.match_substring_regex(escaped, _CONTROL)).as_py():
        for code in range(0x20):
            char = chr(code)
            escaped = pc.replace_substring(escaped, char, _NAMED_ESCAPES.get(char, f"\\u{code:04x}"))
    return pc.binary_join_element_wise(pa.scalar('"'), escaped, pa.scalar('"'), "")


def _value_text(array: pa.Array, name: str) -> pa.Array:
    """A feature column as JSON text per row; null (and NaN) as `null`."""
    kind = array.type
    if pa.types.is_null(kind):
        return pa.array(["null"] * len(array), pa.string())
    if pa.types.is_dictionary(kind):
        return _value_text(array.cast(kind.value_type), name)
    if pa.types.is_boolean(kind) or pa.types.is_integer(kind):
        text = array.cast(pa.string())
    elif pa.types.is_floating(kind):
        text = _float_text(array.cast(pa.float32()) if pa.types.is_float16(kind) else array)
    elif pa.types.is_decimal(kind):
        whole = kind.scale == 0 and _fits_int64(array)
        return _value_text(array.cast(pa.int64() if whole else pa.float64()), name)
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        text = json_strings(array.cast(pa.string()))
    else:
        raise ValidationError(f"feature {name!r} is {kind}; online feature values are numbers, strings, booleans "
                              f"or nulls; cast it first (e.g. a time to epoch seconds)")
    return pc.fill_null(text, "null")


def _float_text(array: pa.Array) -> pa.Array:
    # Arrow writes the shortest text that reads back to the same float, but "1" for 1.0: whole
    # numbers get ".0" so that JSON reads a float again. NaN is null; ±inf is written as Python's
    # json does. Each fix touches only the rows that need it (most columns need none).
    text = array.cast(pa.string())
    whole = pc.fill_null(pc.and_(pc.equal(pc.floor(array), array), pc.is_finite(array)), False)
    if pc.any(whole).as_py():
        subset = text.filter(whole)
        fixed = pc.if_else(pc.match_substring(subset, "e"), subset,
                           pc.binary_join_element_wise(subset, pa.scalar(".0"), ""))
        text = pc.replace_with_mask(text, whole, fixed)
    nan = pc.fill_null(pc.is_nan(array), False)
    if pc.any(nan).as_py():
        text = pc.if_else(nan, pa.scalar(None, pa.string()), text)
    infinite = pc.fill_null(pc.is_inf(array), False)
    if pc.any(infinite).as_py():
        text = pc.if_else(infinite, pc.if_else(pc.greater(array, 0), "Infinity", "-Infinity"), text)
    return text


def _fits_int64(array: pa.Array) -> bool:
    try:
        array.cast(pa.int64())
    except pa.ArrowInvalid:
        return False
    return True


def json_objects(table: pa.Table, rows: int) -> pa.Array:
    """One compact JSON object per row of `table` ({"name": value, ...}), vectorised; `rows`
    objects `{}` when the table has no columns."""
    if not table.num_columns:
        return pa.array(["{}"] * rows, pa.string())
    parts: list[Any] = []
    for index, name in enumerate(table.column_names):
        prefix = ("{" if index == 0 else ",") + json.dumps(name, ensure_ascii=False) + ":"
        parts += [pa.scalar(prefix), _value_text(_combined(table.column(index)), name)]
    parts.append(pa.scalar("}"))
    return pc.binary_join_element_wise(*parts, "")


# ---------------------------------------------------------------- times


def micros(times: Any, what: str = "event_times") -> np.ndarray:
    """`times` (datetimes, a numpy datetime64 array, a pandas or pyarrow timestamp column) as int64
    microseconds since the epoch, UTC. Naive times are taken as UTC; finer precision is truncated."""
    array = _combined(times if isinstance(times, (pa.Array, pa.ChunkedArray)) else _arrow(times, what))
    if array.null_count:
        raise ValidationError(f"{what} holds {array.null_count} null time(s); every row needs its time")
    if not (pa.types.is_timestamp(array.type) or pa.types.is_date(array.type)):
        raise ValidationError(f"{what} must be datetimes (or a datetime64 array), got {array.type}")
    # a tz-aware column already holds UTC instants; a naive one is read as UTC
    result: np.ndarray = array.cast(pa.timestamp("us"), safe=False).cast(pa.int64()).to_numpy()
    return result


def to_datetime(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def _arrow(values: Any, what: str) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise ValidationError(f"{what} cannot be read as a column: {str(exc).splitlines()[0]}") from None


def _combined(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


# ---------------------------------------------------------------- batches


@dataclass(frozen=True)
class EncodedBatch:
    """One write_batch call, validated and encoded column-wise."""

    keys: pa.Array  # string
    times: np.ndarray  # int64 µs
    created: np.ndarray | None  # int64 µs
    payloads: pa.Array  # string, one JSON object per row

    @property
    def rows(self) -> int:
        return len(self.keys)

    @property
    def newest(self) -> int:
        return int(self.times.max())


def encode_batch(view: str, keys: Sequence[str] | pa.Array, event_times: Any,
                 values: pa.Table | Mapping[str, Sequence[Any]], created_times: Any = None) -> EncodedBatch:
    check_view(view)
    key_array = _combined(keys if isinstance(keys, (pa.Array, pa.ChunkedArray)) else _arrow(keys, "keys"))
    if len(key_array) and not (pa.types.is_string(key_array.type) or pa.types.is_large_string(key_array.type)):
        raise ValidationError(f"keys must be strings made by entity_key(), got {key_array.type}")
    if key_array.null_count:
        raise ValidationError("keys hold nulls; every row needs its entity_key()")
    key_array = key_array.cast(pa.string())
    table = _table(values)
    times = micros(event_times) if len(key_array) else np.empty(0, np.int64)
    created = None if created_times is None else micros(created_times, "created_times")
    lengths = {"keys": len(key_array), "event_times": len(times),
               **({"values": table.num_rows} if table.num_columns else {}),
               **({"created_times": len(created)} if created is not None else {})}
    if len(set(lengths.values())) > 1:
        raise ValidationError("write_batch needs one row per key; lengths differ: "
                              + ", ".join(f"{k} {v}" for k, v in lengths.items()))
    if table.num_columns and len(set(table.column_names)) < table.num_columns:
        raise ValidationError(f"feature names repeat in {table.column_names}; give each column its own name")
    return EncodedBatch(key_array, times, created, json_objects(table, len(key_array)))


def _table(values: Any) -> pa.Table:
    if isinstance(values, pa.Table):
        return values
    try:
        return pa.table(values)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise ValidationError(f"feature values cannot be read as a table: {str(exc).splitlines()[0]}") from None


def check_read(view: str, keys: Sequence[str], features: Sequence[str] | None) -> None:
    """The arguments of a read: a string where a list belongs is the usual slip."""
    check_view(view)
    if isinstance(keys, str) or isinstance(features, str):
        what, example = ("keys", "[entity_key(['c1'])]") if isinstance(keys, str) else ("features", "['spend']")
        raise ValidationError(f"{what} must be a list, not one string; e.g. {example}")


def decode_values(payload: str | bytes, features: Sequence[str] | None) -> dict[str, Any]:
    values: dict[str, Any] = json.loads(payload)
    if features is None:
        return values
    return {name: values[name] for name in features if name in values}
