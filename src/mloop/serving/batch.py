"""Batch scoring: a registered model over a table of any size, in chunks, into one Parquet file.

    result = mloop.score_batch("fraud@champion", "transactions/", "scores.parquet", id_column="tx_id")
    result.rows, result.model_version, result.rows_per_second

Everything that can be checked is checked before any work starts: the model version, the input
(exists, readable, has rows, has the model's columns and the id column), the output (not the
input, in a writable folder). The output is written to a temp file beside it and renamed into
place at the end, so a failure or Ctrl-C leaves no partial output (and an existing file as it was).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mloop.core.errors import MloopError, ValidationError
from mloop.registry.versions import ModelVersion, get_model_version
from mloop.serving.batch_scorer import ChunkScorer
from mloop.serving.batch_sources import BatchSource, open_source
from mloop.stores.workspace import Workspace

#: called after each chunk with (rows scored so far, total rows or None when unknown, e.g. for CSV)
Progress = Callable[[int, "int | None"], None]
#: the keys of the output's Parquet file metadata
METADATA_KEYS = ("mloop.model_ref", "mloop.model_version", "mloop.training_fingerprint", "mloop.model_artifact")


@dataclass(frozen=True)
class BatchScoringResult:
    rows: int
    chunks: int
    output: str
    #: the version that scored every row, e.g. 'fraud/3'
    model_version: str
    #: the reference as given, e.g. 'fraud@champion'
    model_ref: str
    training_fingerprint: str | None
    seconds: float
    columns: tuple[str, ...]

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"columns": list(self.columns), "rows_per_second": self.rows_per_second}

    def summary(self) -> str:
        return (f"scored {self.rows:,} rows in {self.seconds:.2f} s ({self.rows_per_second:,.0f} rows/s) with "
                f"{self.model_version} into {self.output}")


def score_batch(model_ref: str | ModelVersion, source: Any, output: str | os.PathLike[str], *,
                id_column: str | None = None, chunk_rows: int = 100_000, keep_columns: Sequence[str] | None = None,
                probabilities: bool = True, workspace: Workspace | None = None,
                progress: Progress | None = None) -> BatchScoringResult:
    """Score `source` (a Parquet or CSV file, a folder or glob of them, a pandas DataFrame or a
    pyarrow Table) with `model_ref` ('fraud@champion', 'fraud/3'), `chunk_rows` rows at a time,
    into the Parquet file `output`: the id column and `keep_columns`, `prediction`, one
    `probability_<class>` column per class (unless `probabilities=False` or the model gives
    none) and `model_version`, in input order. The file's metadata records the model reference,
    version, artifact and training fingerprint."""
    start = time.perf_counter()
    version, data, scorer = _prepare(model_ref, source, id_column, keep_columns, probabilities, chunk_rows,
                                     workspace)
    target = _check_output(output, data)
    metadata = {"mloop.model_ref": str(model_ref if isinstance(model_ref, str) else version.ref),
                "mloop.model_version": version.ref,
                "mloop.training_fingerprint": version.training_fingerprint or "",
                "mloop.model_artifact": version.artifact_id}
    scorer.load()
    rows, chunks, columns = _write_atomically(target, _scored(scorer, data, chunk_rows), metadata, data, progress)
    return BatchScoringResult(rows=rows, chunks=chunks, output=str(target), model_version=version.ref,
                              model_ref=metadata["mloop.model_ref"],
                              training_fingerprint=version.training_fingerprint,
                              seconds=time.perf_counter() - start, columns=columns)


def score_table(model_ref: str | ModelVersion, source: Any, *, id_column: str | None = None,
                chunk_rows: int = 100_000, keep_columns: Sequence[str] | None = None, probabilities: bool = True,
                workspace: Workspace | None = None) -> Any:
    """The scored table (pyarrow) of `source`, in memory: what `score_batch` writes, for inputs
    that fit in memory (the pipeline step)."""
    import pyarrow as pa

    _, data, scorer = _prepare(model_ref, source, id_column, keep_columns, probabilities, chunk_rows, workspace)
    scorer.load()
    tables = list(_scored(scorer, data, chunk_rows))
    if not tables:
        raise ValidationError(f"{data.name} has no rows; there is nothing to score")
    return pa.concat_tables(tables)


def _prepare(model_ref: str | ModelVersion, source: Any, id_column: str | None,
             keep_columns: Sequence[str] | None, probabilities: bool, chunk_rows: int,
             workspace: Workspace | None) -> tuple[ModelVersion, BatchSource, ChunkScorer]:
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ValidationError(f"chunk_rows must be a whole number of rows above 0, got {chunk_rows!r}")
    if isinstance(keep_columns, str):
        keep_columns = [keep_columns]
    version = get_model_version(model_ref, workspace=workspace)
    data = open_source(source)
    if id_column is not None:
        data.require_columns([id_column], "the id column")
    data.require_columns(list(keep_columns or []), "a column to keep")
    if data.rows == 0:
        raise ValidationError(f"{data.name} has no rows; there is nothing to score")
    scorer = ChunkScorer(version, data.columns, id_column=id_column, keep_columns=list(keep_columns or []),
                         probabilities=probabilities, source_name=data.name)
    return version, data, scorer


def _scored(scorer: ChunkScorer, data: BatchSource, chunk_rows: int) -> Iterator[Any]:
    done = 0
    for number, chunk in enumerate(data.chunks(scorer.read_columns, chunk_rows), start=1):
        try:
            scored = scorer.score(chunk)
        except MloopError as exc:
            where = f" (chunk {number}, rows {done:,}-{done + chunk.num_rows - 1:,})" if done else ""
            raise type(exc)(f"{exc}{where}") from None
        except Exception as exc:
            raise ValidationError(f"{scorer.version.ref} failed on rows {done:,}-{done + chunk.num_rows - 1:,} of "
                                  f"{data.name}: {type(exc).__name__}: {_first_line(exc)}") from exc
        yield scored
        done += chunk.num_rows


def _check_output(output: str | os.PathLike[str], data: BatchSource) -> Path:
    target = Path(output).expanduser()
    if str(output) == "" or target.is_dir():
        raise ValidationError(f"the output {str(output)!r} is a folder; give a file name, e.g. scores.parquet")
    resolved = target.resolve()
    if any(resolved == Path(f).resolve() for f in data.files):
        raise ValidationError(f"the output {output} is also the input; write the scores to another file")
    folder = resolved.parent
    if not folder.is_dir():
        raise ValidationError(f"the output folder {folder} does not exist; create it first (mkdir -p {folder})")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValidationError(f"cannot write to the output folder {folder} (permission denied); choose another "
                              "output path")
    return resolved


def _write_atomically(target: Path, tables: Iterator[Any], metadata: dict[str, str], data: BatchSource,
                      progress: Progress | None) -> tuple[int, int, tuple[str, ...]]:
    """Write `tables` to a temp file beside `target` and rename it into place; on any failure or
    Ctrl-C the temp file is removed and `target` is left as it was."""
    import pyarrow.parquet as pq

    try:
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".mloop-tmp")
    except OSError as exc:
        raise ValidationError(f"cannot write to the output folder {target.parent}: {exc.strerror}; choose another "
                              "output path") from None
    os.close(handle)
    writer: Any = None
    rows = chunks = 0
    try:
        for table in tables:
            if writer is None:
                schema = table.schema.with_metadata(metadata)
                writer = pq.ParquetWriter(temp, schema)
            if not table.schema.equals(writer.schema):
                table = table.cast(writer.schema)
            writer.write_table(table)
            rows += table.num_rows
            chunks += 1
            if progress is not None:
                progress(rows, data.rows)
        if writer is None:
            raise ValidationError(f"{data.name} has no rows; there is nothing to score")
        writer.close()
        columns = tuple(writer.schema.names)
        _sync(temp)
        os.replace(temp, target)
    except KeyboardInterrupt:
        _discard(writer, temp)
        raise KeyboardInterrupt(f"scoring interrupted after {rows:,} rows: removed the partial output, {target} "
                                "is untouched") from None
    except BaseException:
        _discard(writer, temp)
        raise
    return rows, chunks, columns


def _sync(path: str) -> None:
    """The bytes on disk before the rename, so a crash just after it never leaves an empty file."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _discard(writer: Any, temp: str) -> None:
    if writer is not None:
        with contextlib.suppress(Exception):  # already failing: the temp file goes either way
            writer.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else ""
