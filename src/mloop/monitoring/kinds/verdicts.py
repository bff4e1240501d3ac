"""What the prediction kinds share: the Measurement of an empty window, the drift of one table
against a reference in a monitor's words, and the metric a version was blessed or registered with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mloop.monitoring.model import Measurement

if TYPE_CHECKING:
    from mloop.quality.drift import DriftReport
    from mloop.registry.versions import ModelVersion

#: the names a recorded metric may go by, per metric (first found wins)
METRIC_NAMES = {
    "auc": ("auc", "roc_auc", "val_auc", "test_auc", "eval_auc", "valid_auc"),
    "accuracy": ("accuracy", "acc", "val_accuracy", "test_accuracy", "eval_accuracy"),
    "rmse": ("rmse", "val_rmse", "test_rmse", "eval_rmse"),
    "mae": ("mae", "val_mae", "test_mae", "eval_mae"),
}
#: metrics where lower is better
LOWER_IS_BETTER = {"rmse", "mae"}


def no_data(what: str, threshold: float | None, rows: int = 0, **values: Any) -> Measurement:
    return Measurement(status="no_data", value=None, threshold=threshold, summary=what, values=values, rows=rows)


def drifted_text(report_columns: list[dict[str, Any]], limit: int = 5) -> str:
    """'amount (wasserstein/std 0.41), country (js 0.22)' for the drifted columns, worst first."""
    drifted = sorted((c for c in report_columns if c["drifted"]), key=lambda c: -(c["statistic"] or 0.0))
    parts = [f"{c['name']} ({_method(c['method'])} {c['statistic']:.2g})" if c["statistic"] is not None
             else f"{c['name']} ({c['note'] or 'drifted'})" for c in drifted[:limit]]
    return ", ".join(parts) + (f" and {len(drifted) - limit} more" if len(drifted) > limit else "")


def _method(method: str | None) -> str:
    return {"wasserstein": "wasserstein/std", "js": "jensen-shannon"}.get(method or "", method or "")


def column_values(report: DriftReport) -> list[dict[str, Any]]:
    return [{"name": c.name, "kind": c.kind, "method": c.method, "statistic": c.statistic,
             "threshold": c.threshold, "p_value": c.p_value, "drifted": c.drifted, "note": c.note,
             "reference_count": c.reference_count, "current_count": c.current_count}
            for c in report.columns if c.compared or c.drifted]


def recorded_metric(version: ModelVersion, metric: str) -> tuple[float | None, str | None]:
    """The value of `metric` `version` was blessed with (its blessing's evaluation, when it scored
    that metric), else the one it was registered with; and where it came from."""
    names = METRIC_NAMES.get(metric, (metric,))
    blessing = version.blessing
    if blessing is not None:
        evaluation = blessing.evaluation or {}
        if evaluation.get("metric") in names and evaluation.get("candidate_value") is not None:
            return float(evaluation["candidate_value"]), f"blessing ({evaluation['metric']})"
    metrics = version.metrics
    for name in names:
        if name in metrics:
            return float(metrics[name]), f"registration ({name})"
    return None, None


def drop_of(metric: str, value: float, baseline: float | None) -> float | None:
    """How much worse `value` is than `baseline` (positive: worse), whichever way the metric goes."""
    if baseline is None:
        return None
    return value - baseline if metric in LOWER_IS_BETTER else baseline - value


def serving_rows(table: Any) -> tuple[Any, str]:
    """The rows of the version that answered last, and a note when others were left out: a window
    across a promotion or a rollback holds two versions' rows, and performance is a version's own
    (judged against that version's blessing), not a blend."""
    import pyarrow.compute as pc

    versions = pc.unique(table["version"])
    if len(versions) < 2:
        return table, ""
    last = table.filter(pc.equal(table["time"], pc.max(table["time"])))["version"][0]
    kept = table.filter(pc.equal(table["version"], last))
    return kept, f" ({table.num_rows - kept.num_rows} rows of other versions left out)"


def newest_version(table: Any, monitor_model: str, workspace: Any) -> ModelVersion:
    import pyarrow.compute as pc

    from mloop.registry.versions import get_model_version

    return get_model_version(monitor_model, int(pc.max(table["version"]).as_py()), workspace=workspace)
