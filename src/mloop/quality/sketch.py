"""The quantile sketch of a numeric column: its values at a fixed grid of probabilities
(0, 0.005, ..., 1: `GRID_SIZE` points), read as a piecewise-linear CDF through those points.

It is small (201 floats), mergeable (the sketch of a union is the inverse of the count-weighted
mixture of the parts' CDFs) and enough for quantiles, histograms, PSI bins, and the KS and
Wasserstein distances when a stored profile is one side of a drift comparison.

Error: on exact quantiles the sketch's CDF is off from the data's by at most one grid step in
rank (`RANK_ERROR` = 0.005), and a mixture of such CDFs keeps that bound, so quantiles of merged
sketches are within `RANK_ERROR` in rank of the true ones (plus the rank error of DuckDB's
`approx_quantile` when a profile was computed on the streaming path).
"""

from __future__ import annotations

import numpy as np

GRID_SIZE = 201
GRID = np.linspace(0.0, 1.0, GRID_SIZE)
RANK_ERROR = 1.0 / (GRID_SIZE - 1)

Array = np.ndarray


def of_sorted(values: Array, counts: Array) -> Array:
    """Sketches (k × GRID_SIZE) of the k columns of `values` (rows × k, each column sorted, its
    `counts[j]` finite values first and NaN after), by the linear interpolation of
    DuckDB's `quantile_cont` and numpy's default `quantile`. A column with no values gives NaN."""
    counts = np.asarray(counts, dtype=np.int64)
    positions = GRID[:, None] * np.maximum(counts - 1, 0)[None, :]
    low = np.floor(positions).astype(np.int64)
    high = np.minimum(low + 1, np.maximum(counts - 1, 0)[None, :])
    fraction = positions - low
    if values.shape[0] == 0:
        return np.full((len(counts), GRID_SIZE), np.nan)
    below = np.take_along_axis(values, low, axis=0)
    above = np.take_along_axis(values, high, axis=0)
    sketch = below + fraction * (above - below)
    sketch[:, counts == 0] = np.nan
    return np.ascontiguousarray(sketch.T)


def quantile(sketch: Array, probabilities: Array | float) -> Array:
    return np.interp(probabilities, GRID, sketch)


def cdf(sketch: Array, x: Array) -> Array:
    """The right-continuous CDF F(x) = share of values <= x."""
    x = np.asarray(x, dtype=float)
    index = np.searchsorted(sketch, x, side="right")
    return _between(sketch, x, index)


def cdf_left(sketch: Array, x: Array) -> Array:
    """The left limit F(x-) = share of values < x (differs from `cdf` where values tie)."""
    x = np.asarray(x, dtype=float)
    index = np.searchsorted(sketch, x, side="left")
    return _between(sketch, x, index)


def _between(sketch: Array, x: Array, index: Array) -> Array:
    last = len(sketch) - 1
    low = np.clip(index - 1, 0, last)
    high = np.clip(index, 0, last)
    width = sketch[high] - sketch[low]
    safe = np.where(width > 0, width, 1.0)
    inside = GRID[low] + np.clip((x - sketch[low]) / safe, 0.0, 1.0) * (GRID[high] - GRID[low])
    return np.where(index <= 0, 0.0, np.where(index > last, 1.0, np.where(width > 0, inside, GRID[low])))


def merge(sketches: list[Array], weights: list[int] | Array) -> Array:
    """The sketch of the union of parts with these sketches and value counts: the grid quantiles
    of the count-weighted mixture of their CDFs. Parts with no values are ignored."""
    weights = np.asarray(weights, dtype=float)
    keep = [i for i, w in enumerate(weights) if w > 0 and not np.isnan(sketches[i]).any()]
    if not keep:
        return np.full(GRID_SIZE, np.nan)
    if len(keep) == 1:
        return np.asarray(sketches[keep[0]], dtype=float).copy()
    knots = np.unique(np.concatenate([sketches[i] for i in keep]))
    total = weights[keep].sum()
    left = sum(weights[i] * cdf_left(sketches[i], knots) for i in keep) / total
    right = sum(weights[i] * cdf(sketches[i], knots) for i in keep) / total
    # the mixture CDF as a monotone path through (x, F): a jump at a knot is (x, F(x-)) -> (x, F(x))
    xs = np.repeat(knots, 2)
    fs = np.maximum.accumulate(np.column_stack([left, right]).ravel())
    return _invert(xs, fs)


def _invert(xs: Array, fs: Array) -> Array:
    """The smallest x with F(x) >= p for each grid probability p, on a path of (x, F) points."""
    index = np.clip(np.searchsorted(fs, GRID, side="left"), 1, len(fs) - 1)
    f0, f1 = fs[index - 1], fs[index]
    x0, x1 = xs[index - 1], xs[index]
    rise = np.where(f1 > f0, f1 - f0, 1.0)
    result = np.where(f1 > f0, x0 + (GRID - f0) / rise * (x1 - x0), x1)
    result[0] = xs[0]
    result[-1] = xs[-1]
    return np.maximum.accumulate(result)


def histogram(sketch: Array, count: int, edges: Array) -> Array:
    """Counts (summing to `count`) in the bins between `edges`; values outside fall in the end bins."""
    cumulative = cdf_left(sketch, edges)
    cumulative[0], cumulative[-1] = 0.0, 1.0
    return np.diff(np.round(cumulative * count)).astype(np.int64)


def bin_shares(sketch: Array, edges: Array) -> Array:
    """Shares in the bins (-inf, e1], (e1, e2], ..., (e_last, inf) of the inner `edges`."""
    return np.diff(np.concatenate([[0.0], cdf(sketch, edges), [1.0]]))


def wasserstein(a: Array, b: Array) -> float:
    """The 1-Wasserstein distance between two sketched distributions: the integral over p of
    |q_a(p) - q_b(p)|, exact for the piecewise-linear quantile functions (a sign change inside a
    grid step included)."""
    d = a - b
    d0, d1 = d[:-1], d[1:]
    same_sign = d0 * d1 >= 0
    magnitude = np.abs(d0) + np.abs(d1)
    crossing = np.divide(d0 * d0 + d1 * d1, magnitude, out=np.zeros_like(magnitude), where=magnitude > 0)
    step = np.diff(GRID)
    return float(np.sum(np.where(same_sign, magnitude, crossing) * step) / 2)


def kolmogorov_smirnov(a: Array, b: Array) -> float:
    """sup |F_a - F_b| of two sketched distributions, checked at every knot from both sides (the
    CDFs are linear between knots, so the supremum is at one of them)."""
    knots = np.unique(np.concatenate([a, b]))
    right = np.abs(cdf(a, knots) - cdf(b, knots))
    left = np.abs(cdf_left(a, knots) - cdf_left(b, knots))
    return float(max(right.max(), left.max()))
