"""A model card: evaluation (metrics overall and per slice of a column) and explainability
(permutation feature importance, scikit-learn) on labelled evaluation data."""

from __future__ import annotations

import hashlib
from typing import Any

from mloop.core.errors import ValidationError
from mloop.registry import adapters, scoring
from mloop.registry.signature import Signature

MAX_SLICES = 50


def frame_hash(data: Any) -> str:
    """A content hash of a DataFrame (values and column names), to tell evaluation sets apart."""
    import pandas as pd

    digest = hashlib.sha256(",".join(map(str, data.columns)).encode())
    digest.update(pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def model_card(
    model: Any,
    data: Any,
    target: str,
    *,
    signature: Signature | None = None,
    metrics: list[str] | tuple[str, ...] | None = None,
    slice_by: str | None = None,
    importance: bool = True,
    n_repeats: int = 5,
    random_state: int = 0,
) -> dict[str, Any]:
    """The card of `model` on `data` (features plus the `target` column)."""
    features, labels = prepare(data, target, signature)
    names = list(metrics or scoring.default_metrics(model))
    evaluation: dict[str, Any] = {
        "target": target, "rows": len(data), "data_hash": frame_hash(data),
        "metrics": {name: scoring.score(model, features, labels, name) for name in names},
    }
    if slice_by is not None:
        evaluation["slices"] = _slices(model, data, features, labels, slice_by, names)
    card: dict[str, Any] = {"evaluation": evaluation}
    if importance:
        card["importance"] = permutation_summary(model, features, labels, n_repeats=n_repeats,
                                                 random_state=random_state)
    return card


def prepare(data: Any, target: str, signature: Signature | None) -> tuple[Any, Any]:
    features, labels = scoring.split_target(data, target, signature.columns if signature else None)
    if signature is not None:
        features = signature.validate(features, what="evaluation data")
    return features, labels


def _slices(model: Any, data: Any, features: Any, labels: Any, column: str, names: list[str]) -> dict[str, Any]:
    if column not in data.columns:
        raise ValidationError(f"cannot slice by {column!r}: the evaluation data has no such column")
    keys = data[column].astype("string").fillna("<missing>").to_numpy()
    counts = data[column].astype("string").fillna("<missing>").value_counts()
    values = []
    for value, rows in counts.head(MAX_SLICES).items():
        mask = keys == value
        values.append({"value": value, "rows": int(rows),
                       "metrics": {n: scoring.score(model, features[mask], labels[mask], n) for n in names}})
    return {"column": column, "values": values, "truncated": len(counts) > MAX_SLICES}


def permutation_summary(model: Any, features: Any, labels: Any, *, n_repeats: int = 5,
                        random_state: int = 0) -> dict[str, Any]:
    """Permutation importance of every input column, and the share of the most important one
    (of the sum of positive importances): a model leaning on one leaky column has a share near 1."""
    from sklearn.inspection import permutation_importance

    metric = _importance_metric(model)
    higher = scoring.METRICS[metric]

    def scorer(estimator: Any, x: Any, y: Any) -> float:
        value = scoring.score(estimator.model, x, y, metric)
        value = 0.0 if value is None else value
        return value if higher else -value

    result = permutation_importance(adapters.Estimator(model), features, labels, scoring=scorer,
                                    n_repeats=n_repeats, random_state=random_state)
    ranked = sorted(zip(map(str, features.columns), result.importances_mean, result.importances_std, strict=True),
                    key=lambda item: -item[1])
    positive = sum(max(float(mean), 0.0) for _, mean, _ in ranked)
    top_name, top_mean, _ = ranked[0] if ranked else (None, 0.0, 0.0)
    return {
        "method": "permutation", "metric": metric, "n_repeats": n_repeats,
        "features": [{"name": name, "mean": float(mean), "std": float(std)} for name, mean, std in ranked],
        "top_feature": top_name,
        "top_share": max(float(top_mean), 0.0) / positive if positive > 0 else None,
    }


def _importance_metric(model: Any) -> str:
    if not adapters.is_classifier(model):
        return "r2"
    return "roc_auc" if callable(getattr(model, "predict_proba", None)) else "accuracy"
