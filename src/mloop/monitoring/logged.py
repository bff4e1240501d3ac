"""The logged predictions of a monitor's window as typed columns: what the prediction kinds measure.

    table = logged_predictions(monitor, workspace, start, end, parts=("inputs", "outputs"))
    # request_id, time, version, role, deployment, input.<name>..., output.<name>..., entity.<key>...

The window is [start, end). Parquet segments written with typed columns (see
mloop.serving.prediction_batch) are read column by column, only the columns asked for; the
database rows and older segments have their JSON expanded by DuckDB. Both parts are one Arrow
table, unioned by name.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mloop.core.errors import ValidationError
from mloop.quality.inputs import quote
from mloop.serving.prediction_batch import TYPED_PREFIXES, prediction_schema
from mloop.serving.prediction_segments import local_files, split_segments, typed_fields
from mloop.stores.metadata.predictions import PREDICTION_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

    from mloop.monitoring.model import Monitor
    from mloop.stores.workspace import Workspace

LEADING = ("request_id", "time", "version", "role", "deployment", "training_fingerprint")
#: JSON types as DuckDB infers them -> the column's type (null-only fields read as text)
_TYPES = {"NULL": "VARCHAR", "UBIGINT": "BIGINT", "JSON": "VARCHAR"}


def logged_predictions(monitor: Monitor, workspace: Workspace, start: datetime, end: datetime, *,
                       parts: tuple[str, ...] = ("inputs", "outputs"), version: int | None = None,
                       leading: tuple[str, ...] = LEADING) -> pa.Table:
    """The predictions of `monitor.model` (its `version`/`deployment` only, when set) logged in
    [start, end), in no particular order: the `leading` columns (of LEADING; fewer read faster:
    a million request ids cost more than twenty float columns), then the typed columns of `parts`
    (of "inputs", "outputs", "entity_key"); shadow answers are left out (they were never served)."""
    import pyarrow as pa

    from mloop.quality.inputs import duckdb_module

    if monitor.model is None:
        raise ValidationError(f"monitor {monitor.name!r} of kind {monitor.kind!r} watches a model's predictions; "
                              "give it model=...")
    store = workspace.predictions
    version = monitor.version if version is None else version
    rows = store.prediction_rows(model=monitor.model, version=version, deployment=monitor.deployment,
                                 since=start, until=end)
    files = local_files(workspace, [segment.path for segment in store.segments(model=monitor.model, since=start,
                                                                               until=end)])
    typed, legacy = split_segments(files)
    where, params = _filters(monitor.model, version, monitor.deployment, start, end)
    connection = duckdb_module().connect()
    try:
        connection.execute("SET TimeZone = 'UTC'").fetchall()
        queries: list[str] = []
        arguments: list[Any] = []
        if typed:
            names = [n for n in typed_fields(typed) if any(n.startswith(TYPED_PREFIXES[p]) for p in parts)]
            columns = ", ".join(quote(n) for n in (*leading, *names))
            queries.append(f"SELECT {columns} FROM read_parquet(?, union_by_name = true) {where}")
            arguments += [typed, *params]
        if rows["request_id"] or legacy:
            queries.append(_expanded(connection, rows, legacy, where, params, parts, leading))
        if not queries:
            return pa.table({name: pa.array([], prediction_schema().field(name).type) for name in leading})
        union = " UNION ALL BY NAME ".join(f"({query})" for query in queries)
        return connection.sql(f"SELECT * FROM ({union})", params=arguments).to_arrow_table()
    finally:
        connection.close()


def _filters(model: str, version: int | None, deployment: str | None, start: datetime,
             end: datetime) -> tuple[str, list[Any]]:
    clauses, params = ["model = ?", "role <> 'shadow'", "time >= ?", "time < ?"], [model, start, end]
    for column, value in (("version", version), ("deployment", deployment)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    return "WHERE " + " AND ".join(clauses), params


def _expanded(connection: Any, rows: dict[str, list[Any]], legacy: list[str], where: str, params: list[Any],
              parts: tuple[str, ...], leading: tuple[str, ...]) -> str:
    """Table `raw` (database rows and old segments in the window) and a query expanding its JSON."""
    import pyarrow as pa

    connection.register("db_rows", pa.table(rows, schema=prediction_schema()))
    source = "SELECT * FROM db_rows"
    if legacy:
        source += f" UNION ALL BY NAME SELECT {', '.join(PREDICTION_COLUMNS)} FROM read_parquet(?, union_by_name = true)"
    connection.execute(f"CREATE TEMP TABLE raw AS SELECT * FROM ({source}) {where}",
                       ([legacy] if legacy else []) + params).fetchall()
    structures = connection.execute("SELECT " + ", ".join(f"json_group_structure({part}::JSON)" for part in parts)
                                    + " FROM raw").fetchall()[0] if parts else ()
    select, transforms = [quote(name) for name in leading], ["*"]
    for index, (part, text) in enumerate(zip(parts, structures, strict=True)):
        structure = _structure(text)
        if structure:
            transforms.append(f"json_transform({part}, {_literal(json.dumps(structure))}) AS t{index}")
            select += [f"t{index}.{quote(key)} AS {quote(TYPED_PREFIXES[part] + key)}" for key in structure]
    return f"SELECT {', '.join(select)} FROM (SELECT {', '.join(transforms)} FROM raw)"


def _structure(text: str | None) -> dict[str, Any]:
    parsed = json.loads(text) if text else None
    return {str(key): _type(value) for key, value in parsed.items()} if isinstance(parsed, dict) else {}


def _type(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _type(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_type(item) for item in value]
    return _TYPES.get(value, value)


def columns_of(table: pa.Table, part: str) -> list[str]:
    """The names (without their prefix) of the typed columns of `part` in `table`."""
    prefix = TYPED_PREFIXES[part]
    return [name[len(prefix):] for name in table.column_names if name.startswith(prefix)]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def labels_for(workspace: Workspace, table: pa.Table) -> Any:
    """The newest label of each row of `table` (by request id) as text (JSON strings unquoted),
    None where there is none; a numpy object array aligned with the table."""
    import numpy as np
    import pyarrow as pa

    from mloop.quality.inputs import duckdb_module

    found = workspace.predictions.labels_of(table["request_id"].to_pylist())
    if not found:
        return np.full(table.num_rows, None, dtype=object)
    connection = duckdb_module().connect()
    try:
        connection.register("rows", pa.table({"request_id": table["request_id"],
                                              "position": np.arange(table.num_rows)}))
        connection.register("labels", pa.table({"request_id": pa.array(list(found), pa.string()),
                                                "label": pa.array(list(found.values()), pa.string())}))
        text = connection.sql("SELECT json_extract_string(l.label, '$') AS label FROM rows r "
                              "LEFT JOIN labels l USING (request_id) ORDER BY r.position").to_arrow_table()
    finally:
        connection.close()
    return text["label"].to_numpy(zero_copy_only=False)


def class_probabilities(table: pa.Table) -> tuple[list[str], Any]:
    """The classes of the logged `output.probability_<class>` columns, and their values (rows x
    classes); ([], None) for a model that logged no class probabilities (a regressor)."""
    import numpy as np

    prefix = "output.probability_"
    names = [name for name in table.column_names if name.startswith(prefix)]
    if not names:
        return [], None
    matrix = np.column_stack([table[name].to_numpy(zero_copy_only=False).astype(np.float64) for name in names])
    return [name[len(prefix):] for name in names], matrix
