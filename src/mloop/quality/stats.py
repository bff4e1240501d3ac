"""Vectorised statistics for profiles and drift, on numpy arrays (no loop over rows).

Exact two-sample statistics reuse the sorted columns: one merge of the two sorted samples gives
both CDFs at every value, hence the Kolmogorov–Smirnov statistic and the 1-Wasserstein distance
(the algorithms of scipy's `ks_2samp` and `wasserstein_distance`, which the tests compare with).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

Array = np.ndarray

#: shares below this are raised to it in PSI, so a bin or category empty on one side stays finite
PSI_EPSILON = 1e-4
#: the inner probabilities of the reference quantiles that cut numeric PSI bins (deciles)
PSI_PROBABILITIES = np.linspace(0.1, 0.9, 9)


class Moments(NamedTuple):
    counts: Array
    mean: Array
    m2: Array
    minimum: Array
    maximum: Array
    distinct: Array


def sorted_columns(values: Array) -> tuple[Array, Array]:
    """`values` (rows × k floats, changed in place) with every non-finite value as NaN, each column
    sorted (NaN last), and the count of finite values of each column."""
    values[~np.isfinite(values)] = np.nan
    values.sort(axis=0)
    return values, np.count_nonzero(~np.isnan(values), axis=0)


def moments(values: Array, counts: Array) -> Moments:
    """count, mean, M2 (sum of squared deviations), min, max and exact distinct count of each
    column of sorted columns (as from `sorted_columns`)."""
    rows, k = values.shape
    if rows == 0:
        nan = np.full(k, np.nan)
        return Moments(np.zeros(k, np.int64), nan, nan, nan, nan, np.zeros(k, np.int64))
    by_column = values.T  # one row per column: contiguous when `values` is column-major
    valid = np.arange(rows)[None, :] < counts[:, None]
    deviations = np.where(valid, by_column, 0.0)
    mean = deviations.sum(axis=1) / np.maximum(counts, 1)
    deviations -= mean[:, None]
    deviations[~valid] = 0.0
    m2 = np.einsum("ij,ij->i", deviations, deviations)
    last = np.maximum(counts - 1, 0)
    minimum = np.where(counts > 0, by_column[:, 0], np.nan)
    maximum = np.where(counts > 0, by_column[np.arange(k), last], np.nan)
    changes = (by_column[:, 1:] != by_column[:, :-1]) & valid[:, 1:]
    distinct = changes.sum(axis=1) + (counts > 0)
    mean = np.where(counts > 0, mean, np.nan)
    m2 = np.where(counts > 0, m2, np.nan)
    return Moments(counts.astype(np.int64), mean, m2, minimum, maximum, distinct.astype(np.int64))


def merge_moments(n1: float, mean1: float, m2_1: float, n2: float, mean2: float, m2_2: float
                  ) -> tuple[float, float, float]:
    """Count, mean and M2 of the union of two parts (Chan, Golub and LeVeque's parallel update)."""
    if n1 == 0:
        return n2, mean2, m2_2
    if n2 == 0:
        return n1, mean1, m2_1
    n = n1 + n2
    delta = mean2 - mean1
    return n, mean1 + delta * n2 / n, m2_1 + m2_2 + delta * delta * n1 * n2 / n


def two_sample(a: Array, b: Array) -> tuple[float, float]:
    """The exact KS statistic and 1-Wasserstein distance of two sorted samples without NaN."""
    merged = np.concatenate([a, b])
    merged.sort(kind="stable")  # two sorted runs: a linear merge
    below_a = np.searchsorted(a, merged, side="right")
    # at the last of equal values, k + 1 values of the merged sample are <= it: the rest are b's
    below_b = np.arange(1, len(merged) + 1) - below_a
    last = np.append(merged[1:] != merged[:-1], True)
    difference = np.abs(below_a / len(a) - below_b / len(b))
    steps = np.diff(merged)  # 0 inside a run of equal values, so those wrong differences weigh nothing
    return float(difference[last].max()), float(np.dot(difference[:-1], steps))


def ks_pvalue(statistic: float, n: int, m: int) -> float:
    """The two-sided asymptotic p-value of scipy's `ks_2samp(..., method='asymp')`."""
    from scipy import stats

    big, small = max(n, m), min(n, m)
    effective = round(big * small / (big + small))
    return float(np.clip(stats.kstwo.sf(statistic, max(effective, 1)), 0.0, 1.0))


def psi_edges(sorted_reference: Array) -> Array:
    """Inner bin edges for numeric PSI: the reference deciles, ties merged."""
    return np.unique(np.quantile(sorted_reference, PSI_PROBABILITIES))


def bin_shares(sorted_values: Array, edges: Array) -> Array:
    """Shares of a sorted sample in the bins (-inf, e1], (e1, e2], ..., (e_last, inf)."""
    at = np.searchsorted(sorted_values, edges, side="right")
    return np.diff(np.concatenate([[0], at, [len(sorted_values)]])) / len(sorted_values)


def psi(reference: Array, current: Array) -> float:
    """Population stability index sum((c - r) * ln(c / r)) of two share vectors over the same bins."""
    r = np.maximum(reference, PSI_EPSILON)
    c = np.maximum(current, PSI_EPSILON)
    return float(np.sum((c - r) * np.log(c / r)))


def jensen_shannon(reference: Array, current: Array) -> float:
    """The Jensen–Shannon distance in base 2 (as scipy.spatial.distance.jensenshannon), in [0, 1]."""
    p = reference / reference.sum()
    q = current / current.sum()
    mid = (p + q) / 2
    divergence = (_relative_entropy(p, mid) + _relative_entropy(q, mid)) / 2
    return float(np.sqrt(max(divergence, 0.0)))


def _relative_entropy(p: Array, q: Array) -> float:
    positive = p > 0
    return float(np.sum(p[positive] * np.log2(p[positive] / q[positive])))


def chi_square(reference: Array, current: Array) -> tuple[float, float]:
    """Pearson's chi-square test of homogeneity on the 2 × k table of category counts (as scipy's
    `chi2_contingency(table, correction=False)`): statistic and p-value. Categories absent on both
    sides are dropped; with one category left there is nothing to test (0, 1)."""
    from scipy import stats

    table = np.vstack([reference, current]).astype(float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    return statistic, float(stats.chi2.sf(statistic, table.shape[1] - 1))
