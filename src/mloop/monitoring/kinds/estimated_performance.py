"""estimated_performance: a classifier's quality estimated without labels, from its own
probabilities (confidence-based performance estimation, CBPE, as NannyML): each row is taken to
be of class c with the probability the model gave c.

- expected accuracy: the mean probability of the predicted class;
- expected ROC AUC (binary): expected true and false positives at each score threshold
  (cumulative sums of p and 1 - p in score order), integrated.

The estimate is as good as the model's calibration: it assumes calibrated probabilities (the
summary says so); calibrate the model before registering it (e.g. CalibratedClassifierCV) when it
is not. Metric (`options.metric`): "auc" for binary classifiers, else "accuracy". Value: the
estimate; the monitor fails when it is below the value the newest version in the window was
blessed or registered with by more than `threshold` (default 0.05, absolute). When labels exist
for at least `options.min_labels` (default 30) of the rows, the realized metric is reported beside
the estimate.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from mloop.core.errors import ValidationError
from mloop.monitoring.kinds import scores
from mloop.monitoring.kinds.performance import MIN_LABELS, realized
from mloop.monitoring.kinds.verdicts import drop_of, newest_version, no_data, recorded_metric
from mloop.monitoring.logged import class_probabilities, labels_for, logged_predictions
from mloop.monitoring.model import Measurement, Monitor

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace

DEFAULT_THRESHOLD = 0.05
#: the metrics CBPE estimates (auc: binary classifiers only)
ESTIMATED = ("auc", "accuracy")


def evaluate(monitor: Monitor, workspace: Workspace, start: datetime, end: datetime) -> Measurement:
    threshold = DEFAULT_THRESHOLD if monitor.threshold is None else monitor.threshold
    table = logged_predictions(monitor, workspace, start, end, parts=("outputs",), leading=("request_id", "version"))
    if table.num_rows == 0:
        return no_data(f"no predictions of {monitor.model} logged in the window", threshold)
    classes, matrix = class_probabilities(table)
    if not classes:
        return no_data(f"{monitor.model} logged no class probabilities: performance is estimated for "
                       "classifiers only; use kind 'performance' with labels", threshold, rows=table.num_rows)
    estimates = {"accuracy": scores.expected_accuracy(matrix)}
    if len(classes) == 2:
        estimates["auc"] = scores.expected_auc(matrix[:, 1])
    metric = monitor.options.get("metric") or ("auc" if len(classes) == 2 else "accuracy")
    if metric not in ESTIMATED:
        raise ValidationError(f"monitor {monitor.name!r}: metric {metric!r} is not estimated without labels; "
                              f"set options.metric to {' or '.join(ESTIMATED)}")
    value = estimates.get(metric)
    if value is None:
        return no_data(f"expected {metric} cannot be estimated from these probabilities", threshold,
                       rows=table.num_rows, estimates=estimates)
    labels = labels_for(workspace, table)
    labelled = labels != None  # noqa: E711 (elementwise)
    count = int(labelled.sum())
    actual = realized(table.filter(labelled), labels[labelled]) if count >= int(
        monitor.options.get("min_labels", MIN_LABELS)) else {}
    version = newest_version(table, monitor.model or "", workspace)
    baseline, source = recorded_metric(version, metric)
    drop = drop_of(metric, value, baseline)
    summary = f"estimated {metric} {value:.3f}"
    if actual.get(metric) is not None:
        summary += f" (realized {actual[metric]:.3f} on {count} labels)"
    if drop is None:
        summary += f"; {version.ref} recorded no {metric} to compare with"
    else:
        summary += f" vs {baseline:.3f} at {source}: {'drop' if drop > 0 else 'change'} {drop:+.3f}"
    summary += "; assumes calibrated probabilities"
    failed = drop is not None and drop > threshold
    return Measurement(status="failed" if failed else "passed", value=value, threshold=threshold, summary=summary,
                       rows=table.num_rows,
                       values={"metric": metric, "estimates": estimates, "realized": actual, "labelled": count,
                               "baseline": baseline, "baseline_source": source, "drop": drop,
                               "version": version.version, "assumption": "calibrated probabilities"})
