"""One column's drift statistics: every statistic of its kind, the null shares, new and missing
categories, and what a plot needs; the verdict is drawn in `drift.py`, which knows the thresholds
and how many columns were tested.

Numeric columns compare exactly when both sides are sorted samples (KS, Wasserstein and PSI on
reference deciles) and through quantile sketches when a side is a stored profile.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from mloop.quality import sketch, stats

PLOT_BINS = 20
PLOT_CATEGORIES = 20
LISTED_CATEGORIES = 20


@dataclass
class ColumnDrift:
    """Drift of one column. `statistic` is the value the verdict compares with `threshold`: the
    distance for distance methods (drifted when above), the p-value for ks and chi2 (drifted when
    below). `p_value` is the column's test p-value (KS for numeric, chi-square for categorical),
    uncorrected. `plot` holds histograms over shared bin edges (numeric) or the shares of the top
    categories (categorical)."""

    name: str
    kind: str
    method: str | None = None
    statistic: float | None = None
    threshold: float | None = None
    p_value: float | None = None
    drifted: bool = False
    note: str = ""
    ks: float | None = None
    ks_pvalue: float | None = None
    wasserstein: float | None = None
    wasserstein_norm: float | None = None
    psi: float | None = None
    chi2: float | None = None
    chi2_pvalue: float | None = None
    js: float | None = None
    reference_count: int = 0
    current_count: int = 0
    reference_null_fraction: float | None = None
    current_null_fraction: float | None = None
    new_categories: list[str] = field(default_factory=list)
    missing_categories: list[str] = field(default_factory=list)
    plot: dict[str, Any] = field(default_factory=dict)

    @property
    def compared(self) -> bool:
        """Whether the column's distributions were compared (both sides have values of one kind)."""
        return self.ks is not None or self.chi2 is not None

    def to_dict(self) -> dict[str, Any]:
        return {key: _plain(value) for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnDrift:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class NumericSide:
    """One side of a numeric column: counts, moments, and its sorted values or its sketch."""

    count: int
    nulls: int
    std: float | None
    values: np.ndarray | None = None
    quantiles: np.ndarray | None = None

    @property
    def sketch(self) -> np.ndarray:
        if self.quantiles is None:
            assert self.values is not None  # a side has one or the other
            self.quantiles = sketch.of_sorted(self.values[:, None], np.array([len(self.values)]))[0]
        return self.quantiles


@dataclass
class CategoricalSide:
    count: int
    nulls: int
    values: list[str]
    counts: np.ndarray
    #: values past the kept top ones (a capped profile); 0 when every value is listed
    other: int = 0


def compare_numeric(name: str, reference: NumericSide, current: NumericSide) -> ColumnDrift:
    result = _base(name, "numeric", reference, current)
    if reference.count == 0 or current.count == 0:
        return result
    if reference.values is not None and current.values is not None:
        a, b = reference.values, current.values
        result.ks, result.wasserstein = stats.two_sample(a, b)
        edges = stats.psi_edges(a)
        result.psi = stats.psi(stats.bin_shares(a, edges), stats.bin_shares(b, edges))
    else:
        result.ks = sketch.kolmogorov_smirnov(reference.sketch, current.sketch)
        result.wasserstein = sketch.wasserstein(reference.sketch, current.sketch)
        edges = np.unique(sketch.quantile(reference.sketch, stats.PSI_PROBABILITIES))
        shares = (stats.bin_shares(current.values, edges) if current.values is not None
                  else sketch.bin_shares(current.sketch, edges))
        result.psi = stats.psi(sketch.bin_shares(reference.sketch, edges), shares)
    result.ks_pvalue = result.p_value = stats.ks_pvalue(result.ks, reference.count, current.count)
    scale = reference.std or 0.0
    if scale <= 0:
        scale = current.std or 0.0
        result.note = _join(result.note, "the reference is constant; the distance is scaled by the current std")
    result.wasserstein_norm = (result.wasserstein / scale if scale > 0
                               else 0.0 if result.wasserstein == 0 else float("inf"))
    result.plot = _numeric_plot(reference, current)
    return result


def compare_categorical(name: str, reference: CategoricalSide, current: CategoricalSide) -> ColumnDrift:
    result = _base(name, "categorical", reference, current)
    if reference.count == 0 or current.count == 0:
        return result
    ref = dict(zip(reference.values, reference.counts.tolist(), strict=True))
    cur = dict(zip(current.values, current.counts.tolist(), strict=True))
    if reference.other or current.other:
        # a capped profile: compare the values both sides list, and pool the rest as one category
        shared = [v for v in reference.values if v in cur]
        r = np.array([ref[v] for v in shared] + [reference.count - sum(ref[v] for v in shared)], dtype=float)
        c = np.array([cur[v] for v in shared] + [current.count - sum(cur[v] for v in shared)], dtype=float)
        labels = [*shared, "(other)"]
        result.note = _join(result.note, "values past a profile's top are pooled as '(other)'; new and missing "
                                         "categories are not known exactly")
    else:
        labels = list(reference.values) + [v for v in current.values if v not in ref]
        r = np.array([ref.get(v, 0) for v in labels], dtype=float)
        c = np.array([cur.get(v, 0) for v in labels], dtype=float)
        result.new_categories = [v for v in current.values if v not in ref][:LISTED_CATEGORIES]
        result.missing_categories = [v for v in reference.values if v not in cur][:LISTED_CATEGORIES]
        new, missing = len(set(cur) - set(ref)), len(set(ref) - set(cur))
        if new or missing:
            result.note = _join(result.note, f"{new} new and {missing} missing categories")
    result.chi2, result.chi2_pvalue = stats.chi_square(r, c)
    result.p_value = result.chi2_pvalue
    result.js = stats.jensen_shannon(r, c)
    result.psi = stats.psi(r / r.sum(), c / c.sum())
    r_share, c_share = r / r.sum(), c / c.sum()
    top = np.argsort(-np.maximum(r_share, c_share), kind="stable")[:PLOT_CATEGORIES]
    result.plot = {"values": [labels[i] for i in top], "reference": r_share[top].tolist(),
                   "current": c_share[top].tolist()}
    return result


def _base(name: str, kind: str, reference: NumericSide | CategoricalSide,
          current: NumericSide | CategoricalSide) -> ColumnDrift:
    result = ColumnDrift(name, kind, reference_count=reference.count, current_count=current.count,
                         reference_null_fraction=_fraction(reference.nulls, reference.count + reference.nulls),
                         current_null_fraction=_fraction(current.nulls, current.count + current.nulls))
    if reference.count == 0 and current.count == 0:
        result.note = "all values are null on both sides"
    elif reference.count == 0:
        result.note = "all values are null in the reference"
    elif current.count == 0:
        result.note = "all values are null in the current data"
    return result


def _numeric_plot(reference: NumericSide, current: NumericSide) -> dict[str, Any]:
    """Both sides' histograms over the same equal-width bins spanning the 1st to 99th percentile of
    either side; values outside are counted in the end bins."""
    low = min(sketch.quantile(reference.sketch, 0.01), sketch.quantile(current.sketch, 0.01))
    high = max(sketch.quantile(reference.sketch, 0.99), sketch.quantile(current.sketch, 0.99))
    edges = np.linspace(low, high if high > low else low + 1.0, PLOT_BINS + 1)
    return {"edges": edges.tolist(), "reference": _histogram(reference, edges), "current": _histogram(current, edges)}


def _histogram(side: NumericSide, edges: np.ndarray) -> list[int]:
    if side.values is None:
        return sketch.histogram(side.sketch, side.count, edges).tolist()
    at = np.searchsorted(side.values, edges[1:-1], side="left")
    return np.diff(np.concatenate([[0], at, [len(side.values)]])).astype(int).tolist()


def _fraction(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _join(note: str, more: str) -> str:
    return f"{note}; {more}" if note else more


def _plain(value: Any) -> Any:
    """JSON-safe: a non-finite float is None (an infinite distance still shows as drifted)."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
