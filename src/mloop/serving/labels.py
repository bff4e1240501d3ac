"""Ground truth for logged predictions, posted after the fact.

    mloop.log_labels(frame)                                        # columns request_id, label
    mloop.log_labels("chargebacks.parquet", entity_columns=["customer"], time_column="event_time",
                     label_column="is_fraud")

By request id, a label is stored as given (its prediction may still be on its way to the log).
By entity + time, a label applies to the latest prediction for that entity at or before its time,
of each model version and role that predicted for it (a canary's and a shadow's answers are
labelled too): a DuckDB ASOF join, resolved when the labels are logged. A label that matches no
prediction is kept (with its entity key and time) and counted as unmatched.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mloop.core.errors import ValidationError
from mloop.quality.inputs import quote

if TYPE_CHECKING:
    from mloop.quality.inputs import Dataset
    from mloop.stores.workspace import Workspace


@dataclass(frozen=True)
class LabelsResult:
    #: label rows read
    labels: int
    #: of those, the ones that apply to a logged prediction
    matched: int
    #: predictions that got a label (by entity, one label may apply to several versions' answers)
    predictions: int

    @property
    def unmatched(self) -> int:
        return self.labels - self.matched

    def __str__(self) -> str:
        text = f"logged {self.labels} label(s): {self.matched} matched {self.predictions} logged prediction(s)"
        return text + (f", {self.unmatched} matched none yet" if self.unmatched else "")


def log_labels(data: Any, *, id_column: str = "request_id", label_column: str = "label",
               entity_columns: Sequence[str] | None = None, time_column: str = "event_time",
               model: str | None = None, workspace: Workspace | None = None) -> LabelsResult:
    """Store ground truth from a DataFrame (pandas, polars, Arrow) or a Parquet/CSV path: joined by
    request id, or with `entity_columns` by entity + `time_column` (optionally only to `model`'s
    predictions). Inputs are checked before anything is stored."""
    from mloop.quality.inputs import open_data
    from mloop.stores.workspace import get_workspace

    if isinstance(data, (str, os.PathLike)) and not os.path.exists(data):
        raise ValidationError(f"labels file {data} does not exist; give a Parquet or CSV file, or a DataFrame")
    if entity_columns is not None and (isinstance(entity_columns, str) or not entity_columns):
        raise ValidationError("entity_columns must be a list of column names, e.g. entity_columns=['customer']")
    workspace = workspace or get_workspace()
    with open_data(data, name=str(data) if isinstance(data, (str, os.PathLike)) else "the labels") as dataset:
        wanted = [*entity_columns, time_column] if entity_columns else [id_column]
        for name in [*wanted, label_column]:
            dataset.column(name)  # ValidationError naming the columns there are
        if entity_columns:
            return _by_entity(dataset, workspace, list(entity_columns), time_column, label_column, model)
        return _by_id(dataset, workspace, id_column, label_column)


def _by_id(dataset: Dataset, workspace: Workspace, id_column: str, label_column: str) -> LabelsResult:

    table = dataset.query(f"SELECT CAST({quote(id_column)} AS VARCHAR) AS request_id, "
                          f"to_json({quote(label_column)})::VARCHAR AS label FROM {dataset.table} "
                          f"WHERE {quote(id_column)} IS NOT NULL AND {quote(label_column)} IS NOT NULL")
    ids = table["request_id"].to_pylist()
    n = len(ids)
    workspace.predictions.add_labels({"request_id": ids, "entity_key": [None] * n, "event_time": [None] * n,
                                      "label": table["label"].to_pylist()})
    matched = _logged(workspace, ids)
    return LabelsResult(labels=n, matched=len(matched), predictions=len(matched))


def _logged(workspace: Workspace, ids: list[str]) -> set[str]:
    """The ids among `ids` that are logged predictions: in the database or in a segment file."""
    import pyarrow as pa

    from mloop.quality.inputs import duckdb_module
    from mloop.serving.prediction_segments import local_files

    found = workspace.predictions.logged_request_ids(ids)
    files = local_files(workspace, [s.path for s in workspace.predictions.segments()], skip_missing=True)
    if files and len(found) < len(set(ids)):
        connection = duckdb_module().connect()
        try:
            connection.register("wanted", pa.table({"request_id": pa.array(ids, pa.string())}))
            rows = connection.execute("SELECT DISTINCT request_id FROM read_parquet(?, union_by_name = true) WHERE request_id IN "
                                      "(SELECT request_id FROM wanted)", [files]).fetchall()
        finally:
            connection.close()
        found.update(row[0] for row in rows)
    return found


def _by_entity(dataset: Dataset, workspace: Workspace, entity_columns: list[str], time_column: str,
               label_column: str, model: str | None) -> LabelsResult:
    from mloop.serving.prediction_query import Window, open_log

    keys = [f"CAST({quote(c)} AS VARCHAR) AS k{i}" for i, c in enumerate(entity_columns)]
    pack = ", ".join(f"{quote(c)} := {quote(c)}" for c in entity_columns)
    dataset.connection.execute("SET TimeZone = 'UTC'").fetchall()
    labels = dataset.query(
        f"SELECT row_number() OVER () AS label_row, {', '.join(keys)}, "
        f"CAST({quote(time_column)} AS TIMESTAMPTZ) AS event_time, "
        f"to_json(struct_pack({pack}))::VARCHAR AS entity_key, to_json({quote(label_column)})::VARCHAR AS label "
        f"FROM {dataset.table} WHERE {quote(label_column)} IS NOT NULL AND {quote(time_column)} IS NOT NULL")
    if labels.num_rows == 0:
        return LabelsResult(0, 0, 0)
    until: datetime = max(labels["event_time"].to_pylist())
    log = open_log(workspace, Window(model=model, until=until))
    try:
        extract = ", ".join(f"json_extract_string(entity_key, {_path(c)}) AS k{i}" for i, c in enumerate(entity_columns))
        predictions = log.sql(f"SELECT request_id, time, model, version, role, {extract} FROM picked "
                              "WHERE entity_key IS NOT NULL").to_arrow_table()
    finally:
        log.close()
    connection = dataset.connection
    connection.register("labels_in", labels)
    connection.register("logged", predictions)
    same_key = " AND ".join(f"x.k{i} = p.k{i}" for i in range(len(entity_columns)))
    matches = connection.sql(
        "SELECT x.label_row, p.request_id FROM (SELECT * FROM labels_in CROSS JOIN "
        "(SELECT DISTINCT model, version, role FROM logged)) x "
        f"ASOF JOIN logged p ON {same_key} AND x.model = p.model AND x.version = p.version AND x.role = p.role "
        "AND x.event_time >= p.time").to_arrow_table()
    connection.register("matches", matches)
    rows = connection.sql(
        "SELECT m.request_id, l.entity_key, l.event_time, l.label FROM labels_in l "
        "LEFT JOIN matches m USING (label_row) ORDER BY l.label_row, m.request_id").to_arrow_table()
    workspace.predictions.add_labels({name: rows[name].to_pylist() for name in rows.column_names})
    matched = len(set(matches["label_row"].to_pylist()))
    return LabelsResult(labels=labels.num_rows, matched=matched, predictions=matches.num_rows)


def _path(column: str) -> str:
    """The JSON path of a top-level key, as a SQL literal."""
    escaped = column.replace('"', '\\"')
    return "'" + f'$."{escaped}"'.replace("'", "''") + "'"
