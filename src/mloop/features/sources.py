"""A feature view's rows: its source after its transform — the one computation that both the
point-in-time join (training) and materialization (serving) read, so the two cannot differ.

A source is read by DuckDB (Parquet files, SQL, or an in-memory table); a SQL transform runs in
DuckDB over it as `source`; a Python transform gets the source as a pandas DataFrame (so it
loads the source into memory) and returns the feature rows.
"""

from __future__ import annotations

import glob
import hashlib
import os
from pathlib import Path
from typing import Any

from mloop.core.errors import ValidationError
from mloop.core.hashing import hash_file
from mloop.features.definitions import DataFrameSource, FeatureView, ParquetSource, SqlSource, _as_arrow
from mloop.quality.inputs import Interruptible, duckdb_module, literal


def view_rows(view: FeatureView) -> Any:
    """What the join reads for `view`: a Parquet path, SQL text, or a pyarrow Table."""
    source = view.source
    if view.transform is None:
        if isinstance(source, ParquetSource):
            parquet_files(view)
        return source.data() if not isinstance(source, DataFrameSource) else _as_arrow(source.frame)
    if isinstance(view.transform, str):
        if isinstance(source, DataFrameSource):
            return _run_sql(view, view.transform, _as_arrow(source.frame))
        return f"WITH source AS ({_source_sql(view)}) {view.transform}"
    frame = _run_sql(view, "SELECT * FROM source", _as_arrow(source.frame)
                     if isinstance(source, DataFrameSource) else None).to_pandas()
    try:
        result = view.transform(frame)
    except Exception as exc:
        raise ValidationError(f"feature view {view.name!r}: its transform raised {type(exc).__name__}: {exc}") from exc
    return _as_arrow(result)


def _source_sql(view: FeatureView) -> str:
    source = view.source
    if isinstance(source, ParquetSource):
        files = ", ".join(literal(f) for f in parquet_files(view))
        return f"SELECT * FROM read_parquet([{files}], union_by_name=true)"
    if isinstance(source, SqlSource):
        return source.query
    raise ValidationError(f"feature view {view.name!r}: an in-memory source has no SQL")


def _run_sql(view: FeatureView, sql: str, table: Any | None) -> Any:
    duckdb = duckdb_module()
    connection = duckdb.connect()
    try:
        if table is not None:
            connection.register("source", table)
            query = sql
        else:
            query = f"WITH source AS ({_source_sql(view)}) {sql}"
        return Interruptible(connection).run(lambda: connection.sql(query).to_arrow_table())
    except duckdb.Error as exc:
        raise ValidationError(f"feature view {view.name!r}: cannot read its source: "
                              f"{str(exc).strip().splitlines()[0]}") from None
    finally:
        connection.close()


def parquet_files(view: FeatureView) -> list[str]:
    source = view.source
    assert isinstance(source, ParquetSource)
    text = str(source.path)
    if any(ch in text for ch in "*?["):
        files = sorted(glob.glob(text, recursive=True))
    elif Path(text).is_dir():
        files = sorted(str(p) for p in Path(text).rglob("*.parquet"))
    else:
        files = [text] if Path(text).exists() else []
    if not files:
        raise ValidationError(f"feature view {view.name!r}: its source {text} does not exist (or holds no .parquet "
                              "file)")
    return files


_FILE_HASHES: dict[tuple[str, int, int], str] = {}


def source_fingerprint(view: FeatureView) -> str:
    """The content hash of what the view reads: its Parquet files' bytes (each hashed once per
    process while its size and modification time stay the same), the query text for SQL, the
    content of an in-memory table."""
    source = view.source
    if isinstance(source, ParquetSource):
        parts = []
        for file in parquet_files(view):
            stat = os.stat(file)
            key = (os.path.abspath(file), stat.st_size, stat.st_mtime_ns)
            if key not in _FILE_HASHES:
                _FILE_HASHES[key] = hash_file(file)
            parts.append(f"{os.path.basename(file)}:{_FILE_HASHES[key]}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()
    if isinstance(source, SqlSource):
        return hashlib.sha256(source.query.encode()).hexdigest()
    return str(source.spec()["content_hash"])
