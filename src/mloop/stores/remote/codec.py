"""The JSON codec of store calls between a remote client and the server: arguments and results of
the role stores' methods as plain JSON, with a few tagged shapes (`{"__t": tag, ...}`).

The server decodes what any client sends, so this is a trust boundary: records are rebuilt only
from an allowlist of the metadata store's own dataclasses (by name, from the modules listed
below), arrays only with numeric dtypes, and nothing is ever unpickled or imported by a name the
peer gave. Anything else is a ValidationError."""

from __future__ import annotations

import base64
import dataclasses
import importlib
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import PurePath
from typing import Any

import numpy as np

from mloop.core.errors import ValidationError

#: the modules whose dataclasses may travel (the records of mloop.stores.metadata's role stores)
RECORD_MODULES = (
    "mloop.stores.metadata.records", "mloop.stores.metadata.tracking_records",
    "mloop.stores.metadata.registry_records", "mloop.stores.metadata.run_query", "mloop.stores.metadata.quality",
    "mloop.stores.metadata.features", "mloop.stores.metadata.deployments", "mloop.stores.metadata.predictions",
    "mloop.stores.metadata.monitors", "mloop.stores.metadata.schedules", "mloop.stores.metadata.runs",
)
#: array dtypes that may travel (no object arrays: those would need pickle)
ARRAY_KINDS = frozenset("biufcmM")
TAG = "__t"
_PLAIN = (str, int, float, bool, type(None))
_PLAIN_TYPES = frozenset(_PLAIN)


@cache
def record_types() -> dict[str, type]:
    """Name -> dataclass of every record the codec rebuilds (defined in RECORD_MODULES)."""
    found: dict[str, type] = {}
    for module_name in RECORD_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module_name:
                found[name] = value
    return found


def encode(value: Any) -> Any:
    """`value` as JSON-ready data (see the module docstring for what can travel)."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, list):
        if value and type(value[0]) is tuple and _plain_rows(value):  # the hot path: metric rows
            return {TAG: "rows", "v": [list(row) for row in value]}
        return [encode(item) for item in value]
    if isinstance(value, dict):
        if all(type(key) is str for key in value) and TAG not in value:
            return {key: encode(item) for key, item in value.items()}
        return {TAG: "dict", "v": [[encode(key), encode(item)] for key, item in value.items()]}
    if isinstance(value, tuple):
        if all(type(item) in _PLAIN for item in value):
            return {TAG: "tuple", "v": list(value)}
        return {TAG: "tuple", "v": [encode(item) for item in value]}
    if isinstance(value, datetime):
        return {TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, date):
        return {TAG: "date", "v": value.isoformat()}
    if isinstance(value, timedelta):
        return {TAG: "timedelta", "v": value.total_seconds()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if record_types().get(name) is not type(value):
            raise ValidationError(f"{type(value).__module__}.{name} cannot be sent to an mloop server; "
                                  "store calls take the records of mloop.stores.metadata")
        return {TAG: "record", "n": name,
                "v": {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in ARRAY_KINDS:
            return [encode(item) for item in value.tolist()]
        array = np.ascontiguousarray(value)
        return {TAG: "array", "dtype": array.dtype.str, "shape": list(array.shape),
                "v": base64.b64encode(array.tobytes()).decode()}
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, (set, frozenset)):
        return {TAG: "set" if isinstance(value, set) else "frozenset", "v": [encode(item) for item in value]}
    if isinstance(value, bytes):
        return {TAG: "bytes", "v": base64.b64encode(value).decode()}
    if isinstance(value, PurePath):
        return str(value)
    tolist = getattr(value, "to_pylist", None)  # pyarrow arrays and columns
    if callable(tolist):
        return encode(tolist())
    raise ValidationError(f"a {type(value).__name__} cannot be sent to an mloop server")


def decode(data: Any) -> Any:
    """The value `encode` made `data` from; ValidationError for anything it would not make."""
    if isinstance(data, _PLAIN):
        return data
    if isinstance(data, list):
        return [decode(item) for item in data]
    if not isinstance(data, dict):
        raise ValidationError(f"cannot decode a {type(data).__name__} in a store call")
    tag = data.get(TAG)
    if tag is None:
        return {key: decode(item) for key, item in data.items()}
    try:
        return _decode_tagged(tag, data)
    except ValidationError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"malformed {tag!r} value in a store call ({type(exc).__name__}: {exc})") from None


def _decode_tagged(tag: Any, data: dict[str, Any]) -> Any:
    if tag == "rows":
        rows = data["v"]
        if not (all(type(row) is list for row in rows) and {type(v) for row in rows for v in row} <= _PLAIN_TYPES):
            raise ValidationError("rows in a store call must be lists of plain values")
        return [tuple(row) for row in rows]
    if tag == "tuple":
        return tuple(decode(item) for item in data["v"])
    if tag == "datetime":
        return datetime.fromisoformat(data["v"])
    if tag == "record":
        cls = record_types().get(data["n"]) if isinstance(data["n"], str) else None
        if cls is None:
            raise ValidationError(f"unknown record type {str(data['n'])[:80]!r} in a store call")
        values = data["v"]
        if not isinstance(values, dict):
            raise ValidationError(f"record {data['n']} must be a mapping of its fields")
        return cls(**{key: decode(item) for key, item in values.items()})
    if tag == "dict":
        return {_hashable(decode(key)): decode(item) for key, item in data["v"]}
    if tag == "array":
        dtype = np.dtype(data["dtype"])
        if dtype.kind not in ARRAY_KINDS:
            raise ValidationError(f"arrays of dtype {dtype} cannot be sent to an mloop server")
        return np.frombuffer(base64.b64decode(data["v"]), dtype=dtype).reshape(data["shape"]).copy()
    if tag in ("set", "frozenset"):
        items = {_hashable(decode(item)) for item in data["v"]}
        return items if tag == "set" else frozenset(items)
    if tag == "date":
        return date.fromisoformat(data["v"])
    if tag == "timedelta":
        return timedelta(seconds=float(data["v"]))
    if tag == "bytes":
        return base64.b64decode(data["v"])
    raise ValidationError(f"unknown value tag {str(tag)[:40]!r} in a store call")


def _plain_rows(value: list[Any]) -> bool:
    """Whether `value` is a list of tuples of plain values (sent as one list of lists)."""
    return all(type(row) is tuple for row in value) and {type(v) for row in value for v in row} <= _PLAIN_TYPES


def _hashable(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        raise ValidationError("a list or mapping cannot be a key or set member in a store call")
    return value
