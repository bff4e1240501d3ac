"""estimated_performance: a classifier's quality estimated without labels, from its own
probabilities (confidence-based performance estimation, CBPE, as NannyML): each row is taken to
be of class c with the probability the model gave c.

- expected accuracy: the mean probability of the predicted class;
- expected ROC AUC (binary): expected true and false positives at each score threshold
  (cumulative sums of p and 1 - p in score order), integrated.

The estimate is as good as the model's calibration: it assumes calibrated probabilities (the
summary says so). With `options.calibrate` (binary classifiers), the scores are first calibrated
on the version's labelled predictions logged before the window (histogram binning, see
kinds.calibration; at least 200 of them), as NannyML calibrates on its labelled reference;
else calibrate the model before registering it (e.g. CalibratedClassifierCV). Metric (`options.metric`): "auc" for binary classifiers, else "accuracy". Value: the
estimate; the monitor fails when it is below the value the newest version in the window was
blessed or registered with by more than `threshold` (default 0.05, absolute). When labels exist
for at least `options.min_labels` (default 30) of the rows, the realized metric is reported beside
the estimate.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from mloop.core.errors import ValidationError
from mloop.monitoring.kinds import scores
from mloop.monitoring.kinds.performance import MIN_LABELS, realized
from mloop.monitoring.kinds.verdicts import drop_of, newest_version, no_data, recorded_metric, serving_rows
from mloop.monitoring.logged import class_probabilities, labels_for, logged_predictions
from mloop.monitoring.model import Measurement, Monitor

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace

DEFAULT_THRESHOLD = 0.05
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: the metrics CBPE estimates (auc: binary classifiers only)
ESTIMATED = ("auc", "accuracy")


def evaluate(monitor: Monitor, workspace: Workspace, start: datetime, end: datetime) -> Measurement:
    threshold = DEFAULT_THRESHOLD if monitor.threshold is None else monitor.threshold
    table = logged_predictions(monitor, workspace, start, end, parts=("outputs",),
                               leading=("request_id", "version", "time"))
    if table.num_rows == 0:
        return no_data(f"no predictions of {monitor.model} logged in the window", threshold)
    table, left_out = serving_rows(table)
    classes, matrix = class_probabilities(table)
    if not classes:
        return no_data(f"{monitor.model} logged no class probabilities: performance is estimated for "
                       "classifiers only; use kind 'performance' with labels", threshold, rows=table.num_rows)
    version = newest_version(table, monitor.model or "", workspace)
    assumption = "calibrated probabilities"
    estimates = {"accuracy": scores.expected_accuracy(matrix)}
    if len(classes) == 2:
        if monitor.options.get("calibrate"):
            calibrated, assumption = _calibrated(monitor, workspace, start, version.version, classes, matrix)
            # the class predicted stays the model's; the chance it is right is the calibrated one
            estimates["accuracy"] = scores.expected_accuracy_of(calibrated, matrix.argmax(axis=1))
            matrix = calibrated
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
    baseline, source = recorded_metric(version, metric)
    drop = drop_of(metric, value, baseline)
    summary = f"estimated {metric} {value:.3f} of {version.ref}{left_out}"
    if actual.get(metric) is not None:
        summary += f" (realized {actual[metric]:.3f} on {count} labels)"
    if drop is None:
        summary += f"; {version.ref} recorded no {metric} to compare with"
    else:
        summary += f" vs {baseline:.3f} at {source}: {'drop' if drop > 0 else 'change'} {drop:+.3f}"
    summary += f"; assumes {assumption}" if assumption == "calibrated probabilities" else f"; {assumption}"
    failed = drop is not None and drop > threshold
    return Measurement(status="failed" if failed else "passed", value=value, threshold=threshold, summary=summary,
                       rows=table.num_rows,
                       values={"metric": metric, "estimates": estimates, "realized": actual, "labelled": count,
                               "baseline": baseline, "baseline_source": source, "drop": drop,
                               "version": version.version, "assumption": assumption})


def _calibrated(monitor: Monitor, workspace: Workspace, start: datetime, version: int, classes: list[str],
                matrix: Any) -> tuple[Any, str]:
    """The window's probabilities calibrated on the version's labelled predictions logged before
    the window (see kinds.calibration), and what the estimate then rests on; as they are when
    there are too few."""
    import numpy as np

    from mloop.monitoring.kinds import calibration

    before = logged_predictions(monitor, workspace, _EPOCH, start, parts=("outputs",), version=version,
                                leading=("request_id", "version"))
    labels = labels_for(workspace, before) if before.num_rows else np.array([], dtype=object)
    labelled = labels != None  # noqa: E711 (elementwise)
    reference = before.filter(labelled) if before.num_rows else before
    curve = None
    if reference.num_rows:
        _, known = class_probabilities(reference)
        curve = calibration.fit(known[:, 1], labels[labelled].astype(str) == classes[1])
    if curve is None:
        return matrix, (f"too few labelled predictions before the window to calibrate ({int(labelled.sum())}, "
                        f"{calibration.MIN_ROWS} needed): assumes calibrated probabilities")
    positive = calibration.apply(curve, matrix[:, 1])
    return np.column_stack([1.0 - positive, positive]), (
        f"scores calibrated on {reference.num_rows} labelled predictions before the window")
