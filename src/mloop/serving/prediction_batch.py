"""One predicted batch as the prediction log receives it, and many of them as one Arrow table.

The caller hands a batch over and does nothing else (the logger's `log` only appends it to a
buffer); the logger's writer thread turns a flush's batches into one table: batches with the
same input columns and output shapes are concatenated column by column into Arrow and
JSON-encoded by one DuckDB statement per group, never a Python loop per row.

A flush large enough to be spilled to Parquet keeps its values as typed columns instead
(`input.<name>`, `output.<name>`, `entity.<key>`; the JSON columns null): reading a few columns
of a million logged rows then costs a column scan instead of a JSON parse per row (20 s -> 0.3 s
for 1M × 20 inputs; see benchmarks/bench_monitoring.py), and the writer encodes no JSON. Files
written so carry TYPED_KEY in their schema metadata; readers rebuild the JSON columns from them
(prediction_segments), and read older files and the database rows as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mloop.quality.inputs import quote
from mloop.stores.metadata.predictions import PREDICTION_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa
    from numpy.typing import NDArray

ROLES = ("primary", "canary", "shadow")
#: Parquet schema metadata of a segment that holds typed input./output./entity. columns
TYPED_KEY = b"mloop.typed"
#: a shadow answer is logged under its request's id plus this (ground truth for the request is its too)
SHADOW_SUFFIX = "#shadow"
#: the prefixes of the typed columns, by JSON column
TYPED_PREFIXES = {"inputs": "input.", "outputs": "output.", "entity_key": "entity."}


@dataclass
class PredictionBatch:
    """What one `predict` call answered. Ownership passes to the logger: do not change the batch,
    its frame or its arrays after logging it.

    `time` and `latency_ms` are one value for the batch or one per request. `inputs` and
    `entity_keys` are a pandas DataFrame or a mapping of column -> values (cheaper for one request).
    `outputs` maps a column to values: "prediction" (1-D) and optionally "probabilities" (2-D, one
    row per request; with `classes`, logged as one "probability_<class>" column per class)."""

    request_ids: Sequence[str]
    model: str
    version: int
    inputs: Any
    outputs: Mapping[str, Any]
    time: datetime | Sequence[Any] | NDArray[Any] | None = None
    latency_ms: float | Sequence[float] | NDArray[Any] | None = None
    training_fingerprint: str | None = None
    deployment: str | None = None
    role: str = "primary"
    entity_keys: Any = None
    classes: Sequence[Any] | None = None

    def __len__(self) -> int:
        return len(self.request_ids)


def encode_batches(batches: Sequence[PredictionBatch], connection: Any = None, *, typed: bool = False) -> pa.Table:
    """The batches as one table of PREDICTION_COLUMNS (see `prediction_schema`), JSON-encoded on
    `connection` (a DuckDB connection; opening one costs tens of ms, so a writer keeps its own).
    With `typed`, inputs, outputs and entity keys are typed columns after those instead, their JSON
    columns null (unless the groups' types cannot be lined up: then JSON as without).
    A malformed batch raises ValueError; check batches one by one with `check_batch`."""
    import pyarrow as pa

    from mloop.quality.inputs import duckdb_module

    if not batches:
        return prediction_schema().empty_table()
    groups: dict[Any, list[PredictionBatch]] = {}
    for batch in batches:
        groups.setdefault(_shape(batch), []).append(batch)
    prepared = [_prepare(group) for group in groups.values()]
    values = _typed_values([part for _, part in prepared]) if typed else None
    own = connection is None and values is None
    connection = duckdb_module().connect() if own else connection
    try:
        tables = [_assemble(columns, part, None if values is not None else connection) for columns, part in prepared]
    finally:
        if own:
            connection.close()
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    if values is not None:
        for name in values.column_names:
            table = table.append_column(name, values[name])
    return table


def _typed_values(parts: list[pa.Table]) -> pa.Table | None:
    """The groups' typed columns as one table (missing columns null); None when one name has two
    types (a number here, text there): those batches are logged as JSON."""
    import pyarrow as pa

    try:
        return pa.concat_tables(parts, promote_options="permissive") if len(parts) > 1 else parts[0]
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None


def prediction_schema() -> pa.Schema:
    import pyarrow as pa

    string = pa.string()
    types = {"request_id": string, "time": pa.timestamp("us", tz="UTC"), "model": string, "version": pa.int64(),
             "deployment": string, "role": string, "training_fingerprint": string, "inputs": string,
             "outputs": string, "latency_ms": pa.float64(), "entity_key": string}
    return pa.schema([(name, types[name]) for name in PREDICTION_COLUMNS])


def check_batch(batch: PredictionBatch) -> None:
    """ValueError (one line) unless every per-request value has one entry per request id.
    (Run on every logged batch by the writer: sizes first, the message only when one is wrong.)"""
    import numpy as np

    n = len(batch.request_ids)
    if n == 0:
        raise ValueError("a prediction batch needs at least one request id")
    if batch.role not in ROLES:
        raise ValueError(f"prediction role {batch.role!r} is not one of {', '.join(ROLES)}")
    sizes = [("inputs", _rows(batch.inputs))]
    if batch.entity_keys is not None:
        sizes.append(("entity_keys", _rows(batch.entity_keys)))
    sizes += [(f"outputs[{name!r}]", len(values)) for name, values in batch.outputs.items()]
    for name, value in (("time", batch.time), ("latency_ms", batch.latency_ms)):
        if value is not None and not isinstance(value, (datetime, int, float, np.datetime64, np.number)):
            sizes.append((name, len(value)))
    wrong = [f"{name} has {size}" for name, size in sizes if size != n]
    if wrong:
        raise ValueError(f"prediction batch of {batch.model}/{batch.version} has {n} request ids but "
                         + ", ".join(wrong))



def _rows(values: Any) -> int:
    if hasattr(values, "shape"):
        return int(values.shape[0])
    if isinstance(values, Mapping):
        return len(next(iter(values.values()))) if values else 0
    return len(values)


def _columns_of(values: Any) -> Any:
    """What batches must share to be encoded together: a mapping's column names; for DataFrames
    nothing (pandas' concat lines their columns up, and reading a pandas Index costs ~50 µs)."""
    return "frame" if hasattr(values, "columns") else tuple(values)


def _shape(batch: PredictionBatch) -> tuple[Any, ...]:
    outputs = tuple((name, getattr(values, "ndim", 1)) for name, values in batch.outputs.items())
    entity = None if batch.entity_keys is None else _columns_of(batch.entity_keys)
    return (_columns_of(batch.inputs), outputs, entity, tuple(batch.classes) if batch.classes is not None else None)


def _prepare(batches: list[PredictionBatch]) -> tuple[dict[str, Any], pa.Table]:
    """Batches of one shape: the plain columns concatenated once, and inputs, outputs and entity
    keys as one table of typed columns (named with TYPED_PREFIXES)."""
    import numpy as np
    import pyarrow as pa

    first = batches[0]
    sizes = np.array([len(b) for b in batches])
    columns: dict[str, Any] = {
        "request_id": [rid for b in batches for rid in b.request_ids],
        "time": _times(batches, sizes),
        "model": np.repeat(np.array([b.model for b in batches], dtype=object), sizes),
        "version": np.repeat(np.array([b.version for b in batches], dtype=np.int64), sizes),
        "deployment": np.repeat(np.array([b.deployment for b in batches], dtype=object), sizes),
        "role": np.repeat(np.array([b.role for b in batches], dtype=object), sizes),
        "training_fingerprint": np.repeat(np.array([b.training_fingerprint for b in batches], dtype=object), sizes),
        "latency_ms": _per_request([b.latency_ms for b in batches], sizes, np.float64),
    }
    parts = {"inputs": _table([b.inputs for b in batches]), "outputs": _outputs_table(batches),
             "entity_key": _table([b.entity_keys for b in batches]) if first.entity_keys is not None else None}
    typed = {f"{TYPED_PREFIXES[column]}{name}": part[name]
             for column, part in parts.items() if part is not None for name in part.column_names}
    rows = int(sizes.sum())
    typed_table = pa.table(typed) if typed else pa.table({"_": pa.nulls(rows)}).drop_columns(["_"])
    return columns, typed_table


def _assemble(columns: dict[str, Any], typed: pa.Table, connection: Any) -> pa.Table:
    """The PREDICTION_COLUMNS table of one group: its JSON columns encoded on `connection`, or
    null (None: the values travel as typed columns)."""
    import pyarrow as pa

    rows = typed.num_rows
    json: dict[str, Any] = {}
    for column, prefix in TYPED_PREFIXES.items():
        names = [name for name in typed.column_names if name.startswith(prefix)]
        if connection is None or (column == "entity_key" and not names):
            json[column] = pa.nulls(rows, pa.string())
        else:
            part = typed.select(names).rename_columns([name[len(prefix):] for name in names])
            json[column] = _json_rows(connection, part)
    return pa.table({**columns, **json}, schema=prediction_schema())


def _table(parts: list[Any]) -> pa.Table:
    """DataFrames (or mappings of columns) as one Arrow table."""
    import pandas as pd
    import pyarrow as pa

    if all(isinstance(part, pd.DataFrame) for part in parts):  # one pandas concat beats one conversion each
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        return pa.Table.from_pandas(frame, preserve_index=False)
    if all(isinstance(part, MatrixColumns) for part in parts):  # one float matrix each: one concat in all
        import numpy as np

        matrix = np.concatenate([part.matrix for part in parts])
        return pa.table({str(name): pa.array(matrix[:, index]) for index, name in enumerate(parts[0].names)})
    if all(isinstance(part, Mapping) for part in parts):  # columns (same names in a group): one concat each
        import numpy as np

        names = list(parts[0])
        return pa.table({str(name): _array(np.concatenate([np.asarray(part[name]) for part in parts]))
                         for name in names})
    tables = [pa.Table.from_pandas(part, preserve_index=False) if isinstance(part, pd.DataFrame)
              else pa.table({str(k): _array(v) for k, v in part.items()}) for part in parts]
    return pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]


class MatrixColumns(Mapping[str, Any]):
    """A 2-D array read as named columns without splitting it (a server's float input matrix: the
    log writer concatenates the matrices of many micro-batches at once, then splits)."""

    def __init__(self, matrix: Any, names: Sequence[str]) -> None:
        self.matrix, self.names = matrix, names

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.matrix.shape[0]), len(self.names)

    def __getitem__(self, name: str) -> Any:
        return self.matrix[:, list(self.names).index(name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


def _array(values: Any) -> pa.Array:
    """A column of values; a 2-D one (a list per row) as fixed-size lists."""
    import numpy as np
    import pyarrow as pa

    array = np.asarray(values)
    if array.ndim == 2:
        return pa.FixedSizeListArray.from_arrays(pa.array(array.reshape(-1)), array.shape[1])
    return pa.array(array if array.dtype != object else list(values))


def _outputs_table(batches: list[PredictionBatch]) -> pa.Table:
    import numpy as np
    import pyarrow as pa

    columns: dict[str, Any] = {}
    classes = batches[0].classes
    for name in batches[0].outputs:
        values = np.concatenate([np.asarray(b.outputs[name]) for b in batches])
        if values.ndim == 2 and classes is not None and values.shape[1] == len(classes):
            for index, label in enumerate(classes):
                columns[f"probability_{label}"] = pa.array(values[:, index])
        else:
            columns[name] = _array(values)
    return pa.table(columns)


def _json_rows(connection: Any, table: pa.Table) -> pa.Array:
    """One JSON object per row, encoded by DuckDB in one statement: doubles in their shortest
    exact form, NaN and infinities as null (JSON has neither)."""
    import pyarrow as pa

    if table.num_columns == 0:
        return pa.array(["{}"] * table.num_rows, pa.string())
    fields = ", ".join(f"{quote(name)} := {finite_sql(quote(name), kind)}"
                       for name, kind in zip(table.column_names, table.schema.types, strict=True))
    connection.register("mloop_part", table)
    try:
        result = connection.sql(f"SELECT to_json(struct_pack({fields}))::VARCHAR FROM mloop_part").to_arrow_table()
    finally:
        connection.unregister("mloop_part")
    return result.column(0).combine_chunks()


def finite_sql(expression: str, kind: pa.DataType) -> str:
    """`expression` with NaN and infinities read as NULL (lists of floats element by element)."""
    import pyarrow as pa

    if pa.types.is_floating(kind):
        return f"CASE WHEN isfinite({expression}) THEN {expression} END"
    if (pa.types.is_list(kind) or pa.types.is_fixed_size_list(kind)) and pa.types.is_floating(kind.value_type):
        return f"list_transform({expression}, lambda v: CASE WHEN isfinite(v) THEN v END)"
    return expression



def _times(batches: list[PredictionBatch], sizes: Any) -> Any:
    import numpy as np
    import pandas as pd

    if all(_one_time(b.time) for b in batches):  # the usual case: one time per batch
        stamps = pd.DatetimeIndex(pd.to_datetime([_now_if_none(b.time) for b in batches], utc=True))
        return pd.DatetimeIndex(np.repeat(stamps.as_unit("us"), sizes))
    parts = [pd.DatetimeIndex(pd.to_datetime(
        [_now_if_none(b.time)] * len(b) if _one_time(b.time)
        else b.time if hasattr(b.time, "dtype") else list(b.time), utc=True)).as_unit("us")  # type: ignore[arg-type]
        for b in batches]
    return parts[0].append(parts[1:]) if len(parts) > 1 else parts[0]


def _one_time(value: Any) -> bool:
    import numpy as np

    return value is None or isinstance(value, (datetime, np.datetime64))


def _now_if_none(value: Any) -> Any:
    from mloop.core.clock import utcnow

    return utcnow() if value is None else value


def _per_request(values: list[Any], sizes: Any, dtype: Any) -> Any:
    import numpy as np

    parts = [np.full(size, np.nan if value is None else value, dtype=dtype) if value is None or np.isscalar(value)
             else np.asarray(value, dtype=dtype) for value, size in zip(values, sizes, strict=True)]
    return np.concatenate(parts)
