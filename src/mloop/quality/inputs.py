"""The data that checks, profiles and drift read: a pandas, polars or pyarrow table in memory, or
Parquet files (one file, a folder, a glob) seen through DuckDB, so that nothing larger than
memory is ever loaded whole. Every problem with the input is one `ValidationError` line that
names the input and the fix, raised before any work starts.

    data = open_data("events/")            # a folder of Parquet files, or a DataFrame, ...
    data.columns                           # [Column(name, type, kind), ...]
    data.query(f"SELECT count(*) FROM {data.table}")
"""

from __future__ import annotations

import glob
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from mloop.core.errors import MloopError, ValidationError, missing_extra

Kind = Literal["numeric", "categorical", "datetime", "other"]

_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL")
_CATEGORICAL = ("VARCHAR", "BOOLEAN", "ENUM")
_DATETIME = ("DATE", "TIMESTAMP", "TIME")
#: DuckDB's memory for one Dataset; past it, hash tables (distinct counts, joins) spill to a temp
#: folder, so that reading Parquet larger than memory keeps the process under ~2 GB
MEMORY_LIMIT = "1GB"


def duckdb_module() -> Any:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - the quality extra is part of every test install
        raise missing_extra("duckdb", "quality") from exc
    return duckdb


def quote(name: str) -> str:
    """`name` as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """`value` as a DuckDB SQL literal (strings quoted, None as NULL)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value) if value == value else "'NaN'::DOUBLE"
    return "'" + str(value).replace("'", "''") + "'"


def kind_of(sql_type: str) -> Kind:
    """What a DuckDB column type is to data checks: numeric, categorical, datetime or other."""
    base = sql_type.upper().split("(")[0].strip()
    if base.startswith(_NUMERIC):
        return "numeric"
    if base.startswith(_CATEGORICAL) or base.startswith("BOOL"):
        return "categorical"
    if base.startswith(_DATETIME):
        return "datetime"
    return "other"


@dataclass(frozen=True)
class Column:
    name: str
    #: the DuckDB type, e.g. DOUBLE, BIGINT, VARCHAR, TIMESTAMP WITH TIME ZONE
    type: str
    kind: Kind


class Dataset:
    """One table, in memory or in Parquet files, and a DuckDB connection that reads it as `table`."""

    table = "mloop_data"

    def __init__(self, source: Any, *, name: str | None = None) -> None:
        self.source = source
        self.name = name or _describe(source)
        duckdb = duckdb_module()
        self.connection = duckdb.connect()
        self.calls = Interruptible(self.connection)
        self.connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        # the default spill folder is .tmp in the current folder: keep the user's project clean
        self.connection.execute(f"SET temp_directory = {literal(os.path.join(tempfile.gettempdir(), 'mloop-duckdb'))}")
        self.in_memory = not isinstance(source, (str, os.PathLike))
        try:
            if self.in_memory:
                self.connection.register(self.table, as_arrow_table(source, self.name))
            else:
                files = _parquet_files(source)
                self.files = files
                listing = ", ".join(literal(f) for f in files)
                reader = "read_csv" if all(_is_csv(f) for f in files) else "read_parquet"
                self.connection.execute(
                    f"CREATE VIEW {self.table} AS SELECT * FROM {reader}([{listing}], union_by_name=true)")
                self.connection.execute(f"DESCRIBE {self.table}").fetchall()
        except MloopError:
            raise
        except duckdb.Error as exc:
            kind = "CSV" if all(_is_csv(f) for f in getattr(self, "files", [])) and not self.in_memory else "Parquet"
            raise ValidationError(f"{self.name} is not readable {kind}: {_first_line(exc)}") from None

    @cached_property
    def columns(self) -> list[Column]:
        rows = self.connection.execute(f"DESCRIBE {self.table}").fetchall()
        return [Column(name, sql_type, kind_of(sql_type)) for name, sql_type, *_ in rows]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise ValidationError(f"{self.name} has no column {name!r}; its columns: "
                              f"{', '.join(c.name for c in self.columns)}")

    @cached_property
    def rows(self) -> int:
        return int(self.query_one(f"SELECT count(*) FROM {self.table}")[0])

    def query(self, sql: str) -> Any:
        """The result of `sql` as a pyarrow Table; a DuckDB failure is a ValidationError naming the
        input. Ctrl-C stops the query at once (KeyboardInterrupt), however long it would run."""
        try:
            return self.calls.run(lambda: self.connection.sql(sql).to_arrow_table())
        except duckdb_module().Error as exc:
            raise ValidationError(f"cannot read {self.name}: {_first_line(exc)}") from None

    def query_one(self, sql: str) -> tuple[Any, ...]:
        table = self.query(sql)  # through Arrow: zoned times need no pytz, and no result is left open
        return tuple(column[0].as_py() for column in table.columns) if table.num_rows else ()

    def close(self) -> None:
        self.calls.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Dataset({self.name!r})"


class Interruptible:
    """Calls on one DuckDB connection that a Ctrl-C stops at once: each runs in a helper thread
    while the calling thread waits (Python delivers Ctrl-C to the main thread only between
    bytecodes, and a DuckDB call holds it for as long as the query runs)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self._done: threading.Event | None = None

    def run(self, work: Callable[[], Any]) -> Any:
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def target() -> None:
            try:
                outcome["value"] = work()
            except BaseException as exc:  # handed back below, without the frames that hold the query open
                outcome["error"] = exc.with_traceback(None)
            finally:
                done.set()

        # waited on with an Event, not Thread.join: a join that a Ctrl-C interrupts can mark a
        # thread that still runs as finished (CPython 3.11)
        self._done = done
        threading.Thread(target=target, name="mloop-duckdb", daemon=True).start()
        try:
            while not done.wait(0.05):
                pass
        except KeyboardInterrupt:
            self.connection.interrupt()
            done.wait()
            outcome.clear()  # the interrupted query's error: the connection is free once it is gone
            raise
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def close(self) -> None:
        """Close the connection, stopping a query still running first."""
        if self._done is not None and not self._done.is_set():
            self.connection.interrupt()
            self._done.wait()
        self.connection.close()


def open_data(data: Any, *, name: str | None = None) -> Dataset:
    """`data` (a Dataset, pandas/polars DataFrame, pyarrow Table or RecordBatch, or the path of a
    Parquet file, folder or glob) as a Dataset."""
    if isinstance(data, Dataset):
        return data
    return Dataset(data, name=name)


def _describe(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return f"the {type(source).__module__.split('.')[0]} {type(source).__name__}"


def _is_csv(path: str) -> bool:
    return path.lower().endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz"))


def _parquet_files(source: str | os.PathLike[str]) -> list[str]:
    text = str(source)
    path = Path(text)
    if any(ch in text for ch in "*?["):
        files = sorted(glob.glob(text, recursive=True))
        if not files:
            raise ValidationError(f"no file matches {text}")
    elif path.is_dir():
        files = sorted(str(p) for p in path.rglob("*.parquet"))
        if not files:
            raise ValidationError(f"{text} is a folder with no .parquet file in it")
    elif path.exists():
        files = [text]
    else:
        raise ValidationError(f"{text} does not exist; give a Parquet (or CSV) file, a folder of them, or a glob")
    for file in files:
        if os.path.getsize(file) == 0:
            raise ValidationError(f"{file} is empty (0 bytes); it is not a Parquet file")
    return files


def as_arrow_table(source: Any, name: str) -> Any:
    """A pandas, polars or pyarrow table as a pyarrow Table (zero-copy where Arrow allows), with
    one clear error for duplicate column names, a column of mixed types, or something else."""
    import pyarrow as pa

    if isinstance(source, pa.Table):
        return source
    if isinstance(source, pa.RecordBatch):
        return pa.Table.from_batches([source])
    module = type(source).__module__.split(".")[0]
    if module == "polars" and hasattr(source, "to_arrow"):
        return source.to_arrow()
    if module == "pandas" and hasattr(source, "columns"):
        return _pandas_arrow(source, name)
    raise ValidationError(f"cannot read {name} as data; give a pandas, polars or pyarrow table, or the path of "
                          "a Parquet file or folder")


def _pandas_arrow(frame: Any, name: str) -> Any:
    import pyarrow as pa

    if len(set(map(str, frame.columns))) != len(frame.columns):
        raise ValidationError(f"{name} has duplicate column names; give each column its own name")
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        column = _mixed_column(frame)
        if column is not None:
            kinds = sorted({type(v).__name__ for v in frame[column].dropna()})
            raise ValidationError(f"column {column!r} of {name} mixes types ({', '.join(kinds)}); cast it to one "
                                  "type first, e.g. df[col].astype(str)") from None
        raise ValidationError(f"cannot read {name}: {_first_line(exc)}") from None


def _mixed_column(frame: Any) -> str | None:
    import pyarrow as pa

    for column in frame.columns:
        if frame[column].dtype == object:
            try:
                pa.array(frame[column], from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                return str(column)
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
