from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mloop.core.errors import ValidationError
from mloop.quality.drift import DriftReport, DriftThresholds, detect_drift
from mloop.quality.profile import profile


def _normal(n: int, k: int, *, shifted: int = 0, shift: float = 0.3, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, k))
    values[:, :shifted] += shift
    return pd.DataFrame(values, columns=[f"x{i:02d}" for i in range(k)])


def _psi(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI written out: right-closed bins cut at the reference deciles, shares floored at 1e-4."""
    edges = np.unique(np.quantile(reference, np.linspace(0.1, 0.9, 9)))
    bins = np.concatenate([[-np.inf], edges, [np.inf]])
    r = pd.Series(pd.cut(reference, bins, right=True)).value_counts(sort=False).to_numpy() / len(reference)
    c = pd.Series(pd.cut(current, bins, right=True)).value_counts(sort=False).to_numpy() / len(current)
    r, c = np.maximum(r, 1e-4), np.maximum(c, 1e-4)
    return float(np.sum((c - r) * np.log(c / r)))


def _scipy_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(11)
    return [
        (rng.normal(size=5_000), rng.normal(0.2, 1.3, size=4_000)),
        (rng.integers(0, 6, 3_000).astype(float), rng.integers(0, 7, 2_500).astype(float)),  # many ties
        (rng.exponential(size=800), rng.exponential(size=900) + 0.01),
        (rng.normal(size=10_000), rng.normal(size=10_000)),
    ]


@pytest.mark.parametrize("case", range(4))
def test_numeric_statistics_agree_with_scipy(case: int) -> None:
    a, b = _scipy_cases()[case]
    a_with_nulls = np.append(a, [np.nan, np.nan])  # nulls are left out on both sides
    report = detect_drift(pd.DataFrame({"v": a_with_nulls}), pd.DataFrame({"v": b}))
    column = report.column("v")
    expected = stats.ks_2samp(a, b, method="asymp")
    assert column.ks == pytest.approx(expected.statistic, rel=1e-12)
    assert column.ks_pvalue == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)
    assert column.wasserstein == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-9)
    assert column.wasserstein_norm == pytest.approx(column.wasserstein / a.std(ddof=1), rel=1e-12)
    assert column.psi == pytest.approx(_psi(a, b), rel=1e-9)
    assert column.reference_null_fraction == pytest.approx(2 / len(a_with_nulls)) and report.exact


def test_categorical_statistics_agree_with_scipy() -> None:
    rng = np.random.default_rng(2)
    reference = rng.choice(["a", "b", "c", "d"], 4_000, p=[0.4, 0.3, 0.2, 0.1])
    current = rng.choice(["a", "b", "c", "e"], 3_000, p=[0.3, 0.3, 0.3, 0.1])  # e new, d missing
    column = detect_drift(pd.DataFrame({"s": reference}), pd.DataFrame({"s": current})).column("s")
    labels = ["a", "b", "c", "d", "e"]
    table = np.array([[np.sum(reference == v) for v in labels], [np.sum(current == v) for v in labels]])
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    assert column.chi2 == pytest.approx(chi2, rel=1e-9) and column.chi2_pvalue == pytest.approx(p, rel=1e-6, abs=1e-300)
    assert column.js == pytest.approx(jensenshannon(table[0], table[1], base=2), rel=1e-9)
    r, c = np.maximum(table[0] / table[0].sum(), 1e-4), np.maximum(table[1] / table[1].sum(), 1e-4)
    assert column.psi == pytest.approx(np.sum((c - r) * np.log(c / r)), rel=1e-9)
    assert (column.new_categories, column.missing_categories) == (["e"], ["d"])
    assert "1 new and 1 missing categories" in column.note and column.drifted


def test_exactly_the_shifted_columns_drift_where_psi_misses_them() -> None:
    reference = _normal(100_000, 20, seed=1)
    current = _normal(100_000, 20, shifted=5, seed=2)
    report = detect_drift(reference, current)
    assert report.drifted_columns == ["x00", "x01", "x02", "x03", "x04"]
    assert (report.share, report.drifted, report.passed) == (0.25, False, True)
    shifted = [report.column(f"x{i:02d}") for i in range(5)]
    assert all(0.27 < c.wasserstein_norm < 0.33 for c in shifted)
    # the known trap: a 0.3-std shift has PSI ~0.085, under the usual 0.1 cut
    assert all(0.07 < c.psi < 0.1 for c in shifted)
    assert detect_drift(reference, current, method={"numeric": "psi"}).drifted_columns == []
    assert detect_drift(reference, current, method={"numeric": "ks"}).drifted_columns == [c.name for c in shifted]


def test_large_samples_flag_only_relevant_shifts() -> None:
    reference = _normal(200_000, 10, seed=3)
    current = _normal(200_000, 10, shifted=4, shift=0.02, seed=4)  # significant at this n, irrelevant in size
    report = detect_drift(reference, current)
    raw_ks_flags = [c.name for c in report.columns if c.ks_pvalue < 0.05]
    assert {"x00", "x01", "x02", "x03"} <= set(raw_ks_flags)
    assert report.drifted_columns == []
    assert max(c.wasserstein_norm for c in report.columns) < 0.05


def test_small_samples_do_not_flag_noise() -> None:
    reference, current = _normal(60, 20, seed=5), _normal(60, 20, seed=6)
    noisy = detect_drift(reference, current, thresholds={"require_significance": False})
    assert noisy.drifted_columns  # distance alone: sampling noise on 60 rows passes 0.1
    assert detect_drift(reference, current).drifted_columns == []


def test_a_profile_on_either_side_comes_close_to_the_exact_statistics() -> None:
    reference = _normal(40_000, 6, seed=7)
    current = _normal(30_000, 6, shifted=3, seed=8)
    current["s"] = np.random.default_rng(9).choice(["a", "b", "c"], 30_000, p=[0.5, 0.3, 0.2])
    reference["s"] = np.random.default_rng(10).choice(["a", "b", "c"], 40_000, p=[0.6, 0.3, 0.1])
    exact = detect_drift(reference, current)
    for left, right in ((profile(reference), current), (reference, profile(current)),
                        (profile(reference), profile(current))):
        approx = detect_drift(left, right)
        assert not approx.exact and any("quantile sketches" in note for note in approx.notes)
        assert approx.drifted_columns == exact.drifted_columns == ["x00", "x01", "x02", "s"]
        for e, a in zip(exact.columns, approx.columns, strict=True):
            if e.kind == "numeric":
                assert a.ks == pytest.approx(e.ks, abs=0.006)
                assert a.wasserstein == pytest.approx(e.wasserstein, abs=0.01)
                assert a.psi == pytest.approx(e.psi, abs=0.005)
            else:
                assert (a.chi2, a.js) == (pytest.approx(e.chi2), pytest.approx(e.js))


def test_every_input_kind_gives_the_same_drift(tmp_path) -> None:
    reference = _normal(3_000, 3, seed=12)
    current = _normal(3_000, 3, shifted=1, shift=0.5, seed=13)
    current["s"] = np.where(current["x02"] > 0, "up", "down")
    reference["s"] = np.where(reference["x02"] > 0.5, "up", "down")
    folder = tmp_path / "current"
    folder.mkdir()
    table = pa.Table.from_pandas(current, preserve_index=False)
    pq.write_table(table.slice(0, 1_000), folder / "part-0.parquet")
    pq.write_table(table.slice(1_000), folder / "part-1.parquet")
    expected = detect_drift(reference, current).to_dict()["columns"]
    for source in (pl.from_pandas(current), table, str(folder)):
        found = detect_drift(pl.from_pandas(reference), source).to_dict()["columns"]
        for a, b in zip(expected, found, strict=True):
            assert a["drifted"] == b["drifted"] and a["statistic"] == pytest.approx(b["statistic"], rel=1e-9)
    assert [c["name"] for c in expected if c["drifted"]] == ["x00", "s"]


def test_nulls_constants_and_skipped_columns() -> None:
    n = 2_000
    rng = np.random.default_rng(14)
    reference = pd.DataFrame({"gone": np.full(n, np.nan), "empty": np.full(n, np.nan),
                              "holes": rng.normal(size=n), "flat": np.ones(n), "same": np.ones(n),
                              "when": pd.date_range("2024-01-01", periods=n, freq="h")})
    current = pd.DataFrame({"gone": rng.normal(size=n), "empty": np.full(n, np.nan),
                            "holes": np.where(rng.random(n) < 0.4, np.nan, rng.normal(size=n)),
                            "flat": np.full(n, 2.0), "same": np.ones(n),
                            "when": pd.date_range("2025-01-01", periods=n, freq="h")})
    report = detect_drift(reference, current)
    gone, empty, holes = report.column("gone"), report.column("empty"), report.column("holes")
    assert gone.drifted and gone.statistic is None and "all values are null in the reference" in gone.note
    assert not empty.drifted and empty.note.startswith("all values are null on both sides")
    assert holes.drifted and "null share 0 -> 0.3" in holes.note and holes.wasserstein_norm < 0.1
    flat, same = report.column("flat"), report.column("same")
    assert flat.drifted and flat.wasserstein_norm == float("inf") and "reference is constant" in flat.note
    assert flat.to_dict()["wasserstein_norm"] is None
    assert not same.drifted and same.wasserstein_norm == 0.0
    when = report.column("when")
    assert (when.method, when.drifted, when.note) == (None, False, "datetime columns are not compared for drift")
    assert {c.name for c in report.compared} == {"gone", "holes", "flat", "same"}


def test_column_sets_types_and_empty_data_are_explained() -> None:
    reference = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"], "old": [1, 2, 3]})
    current = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [1, 2, 3], "new": ["p", "q", "r"]})
    report = detect_drift(reference, current)
    assert (report.only_in_reference, report.only_in_current) == (["old"], ["new"])
    assert any("only in the reference: old; only in the current data: new" in n for n in report.notes)
    b = report.column("b")
    assert b.drifted and "categorical in the reference but numeric in the current data" in b.note
    with pytest.raises(ValidationError, match="column 'old' is not in the current the pandas DataFrame"):
        detect_drift(reference, current, columns=["a", "old"])
    with pytest.raises(ValidationError, match="no column in common"):
        detect_drift(reference[["old"]], current[["new"]])
    with pytest.raises(ValidationError, match="the current data the pandas DataFrame has no rows"):
        detect_drift(reference, current.iloc[:0])
    with pytest.raises(ValidationError, match="unknown numeric drift method 'kl'; choose one of wasserstein, psi, ks"):
        detect_drift(reference, current, method={"numeric": "kl"})
    with pytest.raises(ValidationError, match="unknown drift threshold wasserstien"):
        detect_drift(reference, current, thresholds={"wasserstien": 0.2})
    with pytest.raises(ValidationError, match="alpha=0 is outside"):
        DriftThresholds(alpha=0)


def test_capped_profile_categories_pool_the_rest() -> None:
    rng = np.random.default_rng(15)
    names = [f"c{i:02d}" for i in range(40)]
    weights = np.linspace(2, 1, 40) / np.linspace(2, 1, 40).sum()
    reference = pd.DataFrame({"code": rng.choice(names, 8_000, p=weights)})
    current = pd.DataFrame({"code": rng.choice(names[:5], 8_000)})
    column = detect_drift(profile(reference, top=10), current).column("code")
    assert "pooled as '(other)'" in column.note and column.new_categories == []
    assert column.drifted and "(other)" in column.plot["values"]


def test_the_report_reads_as_json_and_prints_its_criteria() -> None:
    reference = _normal(5_000, 4, seed=16)
    current = _normal(5_000, 4, shifted=2, shift=0.5, seed=17)
    report = detect_drift(reference, current, thresholds=DriftThresholds(share=0.5))
    data = json.loads(json.dumps(report.to_dict()))
    assert (data["drifted"], data["drifted_columns"], data["drifted_count"], data["share"]) == (
        True, ["x00", "x01"], 2, 0.5)
    column = data["columns"][0]
    assert [column[k] for k in ("name", "method", "threshold", "drifted")] == ["x00", "wasserstein", 0.1, True]
    assert len(column["plot"]["edges"]) == 21 and sum(column["plot"]["current"]) == 5_000
    assert data["criteria"].startswith("numeric: wasserstein/std > 0.1; categorical: Jensen-Shannon > 0.1")
    assert "alpha 0.05 / 4 columns, Bonferroni" in data["criteria"]
    loaded = DriftReport.from_dict(data)
    assert loaded.to_dict() == data and not loaded.passed
    assert report.summary().startswith("drifted: 2 of 4 columns drifted (x00, x01)")
    tested = detect_drift(reference, current, method={"numeric": "ks"})
    assert tested.column("x00").threshold == pytest.approx(0.05 / 4)
    assert tested.column("x00").statistic == tested.column("x00").ks_pvalue


def test_a_million_rows_from_one_distribution_flag_nothing() -> None:
    """The issue's no-false-positive case at 1,000,000 rows: numeric and categorical columns."""
    rng_a, rng_b = np.random.default_rng(11), np.random.default_rng(12)
    n = 1_000_000

    def sample(rng: np.random.Generator) -> pa.Table:
        return pa.table({"a": rng.normal(size=n), "b": rng.gamma(2.0, 3.0, n), "c": rng.integers(0, 50, n),
                         "d": rng.choice(["x", "y", "z"], n, p=[0.5, 0.3, 0.2])})

    report = detect_drift(sample(rng_a), sample(rng_b))
    assert (report.reference_rows, report.current_rows) == (n, n)
    assert report.drifted_columns == [] and not report.drifted
    assert max(c.statistic for c in report.columns) < 0.01  # a tenth of the threshold
