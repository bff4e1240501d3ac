"""Scoring a model on labelled data by metric name (scikit-learn metrics)."""

from __future__ import annotations

from typing import Any

from mloop.core.errors import ValidationError
from mloop.registry import adapters

#: metric -> higher is better
METRICS = {"roc_auc": True, "accuracy": True, "f1": True, "rmse": False, "mae": False, "r2": True}
_ALIASES = {"auc": "roc_auc", "rocauc": "roc_auc", "acc": "accuracy", "f1_score": "f1",
            "root_mean_squared_error": "rmse", "mean_absolute_error": "mae", "r2_score": "r2"}
_PREFIXES = ("val_", "valid_", "validation_", "test_", "eval_", "holdout_", "train_")
CLASSIFICATION = ("accuracy", "f1", "roc_auc")
REGRESSION = ("rmse", "mae", "r2")


def scorer_name(metric: str) -> str | None:
    """The computable metric a recorded name means: 'val_auc' -> 'roc_auc', 'test_rmse' -> 'rmse'."""
    name = metric.lower()
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    name = _ALIASES.get(name, name)
    return name if name in METRICS else None


def default_metrics(model: Any) -> tuple[str, ...]:
    if not adapters.is_classifier(model):
        return REGRESSION
    return CLASSIFICATION if callable(getattr(model, "predict_proba", None)) else CLASSIFICATION[:2]


def score(model: Any, features: Any, labels: Any, metric: str) -> float | None:
    """`metric` (a name in METRICS) of `model` on (features, labels); None when it is undefined
    on this data (e.g. ROC AUC on a slice holding one class)."""
    from sklearn import metrics as m

    if metric not in METRICS:
        raise ValidationError(f"unknown metric {metric!r}; use one of: {', '.join(METRICS)}")
    if metric == "roc_auc":
        return _roc_auc(model, features, labels)
    predictions = adapters.predict(model, features)
    if metric == "accuracy":
        return float(m.accuracy_score(labels, predictions))
    if metric == "f1":
        labels_seen = set(labels.tolist()) | set(predictions.tolist())
        binary = len(labels_seen) <= 2 and labels_seen <= {0, 1}
        if binary and 1 not in labels_seen:  # no positive, true or predicted (a small slice): undefined
            return None
        return float(m.f1_score(labels, predictions, average="binary" if binary else "macro", zero_division=0.0))
    if metric == "rmse":
        return float(m.mean_squared_error(labels, predictions) ** 0.5)
    if metric == "mae":
        return float(m.mean_absolute_error(labels, predictions))
    if len(labels) < 2:
        return None
    return float(m.r2_score(labels, predictions))


def _roc_auc(model: Any, features: Any, labels: Any) -> float | None:
    from sklearn.metrics import roc_auc_score

    if labels.nunique() < 2:
        return None
    probabilities = adapters.predict_proba(model, features)
    if probabilities is None:
        scores = adapters.predict(model, features)  # e.g. a booster's probability of the positive class
    elif probabilities.shape[1] == 2:
        scores = probabilities[:, 1]
    else:
        return float(roc_auc_score(labels, probabilities, multi_class="ovr", labels=adapters.classes(model)))
    return float(roc_auc_score(labels, scores))


def split_target(data: Any, target: str, columns: list[str] | None) -> tuple[Any, Any]:
    """(features, labels) of an evaluation DataFrame; features limited to the model's columns."""
    if target not in data.columns:
        raise ValidationError(f"evaluation data has no target column {target!r} (columns: "
                              f"{', '.join(map(str, data.columns))}); name it with target=...")
    features = data.drop(columns=[target])
    if columns is not None:
        missing = [c for c in columns if c not in features.columns]
        if missing:
            raise ValidationError(f"evaluation data lacks the model's input column(s) {', '.join(missing)}")
        features = features[columns]
    return features, data[target]
