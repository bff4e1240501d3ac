from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mloop.core.errors import ValidationError
from mloop.quality import sketch
from mloop.quality.profile import Profile, merge_profiles, profile


def _frame(n: int = 20_000, seed: int = 0, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, n)
    x[::9] = np.nan
    return pd.DataFrame({
        "x": x,
        "i": rng.integers(0, 7, n),
        "color": rng.choice(["red", "green", "blue", "teal"], n, p=[0.4, 0.3, 0.2, 0.1]),
        "flag": rng.random(n) < 0.3,
        "t": pd.date_range("2024-01-01", periods=n, freq="min") + pd.Timedelta(minutes=int(shift * 1000)),
    })


def _rank(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    ordered = np.sort(values)
    return np.searchsorted(ordered, at, side="right") / len(ordered)


def test_profile_holds_exact_counts_moments_quantiles_and_categories() -> None:
    df = _frame()
    df.loc[3, "x"] = np.inf  # non-finite counts as null
    result = profile(df, name="train")
    finite = df["x"][np.isfinite(df["x"])].to_numpy()
    x = result.column("x")
    assert (result.name, result.rows, x.count, x.nulls) == ("train", len(df), len(finite), len(df) - len(finite))
    assert x.mean == pytest.approx(finite.mean(), rel=1e-12)
    assert x.std == pytest.approx(finite.std(ddof=1), rel=1e-12)
    assert (x.min, x.max, x.distinct, x.distinct_method) == (finite.min(), finite.max(), len(finite), "exact")
    np.testing.assert_allclose(x.quantiles, np.quantile(finite, sketch.GRID), rtol=0, atol=1e-12)
    assert x.quantile(0.5) == pytest.approx(np.median(finite))
    assert result.column("i").distinct == 7
    color = result.column("color")
    expected = df["color"].value_counts()
    assert color.values == list(expected.index) and color.value_counts == expected.tolist()
    assert (color.distinct, color.other, color.nulls) == (4, 0, 0)
    assert result.column("flag").values == ["false", "true"]
    t = result.column("t")
    assert (t.kind, t.min, t.max) == ("datetime", "2024-01-01 00:00:00", str(df["t"].max()))
    assert result.exact


def test_histogram_from_the_sketch_matches_the_data() -> None:
    df = _frame()
    x = profile(df).column("x")
    edges, counts = x.histogram(bins=10)
    values = df["x"].dropna().to_numpy()
    exact, _ = np.histogram(values, bins=np.asarray(edges))
    assert sum(counts) == x.count
    assert np.abs(np.asarray(counts) - exact).max() <= 0.01 * x.count


def test_merged_profiles_of_partitions_equal_the_profile_of_the_whole() -> None:
    parts = [_frame(n, seed=s, shift=s * 0.7) for s, n in enumerate([5_000, 12_000, 3_000, 20_000])]
    parts[2]["x"] = np.nan  # one partition with a column of nulls only
    whole = pd.concat(parts, ignore_index=True)
    merged = merge_profiles([profile(p, name="day") for p in parts])
    direct = profile(whole, name="day")
    assert (merged.name, merged.rows) == ("day", direct.rows)
    for name in ("x", "i", "color", "flag", "t"):
        a, b = merged.column(name), direct.column(name)
        assert (a.count, a.nulls, a.min, a.max) == (b.count, b.nulls, b.min, b.max), name
    for name in ("x", "i"):
        a, b = merged.column(name), direct.column(name)
        assert a.mean == pytest.approx(b.mean, rel=1e-9) and a.std == pytest.approx(b.std, rel=1e-9)
        assert a.distinct_method == "lower_bound" and a.distinct <= b.distinct
    for name in ("color", "flag"):
        a, b = merged.column(name), direct.column(name)
        assert dict(zip(a.values, a.value_counts, strict=True)) == dict(zip(b.values, b.value_counts, strict=True))
        assert (a.distinct, a.distinct_method) == (b.distinct, "exact")
    x = merged.column("x")
    values = whole["x"].dropna().to_numpy()
    assert x.quantiles_method == "merged" and not merged.exact
    # every merged grid quantile sits within the sketch's stated rank error of its probability
    ranks = _rank(values, np.asarray(x.quantiles))
    assert np.abs(ranks - sketch.GRID).max() <= sketch.RANK_ERROR + 2 / len(values)
    assert x.quantile(0.99) == pytest.approx(np.quantile(values, 0.99), abs=0.05)


def test_merge_is_associative_enough_and_keeps_a_single_part() -> None:
    a, b, c = (profile(_frame(4_000, seed=s, shift=s)) for s in range(3))
    left = a.merge(b).merge(c).column("x")
    flat = merge_profiles([a, b, c]).column("x")
    assert left.count == flat.count and left.mean == pytest.approx(flat.mean, rel=1e-12)
    np.testing.assert_allclose(left.quantiles, flat.quantiles, atol=0.05)
    alone = merge_profiles([a]).column("x")
    assert alone.quantiles == a.column("x").quantiles and alone.quantiles_method == "exact"


def test_capped_categories_keep_the_top_and_count_the_rest_as_other() -> None:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"code": rng.choice([f"c{i:02d}" for i in range(30)], 6_000)})
    capped = profile(df, top=5)
    code = capped.column("code")
    counts = df["code"].value_counts()
    assert code.value_counts == counts.iloc[:5].tolist() and code.other == counts.iloc[5:].sum()
    assert (code.distinct, code.distinct_method) == (30, "exact")
    merged = merge_profiles([profile(df.iloc[:3000], top=5), profile(df.iloc[3000:], top=5)]).column("code")
    assert merged.count == 6000 and sum(merged.value_counts) + merged.other == 6000
    assert merged.distinct_method == "lower_bound" and merged.distinct <= 30


def test_a_column_missing_from_a_part_counts_as_null_and_kinds_must_agree() -> None:
    first = profile(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}))
    second = profile(pd.DataFrame({"a": [3.0]}))
    merged = merge_profiles([first, second])
    assert (merged.rows, merged.column("b").count, merged.column("b").nulls) == (3, 2, 1)
    with pytest.raises(ValidationError, match="column 'a' is categorical in one profile and numeric"):
        merge_profiles([first, profile(pd.DataFrame({"a": ["z"]}))])
    with pytest.raises(ValidationError, match="at least one profile"):
        merge_profiles([])


def test_to_dict_is_plain_json_that_loads_back_with_a_stable_key_order() -> None:
    original = profile(_frame(2_000))
    text = json.dumps(original.to_dict())
    loaded = Profile.from_dict(json.loads(text))
    assert loaded == original and json.dumps(loaded.to_dict()) == text
    assert original.artifact_summary()["quality_report"] == "profile"
    keys = list(original.to_dict()["columns"][0])
    assert keys[:5] == ["name", "type", "kind", "count", "nulls"] and "histogram" in keys
    with pytest.raises(ValidationError, match="not an mloop profile"):
        Profile.from_dict({"rows": 3})


def test_every_input_kind_gives_the_same_profile(tmp_path) -> None:
    df = _frame(3_000).drop(columns=["t"])
    folder = tmp_path / "parts"
    folder.mkdir()
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table.slice(0, 1000), folder / "a.parquet")
    pq.write_table(table.slice(1000), folder / "b.parquet")
    results = [profile(source) for source in (df, pl.from_pandas(df), table, str(folder))]
    expected = results[0].to_dict()["columns"]
    for other in results[1:]:
        for a, b in zip(expected, other.to_dict()["columns"], strict=True):
            assert a["count"] == b["count"] and a["nulls"] == b["nulls"]
            if a["kind"] == "numeric":
                assert a["mean"] == pytest.approx(b["mean"], rel=1e-12)
            assert a.get("quantiles") == b.get("quantiles") and a.get("value_counts") == b.get("value_counts")


def test_the_streaming_path_is_approximate_and_says_so() -> None:
    df = _frame(30_000)
    streamed = profile(df, exact=False)
    x = streamed.column("x")
    values = df["x"].dropna().to_numpy()
    assert (x.quantiles_method, x.distinct_method, streamed.exact) == ("approximate", "approximate", False)
    assert x.mean == pytest.approx(values.mean(), rel=1e-9) and x.count == len(values)
    assert np.abs(_rank(values, np.asarray(x.quantiles)) - sketch.GRID).max() < 0.01
    assert abs(x.distinct - len(values)) < 0.05 * len(values)


def test_wide_data_and_column_selection() -> None:
    rng = np.random.default_rng(5)
    wide = pd.DataFrame(rng.normal(size=(2_000, 300)), columns=[f"f{i}" for i in range(300)])
    result = profile(wide)
    assert len(result.columns) == 300
    assert result.column("f299").mean == pytest.approx(wide["f299"].mean(), rel=1e-9)
    assert [c.name for c in profile(wide, columns=["f7", "f3"]).columns] == ["f7", "f3"]
    with pytest.raises(ValidationError, match="has no column 'nope'"):
        profile(wide, columns=["nope"])
    with pytest.raises(ValidationError, match="profile 'the pandas DataFrame' has no column 'nope'"):
        result.column("nope")


def test_empty_and_all_null_columns_profile_without_statistics() -> None:
    empty = profile(pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=str)}))
    assert empty.rows == 0 and empty.column("a").quantiles is None and empty.column("a").mean is None
    nulls = profile(pd.DataFrame({"a": [np.nan, np.nan], "b": [None, None]}).astype({"b": "string"}))
    assert (nulls.column("a").count, nulls.column("a").nulls, nulls.column("a").histogram()) == (0, 2, ([], []))
    assert nulls.column("b").values == [] and nulls.column("b").distinct == 0
