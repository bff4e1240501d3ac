"""Reading tracked values back: search, best run, side-by-side comparison, metric history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mloop.core.errors import NotFoundError, ValidationError, missing_extra
from mloop.pipeline.results.runs import Artifact
from mloop.stores.metadata import RunRecord
from mloop.stores.metadata.run_query import RunQuery
from mloop.stores.metadata.tracking_records import RunValues
from mloop.stores.workspace import Workspace, get_workspace
from mloop.tracking.filters import parse_field, parse_filter

if TYPE_CHECKING:
    import pandas as pd

RUN_COLUMNS = ("run_id", "pipeline", "kind", "status", "start_time", "end_time")
_PREFIXES = {"m": "metrics.", "p": "params.", "t": "tags."}


@dataclass
class RunData:
    """A run's record with what it tracked: params, tags, the latest value of each metric, and
    logged artifacts by name."""

    record: RunRecord
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, Artifact] = field(default_factory=dict)

    id = property(lambda self: self.record.id)
    pipeline = property(lambda self: self.record.pipeline)
    status = property(lambda self: self.record.status)


def search_runs(filter: str = "", order_by: str | None = None, descending: bool = False, limit: int = 1000,
                workspace: Workspace | None = None, offset: int = 0) -> pd.DataFrame:
    """Runs matching `filter` (see the filter language in mloop.tracking.filters), ordered by a field
    (runs without it last; then newest first), as a DataFrame: run_id, pipeline, kind, status,
    start_time, end_time, then params.*, metrics.* (latest values) and tags.* columns. `offset`
    skips that many matching runs first (pages of a listing; count_runs gives the total)."""
    pd = _pandas()
    workspace = workspace or get_workspace()
    if not isinstance(offset, int) or offset < 0:
        raise ValidationError(f"offset must be a non-negative integer, not {offset!r}")
    query = replace(_query(filter, order_by, descending, limit), offset=offset)
    table = workspace.tracking.search_table(query)
    frame = pd.DataFrame(table.runs, columns=list(RUN_COLUMNS))
    for name in ("start_time", "end_time"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    if not table.values:
        return frame
    wide = _wide_columns(pd, frame["run_id"], table.values)
    return pd.concat([frame, pd.DataFrame(wide, index=frame.index)], axis=1)


def count_runs(filter: str = "", workspace: Workspace | None = None) -> int:
    """How many runs match `filter` (the filter language of search_runs)."""
    workspace = workspace or get_workspace()
    return workspace.tracking.count_runs(_query(filter, None, False, 1))


def _wide_columns(pd: Any, run_ids: Any, values: list[tuple[Any, ...]]) -> dict[str, Any]:
    """One column per tracked key (params.*, metrics.*, tags.*, in that order, each sorted), one
    row per run in `run_ids`' order: the (run_id, kind, key, number, text) rows scattered into a
    float matrix (metrics) and an object matrix (params, tags) in numpy, no loop over the values."""
    import numpy as np

    ids, kinds, keys, numbers, texts = (np.array(c, dtype=object) for c in zip(*values, strict=True))
    rows = pd.Index(run_ids).get_indexer(ids)
    kind_code = np.where(kinds == "m", 1, np.where(kinds == "p", 0, 2))
    key_code, key_names = pd.factorize(keys)
    column_code, pairs = pd.factorize(kind_code * len(key_names) + key_code)
    names = [f"{('params', 'metrics', 'tags')[pair // len(key_names)]}.{key_names[pair % len(key_names)]}"
             for pair in pairs]
    is_metric = kind_code == 1
    metric_columns = [i for i, name in enumerate(names) if name.startswith("metrics.")]
    text_columns = [i for i, name in enumerate(names) if not name.startswith("metrics.")]
    out: dict[str, Any] = {}
    if metric_columns:
        matrix = np.full((len(run_ids), len(names)), np.nan)
        matrix[rows[is_metric], column_code[is_metric]] = numbers[is_metric].astype("float64")
        out.update({names[i]: matrix[:, i] for i in metric_columns})
    if text_columns:
        texts_matrix = np.full((len(run_ids), len(names)), None, dtype=object)
        texts_matrix[rows[~is_metric], column_code[~is_metric]] = texts[~is_metric]
        out.update({names[i]: texts_matrix[:, i] for i in text_columns})
    return {name: out[name] for name in sorted(out, key=_column_order)}


def best_run(metric: str, filter: str = "", maximize: bool = True, workspace: Workspace | None = None) -> RunData:
    """The run with the highest (or, with maximize=False, lowest) latest value of `metric` among
    those matching `filter`; NotFoundError when none logged it."""
    workspace = workspace or get_workspace()
    records = workspace.tracking.search_runs(_query(filter, f"metrics.`{metric}`", maximize, 1))
    found = get_run_data(records[0].id, workspace) if records else None
    if found is None or metric not in found.metrics:
        where = f" among runs matching {filter!r}" if filter else ""
        raise NotFoundError(f"no run logged metric {metric!r}{where}; see what runs logged with: mloop runs search")
    return found


def get_run_data(run_id: str, workspace: Workspace | None = None) -> RunData:
    """A run (id or unique prefix) with its params, latest metrics, tags and logged artifacts."""
    workspace = workspace or get_workspace()
    record = workspace.runs.get_run(run_id)
    values = workspace.tracking.run_values([record.id]).get(record.id, RunValues())
    artifacts = {name: Artifact(artifact, workspace) for name, (artifact, _) in workspace.tracking.logged_artifacts(record.id).items()}
    return RunData(record, values.params, values.metrics, values.tags, artifacts)


def compare_runs(run_ids: Iterable[str], workspace: Workspace | None = None) -> pd.DataFrame:
    """Runs side by side: one column per run (its id), one row per attribute, param, metric and tag."""
    pd = _pandas()
    run_ids = list(run_ids)  # a list, or a column of search_runs' result
    if not run_ids:
        raise ValidationError("compare_runs needs at least one run id")
    runs = [get_run_data(run_id, workspace) for run_id in run_ids]
    rows = [_row(run.record, RunValues(run.params, run.metrics, run.tags)) for run in runs]
    names = [n for n in RUN_COLUMNS if n != "run_id"]
    names += sorted({k for row in rows for k in row if k not in RUN_COLUMNS}, key=_column_order)
    return pd.DataFrame({run.id: [row.get(name) for name in names] for run, row in zip(runs, rows, strict=True)},
                        index=pd.Index(names, name="field"))


def get_metric_history(run_id: str, key: str, workspace: Workspace | None = None) -> pd.DataFrame:
    """Every point of a run's metric `key`: step, value, timestamp (UTC) and the step run that
    logged it, ordered by step then time."""
    pd = _pandas()
    workspace = workspace or get_workspace()
    record = workspace.runs.get_run(run_id)
    history = workspace.tracking.metric_history(record.id, key)
    if not len(history):
        logged = workspace.tracking.run_values([record.id]).get(record.id, RunValues()).metrics
        raise NotFoundError(f"run {record.id} has no metric {key!r}; its metrics: {', '.join(sorted(logged)) or 'none'}")
    return pd.DataFrame({
        "step": history.steps, "value": history.values,
        "timestamp": pd.to_datetime(history.timestamps, unit="s", utc=True).round("us"),
        "step_run_id": history.step_run_ids,
    })


def _query(filter: str, order_by: str | None, descending: bool, limit: int) -> RunQuery:
    if not isinstance(limit, int) or limit < 1:
        raise ValidationError(f"limit must be a positive integer, not {limit!r}")
    return RunQuery(parse_filter(filter or ""), parse_field(order_by) if order_by else None, descending, limit)


def _row(record: RunRecord, values: RunValues) -> dict[str, Any]:
    row: dict[str, Any] = {
        "run_id": record.id, "pipeline": record.pipeline, "kind": record.kind, "status": record.status,
        "start_time": record.started_at, "end_time": record.ended_at,
    }
    row.update({f"params.{k}": v for k, v in values.params.items()})
    row.update({f"metrics.{k}": v for k, v in values.metrics.items()})
    row.update({f"tags.{k}": v for k, v in values.tags.items()})
    return row


def _column_order(name: str) -> tuple[int, str]:
    return ({"params": 0, "metrics": 1, "tags": 2}[name.partition(".")[0]], name)


def _pandas() -> Any:
    try:
        import pandas
    except ModuleNotFoundError as exc:
        raise missing_extra("pandas", "pandas") from exc
    return pandas
