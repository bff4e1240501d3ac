"""The Parquet segments of the prediction log, of two layouts: typed (inputs, outputs and entity
keys as `input.<name>`, `output.<name>`, `entity.<key>` columns, the JSON columns null; marked
with TYPED_KEY in the schema metadata) and JSON (older files: the JSON text only).

    typed, json_only = split_segments(files)
    sql, params = segment_rows_sql(files)   # PREDICTION_COLUMNS of every file, JSON rebuilt by DuckDB

Readers that want a few typed columns read typed files directly (mloop.monitoring.logged);
mloop.predictions reads the typed columns beside the JSON of other rows (`keep_typed`); explain
gets the JSON columns rebuilt here.

Where the files live: a workspace whose artifact store other machines reach (S3, a team server)
keeps every segment there as an object, recorded as `artifact:<digest>`, so a monitor or
`mloop predictions` on another machine reads what a server logged (downloaded once into the
store's cache); otherwise a segment is a file under the local state folder, recorded by its path.

    ref = store_segment(workspace, file)     # "artifact:<digest>", or the file's own path
    files = local_files(workspace, refs)     # local paths to read (downloads stored segments)
    drop_segment(workspace, ref)             # after compaction replaced it
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mloop.core.errors import NotFoundError
from mloop.quality.inputs import quote
from mloop.serving.prediction_batch import TYPED_KEY, TYPED_PREFIXES, finite_sql
from mloop.stores.metadata.predictions import PREDICTION_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

    from mloop.stores.workspace import Workspace

#: how a segment kept in the artifact store is recorded: this prefix, then the object's digest
STORED = "artifact:"


def shared_storage(workspace: Workspace) -> bool:
    """Whether segments go to the artifact store (one other machines reach) rather than a local folder."""
    return bool(workspace.artifacts.supports_remote_access)


def store_segment(workspace: Workspace, file: Path) -> str:
    """Copy the segment `file` into the artifact store (idempotent: a retry uploads nothing twice);
    its reference `artifact:<digest>`. The file itself is left in place."""
    from mloop.core.hashing import hash_file

    digest = hash_file(file)
    workspace.artifacts.put(file, digest)
    return STORED + digest


def local_files(workspace: Workspace, refs: list[str], *, skip_missing: bool = False) -> list[str]:
    """A local path for each segment reference (stored segments are downloaded into the artifact
    store's cache once). A missing one raises NotFoundError naming it, or is left out with
    `skip_missing`."""
    files: list[str] = []
    for ref in refs:
        if ref.startswith(STORED):
            try:
                files.append(str(workspace.artifacts.local_path(ref[len(STORED):])))
            except NotFoundError:
                if not skip_missing:
                    raise NotFoundError(f"prediction log segment {ref} is missing from the artifact store "
                                        f"{workspace.artifacts.url}; check MLOOP_ARTIFACTS_URL names the store "
                                        "the server wrote to") from None
        elif os.path.isfile(ref):
            files.append(ref)
        elif not skip_missing:
            raise NotFoundError(f"prediction log file {ref} is missing; it was written on the machine that served "
                                "the predictions: copy it back to that path, or read the log there (with the "
                                "artifacts on S3 or a team server, the log goes there and every machine reads it)")
    return files


#: columns whose values repeat (dictionary-encoded); request ids, JSON and numbers are not:
#: dictionary-encoding a column of distinct floats costs most of a write (3.7 -> 0.4 µs a row)
#: and makes the file larger
_REPEATING = ("model", "deployment", "role", "training_fingerprint")


def write_segment_file(table: pa.Table, folder: Path, compression: str) -> Path:
    """`table` as a new Parquet file in `folder` (a temporary file renamed into place: a reader
    never sees half a file); its path. Text inputs, outputs and entity keys (categories) and the
    columns that repeat are dictionary-encoded, the rest plain."""
    import uuid

    import pyarrow as pa
    import pyarrow.parquet as pq

    dictionary = [name for name, kind in zip(table.column_names, table.schema.types, strict=True)
                  if name in _REPEATING or (name not in PREDICTION_COLUMNS and pa.types.is_string(kind))]
    path = folder / f"{uuid.uuid4().hex}.parquet"
    temporary = folder / f".{path.name}.{os.getpid()}.tmp"
    try:
        pq.write_table(table, temporary, compression=compression, use_dictionary=dictionary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def drop_segment(workspace: Workspace, ref: str) -> None:
    """Delete a segment's file or object (one that compaction replaced); a missing one is no error."""
    if ref.startswith(STORED):
        workspace.artifacts.delete(ref[len(STORED):])
    else:
        Path(ref).unlink(missing_ok=True)


def split_segments(files: list[str]) -> tuple[list[str], list[str]]:
    """(typed files, JSON-only files), each in the given order (reads only the files' footers)."""
    import pyarrow.parquet as pq

    typed: list[str] = []
    json_only: list[str] = []
    for path in files:
        metadata = pq.read_schema(path).metadata or {}
        (typed if metadata.get(TYPED_KEY) == b"1" else json_only).append(path)
    return typed, json_only


def typed_fields(files: list[str]) -> dict[str, pa.DataType]:
    """The typed columns of `files`, in first-seen order, with the type of their first file."""
    import pyarrow.parquet as pq

    fields: dict[str, pa.DataType] = {}
    for path in files:
        for field in pq.read_schema(path):
            if field.name not in PREDICTION_COLUMNS:
                fields.setdefault(field.name, field.type)
    return fields


def segment_rows_sql(files: list[str], *, keep_typed: bool = False) -> tuple[str, list[Any]]:
    """A query of PREDICTION_COLUMNS over every file (none: no rows), and its parameters. With
    `keep_typed`, rows of typed files keep their typed columns and only `entity_key` is rebuilt
    (their `inputs` and `outputs` stay null: the reader takes the typed columns instead)."""
    typed, json_only = split_segments(files)
    queries: list[str] = []
    params: list[Any] = []
    if json_only:
        queries.append(f"SELECT {', '.join(PREDICTION_COLUMNS)} FROM read_parquet(?, union_by_name = true)")
        params.append(json_only)
    if typed:
        fields = typed_fields(typed)
        rebuilt = {column: _json_of(column, fields) for column in (("entity_key",) if keep_typed else TYPED_PREFIXES)}
        select = [rebuilt.get(name, name) for name in PREDICTION_COLUMNS]
        select += [quote(name) for name in fields] if keep_typed else []
        queries.append(f"SELECT {', '.join(select)} FROM read_parquet(?, union_by_name = true)")
        params.append(typed)
    if not queries:
        return f"SELECT {', '.join(f'NULL AS {name}' for name in PREDICTION_COLUMNS)} WHERE false", []
    return " UNION ALL BY NAME ".join(queries), params


def _json_of(column: str, fields: dict[str, pa.DataType]) -> str:
    """The JSON text of one JSON column rebuilt from its typed columns, as the writer encodes it
    (NaN and infinities as null; entity keys null when the row has none)."""
    prefix = TYPED_PREFIXES[column]
    names = [name for name in fields if name.startswith(prefix)]
    if not names:
        return f"{'NULL' if column == 'entity_key' else quote_literal('{}')}::VARCHAR AS {column}"
    packed = ", ".join(f"{quote(name[len(prefix):])} := {finite_sql(quote(name), fields[name])}" for name in names)
    text = f"to_json(struct_pack({packed}))::VARCHAR"
    if column == "entity_key":
        text = f"CASE WHEN {' AND '.join(f'{quote(n)} IS NULL' for n in names)} THEN NULL ELSE {text} END"
    return f"{text} AS {column}"


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
