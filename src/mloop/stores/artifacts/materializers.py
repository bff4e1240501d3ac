"""Materializers turn a Python object into bytes on disk and back.

Each one names the types it handles by qualified class name, so looking one up never imports
pandas, polars or scikit-learn. The first materializer, newest registration first, whose type
is in the object's MRO wins. Its `version` enters step cache keys: bump it when the format changes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from mloop.core.errors import ValidationError


class Materializer:
    """Implement `dumps`/`loads` (bytes in memory: fastest, and an identical output is never
    written twice) or `save`/`load` (a file or folder at a path)."""

    name: str = ""
    version: str = "1"
    #: qualified names of the types this materializer saves (matched along the MRO)
    types: tuple[str, ...] = ()
    #: file (or folder) name the object is written to
    filename: str = "data"

    def dumps(self, obj: Any) -> tuple[bytes, dict[str, Any]]:
        """The object's bytes and a small JSON summary (shape, schema, ...)."""
        raise NotImplementedError

    def loads(self, data: bytes) -> Any:
        raise NotImplementedError

    def save(self, obj: Any, path: Path) -> dict[str, Any]:
        """Write `obj` at `path`; return a small JSON summary."""
        data, summary = self.dumps(obj)
        path.write_bytes(data)
        return summary

    def load(self, path: Path) -> Any:
        return self.loads(path.read_bytes())

    @property
    def in_memory(self) -> bool:
        return type(self).dumps is not Materializer.dumps and type(self).loads is not Materializer.loads


_REGISTRY: list[Materializer] = []
_BY_NAME: dict[str, Materializer] = {}


def register_materializer(materializer: Materializer | type[Materializer], *types: type | str) -> Materializer:
    """Register a materializer (instance or class), optionally for extra types. Later wins."""
    instance = materializer() if isinstance(materializer, type) else materializer
    if types:
        instance.types = tuple(instance.types) + tuple(_type_name(t) for t in types)
    if not instance.name:
        raise ValidationError(f"materializer {type(instance).__name__} needs a name")
    _REGISTRY.insert(0, instance)
    _BY_NAME[instance.name] = instance
    return instance


def get_materializer(name: str) -> Materializer:
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise ValidationError(f"unknown materializer {name!r}; known: {known}") from None


def materializer_for(obj: Any) -> Materializer:
    names = [_type_name(cls) for cls in type(obj).__mro__]
    for materializer in _REGISTRY:
        if materializer.name == "pickle":
            continue
        if any(n in materializer.types for n in names):
            return materializer
    raise ValidationError(
        f"no materializer for {names[0]}; register one with mloop.register_materializer(...) "
        f"or opt in to pickle with @step(materializer='pickle')"
    )


def _type_name(cls: type | str) -> str:
    return cls if isinstance(cls, str) else f"{cls.__module__}.{cls.__qualname__}"


class JsonMaterializer(Materializer):
    name = "json"
    types = ("builtins.dict", "builtins.list", "builtins.tuple", "builtins.str", "builtins.int",
             "builtins.float", "builtins.bool", "builtins.NoneType")
    filename = "value.json"

    def dumps(self, obj: Any) -> tuple[bytes, dict[str, Any]]:
        try:
            text = json.dumps(obj, sort_keys=True, allow_nan=True)
        except TypeError as exc:
            raise ValidationError(f"value is not JSON-serialisable ({exc}); return a supported type "
                                  "or choose a materializer") from exc
        summary: dict[str, Any] = {"python_type": type(obj).__name__}
        if isinstance(obj, (dict, list, tuple)):
            summary["length"] = len(obj)
        else:
            summary["value"] = obj if len(text) <= 200 else text[:200]
        return text.encode(), summary

    def loads(self, data: bytes) -> Any:
        return json.loads(data)


class BytesMaterializer(Materializer):
    name = "bytes"
    types = ("builtins.bytes", "builtins.bytearray")
    filename = "value.bin"

    def dumps(self, obj: Any) -> tuple[bytes, dict[str, Any]]:
        return bytes(obj), {"length": len(obj)}

    def loads(self, data: bytes) -> Any:
        return data


class PathMaterializer(Materializer):
    """A file or folder on disk, stored as is; loads back as the stored path."""

    name = "path"
    types = ("pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath")
    filename = ""  # keeps the source's own name

    def save(self, obj: Any, path: Path) -> dict[str, Any]:
        import shutil

        source = Path(obj)
        if source.is_dir():
            shutil.copytree(source, path)
            files = [p for p in path.rglob("*") if p.is_file()]
            return {"kind": "folder", "files": len(files)}
        if not source.is_file():
            raise ValidationError(f"cannot store {source}: no such file or folder")
        shutil.copyfile(source, path)
        return {"kind": "file", "name": source.name}

    def load(self, path: Path) -> Any:
        return path


class NumpyMaterializer(Materializer):
    name = "numpy"
    types = ("numpy.ndarray",)
    filename = "array.npy"

    def dumps(self, obj: Any) -> tuple[bytes, dict[str, Any]]:
        import numpy as np

        if obj.dtype == object:
            raise ValidationError("object arrays cannot be stored safely; convert the array or opt in to pickle")
        buffer = io.BytesIO()
        np.save(buffer, obj, allow_pickle=False)
        return buffer.getvalue(), {"shape": list(obj.shape), "dtype": str(obj.dtype)}

    def loads(self, data: bytes) -> Any:
        import numpy as np

        return np.load(io.BytesIO(data), allow_pickle=False)


def _parquet_bytes(table: Any) -> tuple[bytes, dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, use_dictionary=_dictionary_columns(table.schema))
    summary = {"shape": [table.num_rows, table.num_columns],
               "columns": {f.name: str(f.type) for f in table.schema}}
    return sink.getvalue().to_pybytes(), summary


def _dictionary_columns(schema: Any) -> Any:
    """Dictionary-encode every column but floating-point ones: their values rarely repeat, so the
    dictionary is built and thrown away (half the write time of a numeric frame), and the file
    comes out no smaller. Nested columns keep the default (their leaves have paths of their own)."""
    import pyarrow as pa

    if any(pa.types.is_nested(f.type) for f in schema):
        return True
    return [f.name for f in schema if not pa.types.is_floating(f.type)]


def _parquet_table(data: bytes) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pq.ParquetFile(pa.BufferReader(data)).read()


class ArrowMaterializer(Materializer):
    name = "arrow.parquet"
    types = ("pyarrow.lib.Table",)
    filename = "data.parquet"

    def dumps(self, obj: Any) -> tuple[bytes, dict[str, Any]]:
        return _parquet_bytes(obj)

    def loads(self, data: bytes) -> Any:
        return _parquet_table(data)


class PandasMaterializer(Materializer):
    name = "pandas.parquet"
    types = ("pandas.DataFrame", "pandas.core.frame.DataFrame", "pandas.Series", "pandas.core.series.Series")
    filename = "data.parquet"

    def dumps(self, obj: Any) -> tuple[bytes, dict[str, Any]]:
        import pandas as pd

        from mloop.stores.artifacts.frames import frame_to_table

        if any(str(key).startswith("mloop_") for key in obj.attrs):
            # mloop's own bookkeeping (e.g. a training set's manifest) never enters the bytes: the
            # same data is the same artifact whether or not it carries it
            obj = obj.copy(deep=False)
            obj.attrs = {k: v for k, v in obj.attrs.items() if not str(k).startswith("mloop_")}
        table = frame_to_table(obj.to_frame() if isinstance(obj, pd.Series) else obj)
        if isinstance(obj, pd.Series):
            # An unnamed series is stored as column "0": remember to drop that name again on load.
            kind = b"unnamed" if obj.name is None else b"1"
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"mloop.series": kind})
        return _parquet_bytes(table)

    def loads(self, data: bytes) -> Any:
        table = _parquet_table(data)
        frame = table.to_pandas()
        series = (table.schema.metadata or {}).get(b"mloop.series")
        if series:
            return frame.iloc[:, 0].rename(None) if series == b"unnamed" else frame.iloc[:, 0]
        return frame


class PolarsMaterializer(Materializer):
    name = "polars.parquet"
    types = ("polars.DataFrame", "polars.dataframe.frame.DataFrame")
    filename = "data.parquet"

    def dumps(self, obj: Any) -> tuple[bytes, dict[str, Any]]:
        return _parquet_bytes(obj.to_arrow())

    def loads(self, data: bytes) -> Any:
        import polars as pl

        return pl.from_arrow(_parquet_table(data))


class PickleMaterializer(Materializer):
    """Explicit opt-in only (never chosen by type). Loaded only after the stored hash is verified."""

    name = "pickle"
    filename = "object.pkl"

    def dumps(self, obj: Any) -> tuple[bytes, dict[str, Any]]:
        import pickle

        return pickle.dumps(obj, protocol=5), {"python_type": f"{type(obj).__module__}.{type(obj).__qualname__}"}

    def loads(self, data: bytes) -> Any:
        import pickle

        return pickle.loads(data)  # noqa: S301 - hash verified by load_object


for _materializer in (
    PickleMaterializer, PathMaterializer, BytesMaterializer, JsonMaterializer, NumpyMaterializer,
    ArrowMaterializer, PandasMaterializer, PolarsMaterializer,
):
    register_materializer(_materializer)
# model formats (scikit-learn via skops, XGBoost, LightGBM): mloop.stores.artifacts.model_formats,
# registered after these by mloop.stores.artifacts
