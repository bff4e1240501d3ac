"""Each kind of check passes on good data and fails on bad data, with the observed value and a
sample of the offending rows; severity decides whether a failure fails validation."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import suites_example as ex

from mloop.core.errors import ValidationError
from mloop.quality.checks import (
    AllowedValues,
    Custom,
    Distribution,
    Freshness,
    NotNull,
    Range,
    Referential,
    Regex,
    RowCount,
    TypeCheck,
    Unique,
)
from mloop.quality.validation import validate


def one(data, check, **options):
    report = validate(data, [check], now=ex.NOW, **options)
    assert len(report.results) == 1
    return report.results[0]


@pytest.fixture
def frame() -> pd.DataFrame:
    return ex.transactions()


def test_type_passes_on_its_kind_and_fails_on_another(frame):
    assert one(frame, TypeCheck(column="amount", kind="numeric")).passed
    result = one(frame, TypeCheck(column="country", kind="numeric"))
    assert not result.passed
    assert result.observed == {"type": "VARCHAR", "kind": "categorical"}


def test_not_null_counts_nulls_and_samples_them(frame):
    assert one(frame, NotNull(column="amount")).passed
    result = one(frame, NotNull(column="score"))
    nulls = int(frame["score"].isna().sum())
    assert not result.passed and result.failing == nulls > 0
    assert result.failing_fraction == pytest.approx(nulls / len(frame))
    assert len(result.sample) == 5 and all(row["score"] is None for row in result.sample)
    assert set(result.sample[0]) == set(frame.columns)  # a narrow table shows whole rows
    assert one(frame, NotNull(column="score", max_fraction=0.2)).passed


def test_range_reports_offending_rows_min_and_max(frame):
    assert one(frame, Range(column="amount", min=0, max=10_000)).passed
    bad = frame.copy()
    bad.loc[[3, 7], "amount"] = [-5.0, 20_000.0]
    result = one(bad, Range(column="amount", min=0, max=10_000))
    assert not result.passed and result.failing == 2
    assert result.observed["min"] == -5.0 and result.observed["max"] == 20_000.0
    assert sorted(row["amount"] for row in result.sample) == [-5.0, 20_000.0]
    assert "2 of 400 rows" in result.message
    assert result.expected == {"min": 0, "max": 10_000, "max_fraction": 0.0}


def test_range_ignores_nulls_but_not_nan():
    nulls = pa.table({"x": pa.array([1.0, None, 2.0])})
    assert one(nulls, Range(column="x", min=0, max=5)).passed
    nan = pa.table({"x": pa.array([1.0, float("nan"), 2.0])})  # pyarrow keeps NaN apart from null
    result = one(nan, Range(column="x", min=0))
    assert not result.passed and result.failing == 1 and result.sample == [{"x": "NaN"}]


def test_range_on_times_takes_iso_bounds(frame):
    check = Range(column="event_time", min="2024-04-28", max="2024-05-01T00:00:00Z")
    assert one(frame, check).passed
    result = one(frame, Range(column="event_time", min="2024-04-30"))
    assert not result.passed and all(row["event_time"] < "2024-04-30" for row in result.sample)


def test_allowed_values_names_what_is_not_allowed(frame):
    assert one(frame, AllowedValues(column="country", values=["DE", "FR", "NO"])).passed
    bad = frame.copy()
    bad.loc[10:14, "country"] = "XX"
    result = one(bad, AllowedValues(column="country", values=["DE", "FR", "NO"]))
    assert not result.passed and result.failing == 5
    assert {row["country"] for row in result.sample} == {"XX"}


def test_allowed_values_refuses_a_yaml_boolean_for_a_string_column(frame):
    with pytest.raises(ValidationError, match=r"False is a boolean.*quote the value"):
        validate(frame, [AllowedValues(column="country", values=["DE", False])])


def test_distribution_measures_total_variation_distance():
    data = pd.DataFrame({"c": ["a"] * 80 + ["b"] * 20})
    result = one(data, Distribution(column="c", expected={"a": 0.5, "b": 0.5}, max_distance=0.2))
    assert not result.passed and result.observed["distance"] == pytest.approx(0.3)
    assert result.sample == []  # shifted shares, no value outside the expected ones
    assert one(data, Distribution(column="c", expected={"a": 0.75, "b": 0.25})).passed


def test_distribution_counts_unseen_values_in_full():
    data = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 40 + ["z"] * 10})
    result = one(data, Distribution(column="c", expected={"a": 5, "b": 5}, max_distance=0.05))  # normalised
    assert result.observed["unseen"] == pytest.approx(0.1)
    assert result.observed["distance"] == pytest.approx(0.5 * (0.0 + 0.1 + 0.1))
    assert not result.passed and {row["c"] for row in result.sample} == {"z"}


def test_distribution_of_a_boolean_column_uses_true_and_false():
    data = pd.DataFrame({"flag": [True] * 30 + [False] * 70})
    assert one(data, Distribution(column="flag", expected={"true": 0.3, "false": 0.7}, max_distance=0.01)).passed


def test_unique_single_column_samples_the_repeated_rows(frame):
    assert one(frame, Unique(column="tx_id")).passed
    bad = frame.copy()
    bad.loc[5, "tx_id"] = bad.loc[6, "tx_id"]
    result = one(bad, Unique(column="tx_id"))
    assert not result.passed and result.failing == 1
    assert [row["tx_id"] for row in result.sample] == [bad.loc[6, "tx_id"]] * 2


def test_unique_over_columns_leaves_rows_with_a_null_out():
    data = pd.DataFrame({"a": [1, 1, 1, None, None], "b": ["x", "y", "x", "z", "z"]})
    result = one(data, Unique(columns=["a", "b"]))
    assert not result.passed and result.failing == 1
    assert result.sample == [{"a": 1.0, "b": "x"}, {"a": 1.0, "b": "x"}]
    assert one(data.iloc[1:], Unique(columns=["a", "b"])).passed


def test_regex_matches_whole_strings(frame):
    assert one(frame, Regex(column="email", pattern=r"[a-z0-9]+@example\.com")).passed
    result = one(frame, Regex(column="email", pattern=r"user1.*"))
    assert not result.passed and all(not row["email"].startswith("user1") for row in result.sample)
    with pytest.raises(ValidationError, match="not a valid RE2 pattern"):
        Regex(column="email", pattern="(")


def test_regex_on_a_number_column_is_refused_before_any_scan(frame):
    with pytest.raises(ValidationError, match=r"regex on 'amount': column 'amount' is DOUBLE, but regex needs a string"):
        validate(frame, [Regex(column="amount", pattern=".*")])


def test_row_count(frame):
    assert one(frame, RowCount(min=100, max=1000)).passed
    result = one(frame, RowCount(min=500))
    assert not result.passed and result.observed == 400 and "expected at least 500 rows" in result.message


def test_freshness_against_a_fixed_now(frame):
    newest = frame["event_time"].max()
    assert newest == pd.Timestamp("2024-05-01T00:00:00")
    assert one(frame, Freshness(column="event_time", max_age="24h")).passed  # now is 12h later
    result = one(frame, Freshness(column="event_time", max_age="6h"))
    assert not result.passed and result.observed["age"] == "12h"
    assert [row["event_time"] for row in result.sample] == ["2024-05-01T00:00:00"]
    later = validate(frame, [Freshness(column="event_time", max_age="1d")], now="2024-05-03T00:00:00Z")
    assert not later.passed
    fixed = Freshness(column="event_time", max_age=timedelta(hours=1), relative_to="2024-05-01T00:30:00Z")
    assert one(frame, fixed).passed


def test_freshness_reads_zoned_times_and_dates():
    zoned = pa.table({"t": pa.array([datetime(2024, 5, 1, 14, 0, tzinfo=timezone.utc)], pa.timestamp("us", "UTC"))})
    assert one(zoned, Freshness(column="t", max_age="1h")).observed["age"] == "in the future"
    days = pa.table({"d": pa.array([date(2024, 4, 30)])})
    result = one(days, Freshness(column="d", max_age="1d"))
    assert not result.passed and result.observed["age"] == "1d12h"


def test_referential_against_a_second_parquet_file(frame, tmp_path):
    pq.write_table(pa.Table.from_pandas(ex.customers()), tmp_path / "customers.parquet")
    check = Referential(column="customer_id", reference=tmp_path / "customers.parquet", reference_column="id")
    assert one(frame, check).passed
    bad = frame.copy()
    bad.loc[[1, 2, 3], "customer_id"] = [900, 900, 901]
    result = one(bad, check)
    assert not result.passed and result.failing == 3
    assert result.observed == {"missing": 3, "missing_values": 2}
    assert sorted(row["customer_id"] for row in result.sample) == [900, 900, 901]


def test_referential_against_an_in_memory_table_and_the_same_table():
    orders = pd.DataFrame({"id": [1, 2, 3, 4], "parent": [None, 1, 2, 7]})
    assert not one(orders, Referential(column="parent", reference_column="id")).passed
    parents = pl_or_pandas([1, 2, 7])
    assert one(orders, Referential(column="parent", reference=parents, reference_column="id")).passed


def pl_or_pandas(ids):
    import polars as pl

    return pl.DataFrame({"id": ids})


def test_referential_refuses_columns_of_different_kinds(frame):
    with pytest.raises(ValidationError, match="'email' is VARCHAR but the reference column 'customer_id' is BIGINT"):
        validate(frame, [Referential(column="email", reference_column="customer_id")])


def test_custom_check_by_callable_returning_bool_or_a_pair(frame):
    assert one(frame, Custom(function=ex.amounts_positive, columns=["amount"])).passed
    result = one(frame, Custom(function=lambda data: (False, 7), name="always"))
    assert not result.passed and result.observed == 7 and result.name == "always"


def test_custom_check_by_reference_returning_a_dict(frame):
    bad = frame.copy()
    bad.loc[[8, 9], "amount"] = [5000.0, 6000.0]
    result = one(bad, Custom(function="suites_example:big_amounts"))
    assert not result.passed and result.failing == 2 and result.observed == {"big": 2}
    assert result.sample == [{"tx_id": 9, "amount": 5000.0}, {"tx_id": 10, "amount": 6000.0}]
    assert one(frame, Custom(function="suites_example:total_amount")).passed


def test_custom_check_that_raises_fails_with_its_message(frame):
    result = one(frame, Custom(function=lambda data: 1 / 0))
    assert not result.passed and result.message == "the check raised ZeroDivisionError: division by zero"
    typo = one(frame, Custom(function=lambda data: data.query(f"SELECT amout FROM {data.table}")))
    assert not typo.passed and typo.message.startswith("the check raised ValidationError: cannot read")


def test_custom_reference_that_is_not_there_is_refused_before_any_scan(frame):
    with pytest.raises(ValidationError, match=r"did you mean 'suites_example:big_amounts'"):
        validate(frame, [Custom(function="suites_example:big_amount")])
    with pytest.raises(ValidationError, match="is not a function"):
        validate(frame, [Custom(function="suites_example:not_callable")])


def test_warn_failures_are_reported_but_do_not_fail_validation(frame):
    report = validate(frame, [NotNull(column="score", severity="warn"), RowCount(min=1)], now=ex.NOW)
    assert report.passed and not report.errors
    assert [r.name for r in report.warnings] == ["not_null(score)"]
    assert report.summary() == "1 of 2 checks failed (1 warning) on 400 rows of the pandas DataFrame"
    report = validate(frame, [NotNull(column="score"), RowCount(min=1000, severity="warn")], now=ex.NOW)
    assert not report.passed
    assert report.summary() == "2 of 2 checks failed (1 error, 1 warning) on 400 rows of the pandas DataFrame"


def test_a_check_that_misfits_a_mistyped_column_is_reported_not_run(frame):
    """With a type check on the column, a changed type is a data failure, not a suite error."""
    bad = frame.assign(amount=frame["amount"].astype(str))
    report = validate(bad, [TypeCheck(column="amount", kind="numeric"), Range(column="amount", min=0)])
    kinds = {r.check: r for r in report.results}
    assert not kinds["type"].passed and not kinds["range"].passed
    assert kinds["range"].message.startswith("not run: 'amount' is VARCHAR (see its type check)")
    with pytest.raises(ValidationError, match="range on 'amount': column 'amount' is VARCHAR, but range needs a numeric"):
        validate(bad, [Range(column="amount", min=0)])


def test_sample_rows_is_configurable(frame):
    assert len(one(frame, NotNull(column="score"), sample_rows=2).sample) == 2
    assert one(frame, NotNull(column="score"), sample_rows=0).sample == []


def test_numpy_types_and_decimals_come_back_as_json():
    import decimal

    data = pa.table({"d": pa.array([decimal.Decimal("1.50"), decimal.Decimal("-2.25")], pa.decimal128(6, 2)),
                     "b": pa.array([b"\x00\x01", b"\x02"])})
    result = one(data, Range(column="d", min=0))
    assert result.observed["min"] == -2.25 and result.sample == [{"d": -2.25, "b": "Ag=="}]
    assert np.isclose(result.failing_fraction, 0.5)
