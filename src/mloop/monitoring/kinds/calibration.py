"""Calibrating a binary classifier's scores on labelled predictions it logged before, for the
label-free estimate (CBPE is as good as the probabilities are calibrated).

Histogram binning, vectorised: the reference scores cut at their quantiles into bins, each bin's
share of positives, and a score mapped by linear interpolation between the bins' mean scores,
made non-decreasing so the ranking is kept. Enough labelled rows (`MIN_ROWS`) or no calibration.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MIN_ROWS = 200
BINS = 20


def fit(scores: Any, positive: Any, bins: int = BINS) -> tuple[np.ndarray, np.ndarray] | None:
    """(knots, calibrated values) from reference scores and whether each was positive; None
    with fewer than MIN_ROWS rows or a single class."""
    scores, positive = np.asarray(scores, dtype=np.float64), np.asarray(positive, dtype=bool)
    if len(scores) < MIN_ROWS or positive.all() or not positive.any():
        return None
    edges = np.unique(np.quantile(scores, np.linspace(0.0, 1.0, bins + 1)))
    which = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, max(len(edges) - 2, 0))
    counts = np.bincount(which, minlength=len(edges) - 1)
    used = counts > 0
    knots = (np.bincount(which, weights=scores, minlength=len(counts))[used] / counts[used])
    values = np.bincount(which, weights=positive.astype(np.float64), minlength=len(counts))[used] / counts[used]
    return knots, np.maximum.accumulate(values)


def apply(curve: tuple[np.ndarray, np.ndarray], scores: Any) -> np.ndarray:
    knots, values = curve
    return np.interp(np.asarray(scores, dtype=np.float64), knots, values)
