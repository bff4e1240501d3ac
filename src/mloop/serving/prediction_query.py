"""Reading the prediction log: the database rows and the Parquet segments as one DuckDB table,
with the JSON inputs and outputs expanded into typed columns by DuckDB itself.

    mloop.predictions("fraud", since="2026-12-01", with_labels=True)
    # request_id, time, model, version, deployment, role, training_fingerprint, latency_ms,
    # input.<column>..., prediction, probability_<class>... (or probabilities), entity.<key>..., label
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from mloop.core.errors import ValidationError
from mloop.quality.inputs import quote
from mloop.serving.prediction_batch import SHADOW_SUFFIX, prediction_schema
from mloop.serving.prediction_segments import local_files, segment_rows_sql

if TYPE_CHECKING:
    import pandas as pd

    from mloop.stores.workspace import Workspace

#: the columns every result starts with (then inputs, outputs, entity keys, label)
LEADING = ("request_id", "time", "model", "version", "deployment", "role", "training_fingerprint", "latency_ms")
#: JSON types as DuckDB infers them -> the type a column gets (null-only fields read as text)
_TYPES = {"NULL": "VARCHAR", "UBIGINT": "BIGINT"}


@dataclass(frozen=True)
class Window:
    """Which predictions: every filter is optional."""

    model: str | None = None
    version: int | None = None
    deployment: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None


def predictions(model: str | None = None, *, version: int | None = None, deployment: str | None = None,
                since: datetime | str | None = None, until: datetime | str | None = None,
                with_labels: bool = False, limit: int | None = None,
                workspace: Workspace | None = None) -> pd.DataFrame:
    """Logged predictions, newest first, from the database and the Parquet segments together.
    `since`/`until` are datetimes or ISO 8601 text (a time without a zone is UTC); with
    `with_labels` a `label` column holds the newest ground truth logged for each request."""
    from mloop.stores.workspace import get_workspace

    window = Window(model, version, deployment, parse_time(since, "since"), parse_time(until, "until"),
                    check_limit(limit))
    workspace = workspace or get_workspace()
    connection = open_log(workspace, window)
    try:
        if with_labels:
            attach_labels(connection, workspace)
        return expanded(connection, with_labels).to_arrow_table().to_pandas()
    finally:
        connection.close()


def parse_time(value: datetime | str | None, name: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"{name} {value!r} is not a time; write ISO 8601, e.g. 2026-12-01 or "
                                  "2026-12-01T12:00:00+00:00") from None
    if not isinstance(value, datetime):
        raise ValidationError(f"{name} must be a datetime or ISO 8601 text, not {type(value).__name__}")
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def check_limit(limit: int | None) -> int | None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValidationError(f"limit must be a positive whole number, not {limit!r}")
    return limit


def open_log(workspace: Workspace, window: Window) -> Any:
    """A DuckDB connection whose table `picked` holds the predictions in `window`, newest first:
    PREDICTION_COLUMNS, then the typed columns of typed segments (their rows' `inputs` and
    `outputs` null; `expanded` reads both)."""
    import pyarrow as pa

    from mloop.quality.inputs import duckdb_module

    store = workspace.predictions
    rows = store.prediction_rows(model=window.model, version=window.version, deployment=window.deployment,
                                 since=window.since, until=window.until, limit=window.limit)
    files = local_files(workspace, [segment.path for segment in
                                    store.segments(model=window.model, since=window.since, until=window.until)])
    connection = duckdb_module().connect()
    try:
        connection.execute("SET TimeZone = 'UTC'").fetchall()
        connection.register("db_rows", pa.table(rows, schema=prediction_schema()))
        source = "SELECT * FROM db_rows"
        segment_params: list[Any] = []
        if files:  # rows of typed segments keep their typed columns (see prediction_segments)
            segment_sql, segment_params = segment_rows_sql(files, keep_typed=True)
            source += f" UNION ALL BY NAME {segment_sql}"
        where, params = _filters(window)
        params = segment_params + params
        limit = f" LIMIT {window.limit}" if window.limit else ""
        connection.execute(f"CREATE TEMP TABLE picked AS SELECT * FROM ({source}) {where} "
                           f"ORDER BY time DESC, request_id{limit}", params).fetchall()
    except BaseException:
        connection.close()
        raise
    return connection


def _filters(window: Window) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("model", window.model), ("version", window.version), ("deployment", window.deployment)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if window.since is not None:
        clauses.append("time >= ?")
        params.append(window.since)
    if window.until is not None:
        clauses.append("time <= ?")
        params.append(window.until)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def attach_labels(connection: Any, workspace: Workspace) -> None:
    """Table `labels` (request_id, label JSON): the newest label of each picked request."""
    import pyarrow as pa

    ids = [row[0] for row in connection.execute("SELECT request_id FROM picked").fetchall()]
    asked = {one: one.removesuffix(SHADOW_SUFFIX) for one in ids}  # a shadow answer shares its request's truth
    found = workspace.predictions.labels_of(sorted(set(asked.values())))
    pairs = [(one, found[request]) for one, request in asked.items() if request in found]
    connection.register("labels", pa.table({"request_id": pa.array([one for one, _ in pairs], pa.string()),
                                            "label": pa.array([label for _, label in pairs], pa.string())}))


def expanded(connection: Any, with_labels: bool) -> Any:
    """The picked rows with inputs, outputs, entity keys and labels as typed columns: the typed
    columns of typed segments, else the JSON expanded."""
    structures = connection.execute(
        "SELECT json_group_structure(inputs::JSON), json_group_structure(outputs::JSON), "
        "json_group_structure(entity_key::JSON) FROM picked").fetchall()[0]
    picked = [row[0] for row in connection.execute("DESCRIBE picked").fetchall()]
    select = [quote(name) for name in LEADING]
    transforms = []
    for (column, prefix, shown), text, alias in zip(
            (("inputs", "input.", "input."), ("outputs", "output.", ""), ("entity_key", "entity.", "entity.")),
            structures, ("i", "o", "e"), strict=True):
        structure = structure_of(text)
        typed = {name[len(prefix):]: name for name in picked if name.startswith(prefix)}
        transforms.append(f"{_transform(column, structure)} AS {alias}")
        for key in dict.fromkeys([*typed, *structure]):
            parts = ([f"p.{quote(typed[key])}"] if key in typed else []) + (
                [f"p.{alias}.{quote(key)}"] if key in structure else [])
            value = parts[0] if len(parts) == 1 else f"COALESCE({', '.join(parts)})"
            select.append(f"{value} AS {quote(shown + key)}")
    source = f"SELECT *, {', '.join(transforms)} FROM picked"
    join = ""
    if with_labels:
        label_type = connection.execute("SELECT json_group_structure(label::JSON) FROM labels").fetchall()[0][0]
        label_type = _type(json.loads(label_type)) if label_type else "VARCHAR"
        select.append(f"json_transform(l.label, {_literal(json.dumps(label_type))}) AS label")
        join = " LEFT JOIN labels l USING (request_id)"
    return connection.sql(f"SELECT {', '.join(select)} FROM ({source}) p{join} ORDER BY time DESC, request_id")


def structure_of(text: str | None) -> dict[str, Any]:
    """The types DuckDB inferred for a JSON object (from json_structure), as json_transform takes them."""
    if not text:
        return {}
    parsed = json.loads(text)
    return {str(key): _type(value) for key, value in parsed.items()} if isinstance(parsed, dict) else {}


def _type(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _type(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_type(item) for item in value]
    return _TYPES.get(value, value)


def _transform(column: str, structure: dict[str, Any]) -> str:
    if not structure:
        return "NULL"
    return f"json_transform({column}, {_literal(json.dumps(structure))})"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
