"""What batch scoring reads: Parquet or CSV files (one file, a folder, a glob) scanned with
pyarrow.dataset one record batch at a time, so an input larger than memory streams through; or
a pandas DataFrame / pyarrow Table already in memory. Every problem with the input is one
ValidationError naming it, raised when the source is opened, before any work starts.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mloop.core.errors import ValidationError

#: CSV blocks (1 MB each) read ahead of the one being scored
CSV_BATCH_READAHEAD = 2
_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".tsv", ".tsv.gz", ".tsv.bz2")


class BatchSource:
    """One input table: its schema, its row count when known without reading it, and its rows
    as tables of exactly `chunk_rows` rows (the last one shorter), in input order."""

    def __init__(self, name: str, schema: Any, rows: int | None, files: list[str], dataset: Any = None,
                 table: Any = None, format: str = "parquet") -> None:
        self.name = name
        self.format = format
        self.schema = schema
        self.rows = rows
        self.files = files
        self._dataset = dataset
        self._table = table

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)

    def require_columns(self, names: Sequence[str], what: str) -> None:
        missing = [n for n in names if n not in self.schema.names]
        if missing:
            raise ValidationError(f"{self.name} has no column {', '.join(map(repr, missing))} ({what}); its "
                                  f"columns: {', '.join(self.columns)}")

    def chunks(self, columns: Sequence[str], chunk_rows: int) -> Iterator[Any]:
        """pyarrow Tables of `columns`, `chunk_rows` rows each (the last one shorter)."""
        if self._table is not None:
            table = self._table.select(list(columns))
            for start in range(0, table.num_rows, chunk_rows):
                yield table.slice(start, chunk_rows)
            return
        batch_rows = min(chunk_rows, 1 << 17)
        if self.format == "parquet":
            batches = _parquet_batches(self.files, self.schema, list(columns), batch_rows)
        else:
            scanner = self._dataset.scanner(columns=list(columns), batch_size=batch_rows,
                                            batch_readahead=CSV_BATCH_READAHEAD, fragment_readahead=1)
            batches = scanner.to_batches()
        yield from _rechunk(batches, chunk_rows, self.name)


def _parquet_batches(files: list[str], schema: Any, columns: list[str], batch_rows: int) -> Iterator[Any]:
    """The files' record batches, read one row group at a time: memory holds one decoded row
    group (pyarrow.dataset's scanner and ParquetFile.iter_batches both decode several ahead)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = pa.schema([schema.field(c) for c in columns])
    for file in files:
        with pq.ParquetFile(file) as reader:
            missing = [c for c in columns if c not in reader.schema_arrow.names]
            if missing:
                raise ValidationError(f"{file} has no column {', '.join(map(repr, missing))}, which the first file "
                                      "has; give files of one schema")
            for group in range(reader.num_row_groups):
                table = reader.read_row_group(group, columns=columns)
                if not table.schema.equals(target):
                    table = table.cast(target)
                yield from table.to_batches(max_chunksize=batch_rows)
                del table


def _rechunk(batches: Iterator[Any], chunk_rows: int, name: str) -> Iterator[Any]:
    """Record batches of any sizes (Parquet row groups, CSV blocks) regrouped into tables of
    `chunk_rows` rows: the model sees the same chunks whatever the files' layout."""
    import pyarrow as pa

    pending: list[Any] = []
    held = 0
    try:
        for batch in batches:
            while batch.num_rows:
                take = min(batch.num_rows, chunk_rows - held)
                pending.append(batch.slice(0, take))
                held += take
                batch = batch.slice(take)
                if held == chunk_rows:
                    yield pa.Table.from_batches(pending)
                    pending, held = [], 0
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise ValidationError(f"cannot read {name}: {_first_line(exc)}") from None
    if held:
        yield pa.Table.from_batches(pending)


def open_source(source: Any) -> BatchSource:
    """`source` (a path, folder or glob of Parquet or CSV files, a pandas DataFrame or a pyarrow
    Table) ready to be read in chunks."""
    if isinstance(source, (str, os.PathLike)):
        return _open_files(str(source))
    return _open_table(source)


def _open_table(source: Any) -> BatchSource:
    import pyarrow as pa

    from mloop.quality.inputs import as_arrow_table

    name = f"the {type(source).__module__.split('.')[0]} {type(source).__name__}"
    table = as_arrow_table(source, name)
    if not isinstance(table, pa.Table):
        raise ValidationError(f"cannot score {name}; give a pandas DataFrame, a pyarrow Table, or the path of a "
                              "Parquet or CSV file, folder or glob")
    return BatchSource(name, table.schema, table.num_rows, [], table=table)


def _open_files(text: str) -> BatchSource:
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.dataset as ds

    files = input_files(text)
    csv = [f for f in files if is_csv(f)]
    if csv and len(csv) != len(files):
        raise ValidationError(f"{text} mixes CSV and Parquet files; score each kind separately")
    file_format: Any = "parquet"
    if csv:
        tab = all(".tsv" in Path(f).name.lower() for f in files)
        file_format = ds.CsvFileFormat(parse_options=pa_csv.ParseOptions(delimiter="\t")) if tab else "csv"
    kind = "CSV" if csv else "Parquet"
    try:
        dataset = ds.dataset(files, format=file_format)
        # Parquet: the row count from the files' footers, without reading data; CSV: counted as read
        rows = None if csv else dataset.count_rows()
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise ValidationError(f"{text} is not readable {kind}: {_first_line(exc)}") from None
    return BatchSource(text, dataset.schema, rows, files, dataset=dataset, format="csv" if csv else "parquet")


def input_files(text: str) -> list[str]:
    """The files a path, folder or glob names: a folder's .parquet files (else its CSV files)."""
    path = Path(text)
    if any(ch in text for ch in "*?["):
        files = sorted(f for f in glob.glob(text, recursive=True) if os.path.isfile(f))
        if not files:
            raise ValidationError(f"no file matches {text}")
    elif path.is_dir():
        files = sorted(str(p) for p in path.rglob("*.parquet"))
        files = files or sorted(str(p) for p in path.rglob("*") if p.is_file() and is_csv(str(p)))
        if not files:
            raise ValidationError(f"{text} is a folder with no .parquet or .csv file in it")
    elif path.is_file():
        files = [text]
    else:
        raise ValidationError(f"{text} does not exist; give a Parquet or CSV file, a folder of them, or a glob")
    for file in files:
        if os.path.getsize(file) == 0:
            raise ValidationError(f"{file} is empty (0 bytes); give a Parquet or CSV file with rows")
    return files


def is_csv(path: str) -> bool:
    return path.lower().endswith(_CSV_SUFFIXES)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
