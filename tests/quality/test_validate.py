"""validate(): the user's path from a suite file to a report, the same report from every kind of
input, one clear line for bad input, and a bounded number of scans however wide the data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import suites_example as ex

from mloop.core.errors import ValidationError
from mloop.quality.checks import AllowedValues, NotNull, Range, RowCount, Unique
from mloop.quality.infer import infer_suite
from mloop.quality.report import DataValidationError, ValidationReport
from mloop.quality.suite import Suite
from mloop.quality.validation import validate

SUITE = """\
name: tx
columns:
  tx_id: {not_null: true, unique: true}
  amount:
    range: {min: 0, max: 300}
  country:
    allowed_values: [DE, FR]
    distribution: {expected: {DE: 0.5, FR: 0.3, 'NO': 0.2}, severity: warn}
  event_time:
    freshness: 1d
checks:
  - row_count: {min: 100}
"""


@pytest.fixture
def suite_file(tmp_path):
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    return path


def test_validate_from_a_suite_file_reports_every_check(suite_file):
    report = validate(ex.transactions(), suite_file, now=ex.NOW)
    assert [r.name for r in report.results] == [
        "not_null(tx_id)", "unique(tx_id)", "range(amount)", "allowed_values(country)", "distribution(country)",
        "freshness(event_time)", "row_count()"]
    assert not report.passed
    assert [r.name for r in report.failed] == ["range(amount)", "allowed_values(country)"]
    amount = report.result("range(amount)")
    assert amount.expected == {"min": 0, "max": 300, "max_fraction": 0.0}
    assert amount.expectation == "between 0 and 300"
    assert amount.observed["max"] > 300 and all(row["amount"] > 300 for row in amount.sample)
    assert report.result("allowed_values(country)").sample[0]["country"] == "NO"
    assert report.summary() == "2 of 7 checks failed (2 errors) on 400 rows of the pandas DataFrame"


def test_raise_for_errors_carries_the_report(suite_file):
    report = validate(ex.transactions(), suite_file, now=ex.NOW)
    with pytest.raises(DataValidationError, match=r"^data validation failed: 2 of 7 checks failed .*; "
                                                  r"range\(amount\): .* \(and 1 more\)$") as caught:
        report.raise_for_errors()
    assert caught.value.report is report and isinstance(caught.value, ValidationError)
    passing = validate(ex.transactions(), [RowCount(min=1)])
    assert passing.raise_for_errors() is passing


def test_the_report_is_plain_json_and_reads_back(suite_file):
    report = validate(ex.transactions(), suite_file, now=ex.NOW)
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["passed"] is False and data["counts"] == {"checks": 7, "failed": 2, "errors": 2, "warnings": 0}
    assert data["now"] == "2024-05-01T12:00:00+00:00"
    again = ValidationReport.from_dict(data)
    assert again.to_dict() == report.to_dict()
    assert again.result("range(amount)").sample == report.result("range(amount)").sample
    with pytest.raises(ValidationError, match="not a validation report of format 1"):
        ValidationReport.from_dict({"rows": 1})


def _comparable(report: ValidationReport) -> dict:
    data = report.to_dict()
    data.pop("created_at")
    data.pop("data")
    data.pop("summary")
    return data


def test_pandas_polars_pyarrow_and_a_parquet_folder_give_the_same_report(suite_file, tmp_path):
    frame = ex.transactions()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    folder = tmp_path / "events"
    folder.mkdir()
    pq.write_table(table.slice(0, 150), folder / "part-0.parquet")
    pq.write_table(table.slice(150), folder / "part-1.parquet")
    reports = [validate(data, suite_file, now=ex.NOW)
               for data in (frame, pl.from_pandas(frame), table, folder, str(folder / "*.parquet"))]
    assert reports[3].data == str(folder)
    first = _comparable(reports[0])
    for report in reports[1:]:
        assert _comparable(report) == first


def test_a_suite_naming_columns_that_are_not_there_is_one_error_before_any_scan():
    dataset, counter = ex.counted(ex.transactions())
    checks = [NotNull(column="amout"), Range(column="zip", min=0), Unique(columns=["tx_id", "countyr"])]
    with pytest.raises(ValidationError) as caught:
        validate(dataset, Suite("tx", checks))
    assert str(caught.value) == (
        "suite 'tx' names columns that the pandas DataFrame does not have: 'amout' (did you mean 'amount'?), "
        "'zip', 'countyr' (did you mean 'country'?); its columns: tx_id, customer_id, amount, country, email, "
        "event_time, score; fix the suite or the data")
    assert counter.scans() == []


def test_a_check_that_does_not_fit_its_column_is_refused_before_any_scan():
    dataset, counter = ex.counted(ex.transactions())
    with pytest.raises(ValidationError, match="allowed_values on 'event_time': column 'event_time' is TIMESTAMP"):
        validate(dataset, [RowCount(min=1), AllowedValues(column="event_time", values=["x"])])
    assert counter.scans() == []


def test_a_column_of_mixed_types_is_one_clear_line():
    frame = pd.DataFrame({"a": [1, "two", 3.0]})
    with pytest.raises(ValidationError, match=r"column 'a' of the pandas DataFrame mixes types \(float, int, str\)"):
        validate(frame, [NotNull(column="a")])


def test_an_empty_file_and_a_corrupt_parquet_file_are_one_clear_line(tmp_path):
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    with pytest.raises(ValidationError, match=r"empty.parquet is empty \(0 bytes\); it is not a Parquet file"):
        validate(empty, [RowCount(min=1)])
    good = tmp_path / "good.parquet"
    pq.write_table(pa.Table.from_pandas(ex.transactions()), good)
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(good.read_bytes()[:-100] + b"\x00" * 100)
    with pytest.raises(ValidationError, match=r"corrupt.parquet is not readable Parquet: ") as caught:
        validate(corrupt, [RowCount(min=1)])
    assert "\n" not in str(caught.value)


def test_a_parquet_file_corrupt_inside_its_data_fails_the_scan_in_one_line(tmp_path):
    path = tmp_path / "scrambled.parquet"
    pq.write_table(pa.Table.from_pandas(ex.transactions(5000)), path)
    data = bytearray(path.read_bytes())
    data[100:len(data) // 2] = bytes((b * 7 + 3) % 256 for b in data[100:len(data) // 2])  # the footer survives
    path.write_bytes(bytes(data))
    with pytest.raises(ValidationError, match=r"^cannot read .*scrambled.parquet: [^\n]+$"):
        validate(path, [NotNull(column="amount"), Range(column="amount", min=0)])


def test_a_table_with_no_rows_validates():
    table = pa.table({"x": pa.array([], pa.float64())})
    report = validate(table, [NotNull(column="x"), Range(column="x", min=0), RowCount(min=1)])
    assert [r.passed for r in report.results] == [True, True, False]
    assert report.rows == 0


def test_a_wide_table_validates_in_a_bounded_number_of_scans():
    rng = np.random.default_rng(0)
    wide = pa.table({f"c{i}": rng.random(1000) for i in range(500)}
                    | {f"k{i}": rng.choice(["a", "b", "c"], 1000) for i in range(20)})
    suite = infer_suite(wide)
    assert len(suite) > 1500
    dataset, counter = ex.counted(wide)
    report = validate(dataset, suite)
    assert report.passed and len(counter.scans()) == 1
    broken = wide.set_column(3, "c3", pa.array(np.full(1000, 7.0))).set_column(7, "c7", pa.nulls(1000, pa.float64()))
    dataset, counter = ex.counted(broken)
    report = validate(dataset, suite)
    assert sorted(r.name for r in report.failed) == ["not_null(c7)", "range(c3)"]
    assert len(counter.scans()) == 2  # the checks, then one sample of the offending rows of both
    assert report.result("range(c3)").sample[0] == {"c3": 7.0}  # a wide table shows the check's columns


def test_scans_are_batched_past_the_expression_limit(monkeypatch):
    import mloop.quality.validation as module

    monkeypatch.setattr(module, "BATCH", 50)
    dataset, counter = ex.counted(pa.table({f"c{i}": [1.0, 2.0] for i in range(40)}))
    report = validate(dataset, [Range(column=f"c{i}", min=0) for i in range(40)])  # 3 expressions each
    assert report.passed and len(report.results) == 40
    assert len(counter.scans()) == 3  # 1 + 120 expressions in batches of 50


def test_now_and_sample_rows_are_checked():
    with pytest.raises(ValidationError, match="sample_rows must be 0 or more, not -1"):
        validate(ex.transactions(), [RowCount(min=1)], sample_rows=-1)
    with pytest.raises(ValidationError, match="now must be an ISO date or time"):
        validate(ex.transactions(), [RowCount(min=1)], now="yesterday")


def test_a_suite_of_another_type_is_refused():
    with pytest.raises(ValidationError, match="cannot use a int as a suite; give a Suite"):
        validate(ex.transactions(), 3)  # type: ignore[arg-type]


def test_a_list_of_check_dicts_is_a_suite_and_its_errors_say_which_check():
    report = validate(ex.transactions(), [{"check": "range", "column": "amount", "min": 0},
                                          {"check": "not_null", "column": "score", "severity": "warn"}])
    assert report.suite == "checks" and report.passed and len(report.warnings) == 1
    with pytest.raises(ValidationError, match=r"^check 2 \(range on 'amount'\): max must be a number"):
        validate(ex.transactions(), [{"check": "row_count", "min": 1},
                                     {"check": "range", "column": "amount", "max": "lots"}])
