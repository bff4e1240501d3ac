"""Model quality from arrays, vectorised: realized metrics (with labels) and confidence-based
estimates (without them, from probabilities taken as calibrated: CBPE as in NannyML)."""

from __future__ import annotations

from typing import Any

import numpy as np


def auc(labels: Any, scores: Any) -> float | None:
    """ROC AUC of binary `labels` (bool) against `scores` (the Mann–Whitney U with mid-ranks for
    ties, as sklearn's roc_auc_score); None unless both classes are present."""
    positive = np.asarray(labels, dtype=bool)
    n_positive = int(positive.sum())
    n_negative = len(positive) - n_positive
    if n_positive == 0 or n_negative == 0:
        return None
    _, inverse, counts = np.unique(np.asarray(scores, dtype=np.float64), return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]  # 1-based mid-ranks
    return float((ranks[positive].sum() - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative))


def expected_auc(probabilities: Any) -> float | None:
    """The ROC AUC expected when each row is positive with its probability (calibrated scores):
    expected true and false positives at each distinct score, integrated by trapezoids."""
    p = np.asarray(probabilities, dtype=np.float64)
    p = p[np.isfinite(p)]
    if len(p) == 0:
        return None
    order = np.argsort(-p, kind="stable")
    ordered = p[order]
    true_positives, false_positives = np.cumsum(ordered), np.cumsum(1.0 - ordered)
    last_of_tie = np.r_[np.diff(ordered) != 0, True]  # one point per distinct score
    positives, negatives = true_positives[-1], false_positives[-1]
    if positives <= 0 or negatives <= 0:
        return None
    tpr = np.r_[0.0, true_positives[last_of_tie] / positives]
    fpr = np.r_[0.0, false_positives[last_of_tie] / negatives]
    return float(np.trapezoid(tpr, fpr))


def expected_accuracy(probabilities: Any) -> float | None:
    """Accuracy expected from calibrated class probabilities (rows x classes): the mean
    probability of the class predicted (the most probable)."""
    matrix = np.asarray(probabilities, dtype=np.float64)
    return float(matrix.max(axis=1).mean()) if len(matrix) else None


def expected_accuracy_of(probabilities: Any, predicted: Any) -> float | None:
    """Accuracy expected from calibrated class probabilities (rows x classes) when the class
    predicted is `predicted` (column indexes): the mean probability of the predicted class."""
    matrix = np.asarray(probabilities, dtype=np.float64)
    if not len(matrix):
        return None
    return float(matrix[np.arange(len(matrix)), np.asarray(predicted)].mean())


def regression(labels: Any, predictions: Any) -> dict[str, float]:
    error = np.asarray(predictions, dtype=np.float64) - np.asarray(labels, dtype=np.float64)
    return {"rmse": float(np.sqrt(np.mean(error ** 2))), "mae": float(np.mean(np.abs(error)))}
