"""performance: the quality of the window's predictions against their logged labels (ground
truth joined by request id, see mloop.log_labels).

Metric (`options.metric`): "auc" for binary classifiers (the score is the probability of the last
class), "accuracy" for other classifiers, "rmse" for regressors; also "mae". Value: the metric on
the labelled rows; it is compared with the value the newest version in the window was blessed
or registered with (see verdicts.recorded_metric) and the monitor fails when it is worse by more
than `threshold` (default 0.05, absolute). Fewer than `options.min_labels` (default 30)
labelled rows: no_data.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mloop.core.errors import ValidationError
from mloop.monitoring.kinds import scores
from mloop.monitoring.kinds.verdicts import drop_of, newest_version, no_data, recorded_metric, serving_rows
from mloop.monitoring.logged import class_probabilities, labels_for, logged_predictions
from mloop.monitoring.model import Measurement, Monitor

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace

DEFAULT_THRESHOLD = 0.05
MIN_LABELS = 30


def evaluate(monitor: Monitor, workspace: Workspace, start: datetime, end: datetime) -> Measurement:
    threshold = DEFAULT_THRESHOLD if monitor.threshold is None else monitor.threshold
    table = logged_predictions(monitor, workspace, start, end, parts=("outputs",),
                               leading=("request_id", "version", "time"))
    if table.num_rows == 0:
        return no_data(f"no predictions of {monitor.model} logged in the window", threshold)
    table, left_out = serving_rows(table)
    labels = labels_for(workspace, table)
    labelled = labels != None  # noqa: E711 (elementwise)
    count = int(labelled.sum())
    minimum = int(monitor.options.get("min_labels", MIN_LABELS))
    if count < minimum:
        return no_data(f"{count} of {table.num_rows} predictions have labels; {minimum} needed "
                       "(log them with mloop.log_labels)", threshold, rows=table.num_rows, labelled=count)
    metrics = realized(table.filter(labelled), labels[labelled])
    metric = monitor.options.get("metric") or default_metric(metrics)
    if metric not in metrics:
        raise ValidationError(f"monitor {monitor.name!r}: metric {metric!r} is not measured for this model; "
                              f"set options.metric to one of {', '.join(metrics)}")
    value = metrics[metric]
    if value is None:
        return no_data(f"{metric} is undefined on these {count} labels (one class only)", threshold,
                       rows=table.num_rows, labelled=count)
    version = newest_version(table, monitor.model or "", workspace)
    baseline, source = recorded_metric(version, metric)
    drop = drop_of(metric, value, baseline)
    summary = f"{metric} {value:.3f} on {count} labelled predictions of {version.ref}{left_out}"
    if drop is None:
        summary += f"; {version.ref} recorded no {metric} to compare with (register it with metrics=...)"
    else:
        summary += f" vs {baseline:.3f} at {source}: {'drop' if drop > 0 else 'change'} {drop:+.3f}"
    failed = drop is not None and drop > threshold
    return Measurement(status="failed" if failed else "passed", value=value, threshold=threshold, summary=summary,
                       rows=table.num_rows, values={"metric": metric, "metrics": metrics, "labelled": count,
                                                    "baseline": baseline, "baseline_source": source, "drop": drop,
                                                    "version": version.version})


def realized(table: Any, labels: Any) -> dict[str, float | None]:
    """The metrics of the labelled rows: auc (binary) and accuracy for classifiers, rmse and mae
    for regressors."""
    import numpy as np

    classes, matrix = class_probabilities(table)
    if classes:
        text = labels.astype(str)
        predicted = np.asarray(classes, dtype=object)[matrix.argmax(axis=1)].astype(str)
        result: dict[str, float | None] = {"accuracy": float((predicted == text).mean())}
        if len(classes) == 2:
            result["auc"] = scores.auc(text == classes[1], matrix[:, 1])
        return result
    prediction = table["output.prediction"].to_numpy(zero_copy_only=False)
    return dict(scores.regression(labels.astype(np.float64), prediction))


def default_metric(metrics: dict[str, Any]) -> str:
    if "auc" in metrics and metrics["auc"] is not None:
        return "auc"
    return "accuracy" if "accuracy" in metrics else "rmse"
