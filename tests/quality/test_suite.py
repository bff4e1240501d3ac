"""Suites: the YAML file a person edits (round trip, shorthands, one-line errors) and inferring one
from reference data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
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
from mloop.quality.infer import infer_suite
from mloop.quality.suite import Suite
from mloop.quality.validation import validate

HANDWRITTEN = """\
name: transactions
columns:
  tx_id:
    type: numeric
    not_null: true
    unique: true
  amount:
    not_null: {max_fraction: 0.01}
    range: {min: 0, max: 5000}
  country:
    allowed_values: [DE, FR, 'NO']
    distribution: {expected: {DE: 0.5, FR: 0.3, 'NO': 0.2}, max_distance: 0.1, severity: warn}
  email:
    regex: '[^@]+@[^@]+'
    not_null: false
  event_time:
    freshness: 24h
  customer_id:
    referential: {reference: customers.parquet, reference_column: id}
checks:
  - row_count: {min: 100, max: 100000}
  - unique: {columns: [customer_id, event_time], severity: warn}
  - range: {column: amount, max: 1000, severity: warn, name: big amounts}
  - custom: suites_example:amounts_positive
"""


def write(tmp_path, text: str, name: str = "suite.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_handwritten_example_loads_as_the_checks_it_says(tmp_path):
    suite = Suite.load(write(tmp_path, HANDWRITTEN))
    assert suite.name == "transactions"
    assert suite.checks == [
        TypeCheck(column="tx_id", kind="numeric"), NotNull(column="tx_id"), Unique(column="tx_id"),
        NotNull(column="amount", max_fraction=0.01), Range(column="amount", min=0, max=5000),
        AllowedValues(column="country", values=["DE", "FR", "NO"]),
        Distribution(column="country", expected={"DE": 0.5, "FR": 0.3, "NO": 0.2}, severity="warn"),
        Regex(column="email", pattern="[^@]+@[^@]+"),
        Freshness(column="event_time", max_age="24h"),
        Referential(column="customer_id", reference="customers.parquet", reference_column="id"),
        RowCount(min=100, max=100_000),
        Unique(columns=["customer_id", "event_time"], severity="warn"),
        Range(column="amount", max=1000, severity="warn", name="big amounts"),
        Custom(function="suites_example:amounts_positive"),
    ]


def test_the_handwritten_example_validates_with_references_read_from_the_suite_folder(tmp_path):
    ex.customers().to_parquet(tmp_path / "customers.parquet")
    report = validate(ex.transactions(), write(tmp_path, HANDWRITTEN), now=ex.NOW)
    assert report.passed, report.summary()
    assert report.result("big amounts").severity == "warn"


def test_yaml_round_trip_keeps_every_check_and_is_stable(tmp_path):
    suite = Suite.load(write(tmp_path, HANDWRITTEN))
    saved = suite.save(tmp_path / "copy.yaml")
    again = Suite.load(saved)
    assert again == suite and again.to_yaml() == suite.to_yaml()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.yaml", "suite.yaml"]  # no temp file left


def test_yaml_groups_checks_per_column_with_shorthands():
    suite = Suite("s", [TypeCheck(column="a", kind="numeric"), NotNull(column="a"), Range(column="a", min=0),
                        Range(column="a", max=9, severity="warn"), Regex(column="b", pattern="x+"),
                        Freshness(column="t", max_age="36h"), RowCount(min=1)])
    assert suite.to_dict() == {
        "name": "s",
        "columns": {"a": {"type": "numeric", "not_null": True, "range": {"min": 0}},
                    "b": {"regex": "x+"}, "t": {"freshness": "1d12h"}},
        "checks": [{"range": {"column": "a", "max": 9, "severity": "warn"}}, {"row_count": {"min": 1}}],
    }
    text = suite.to_yaml()
    assert "    range: {min: 0}\n" in text and "- row_count: {min: 1}\n" in text
    again = Suite.from_dict(suite.to_dict())  # in file order: per column, then the checks list
    assert again.to_dict() == suite.to_dict() and sorted(map(repr, again)) == sorted(map(repr, suite))


def test_strings_yaml_would_misread_are_quoted_on_save(tmp_path):
    suite = Suite("s", [AllowedValues(column="c", values=["NO", "yes", "1"])])
    assert "allowed_values: ['NO', 'yes', '1']" in suite.to_yaml()
    assert Suite.load(suite.save(tmp_path / "s.yaml")) == suite


@pytest.mark.parametrize(("text", "message"), [
    ("columns:\n  amount:\n    rnage: {min: 0}\n",
     "suite.yaml: columns.amount: unknown check 'rnage'; did you mean 'range'?"),
    ("columns:\n  amount:\n    range: {mni: 0}\n",
     "suite.yaml: columns.amount.range: unknown key 'mni'; did you mean 'min'?"),
    ("columns:\n  amount:\n    range: {min: zero}\n",
     "suite.yaml: columns.amount.range: min must be a number, or an ISO date or time for a datetime column"),
    ("checks:\n  - row_count: {min: 1}\n  - range: {column: amount, min: low}\n",
     "suite.yaml: check 2 (range on 'amount'): min must be a number"),
    ("columns:\n  amount:\n    not_null: {severity: fatal}\n",
     "suite.yaml: columns.amount.not_null: severity must be 'error' or 'warn', not 'fatal'"),
    ("columns:\n  amount:\n    range: [0, 5]\n",
     "suite.yaml: columns.amount.range: give a mapping of its parameters, not [0, 5]"),
    ("columns:\n  amount:\n    row_count: {min: 1}\n",
     "suite.yaml: columns.amount.row_count: row_count is about the whole table; move it to the checks list"),
    ("colums:\n  amount: {}\n", "suite.yaml: unknown section 'colums'; did you mean 'columns'?"),
    ("checks:\n  - {range: {column: a, min: 0}, not_null: {column: a}}\n",
     "suite.yaml: check 1: an item of checks is one kind and its parameters"),
    ("checks:\n  - freshness: {column: t, max_age: soon}\n",
     "suite.yaml: check 1 (freshness on 't'): max_age must be a duration with a unit, like '24h'"),
    ("columns:\n  c:\n    distribution: {expected: {DE: 0.5, NO: 0.5}}\n",
     "suite.yaml: columns.c.distribution: expected: category False is a boolean; quote it in YAML"),
    ("name: [unclosed\n", "suite.yaml:2: not valid YAML: expected ',' or ']'"),
    ("- just a list\n", "suite.yaml: a suite is a mapping with name, columns and checks"),
])
def test_suite_file_errors_are_one_line_naming_the_file_the_check_and_the_fix(tmp_path, text, message):
    with pytest.raises(ValidationError) as caught:
        Suite.load(write(tmp_path, text))
    assert str(caught.value).startswith(message.replace("suite.yaml", str(tmp_path / "suite.yaml")))
    assert "\n" not in str(caught.value)


def test_a_missing_suite_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ValidationError, match="no such suite file: .*; write one with: mloop data suite infer"):
        Suite.load(tmp_path / "nope.yaml")


def test_what_a_file_cannot_hold_is_refused_on_save(tmp_path):
    in_memory = Suite("s", [Referential(column="a", reference=pa.table({"id": [1]}), reference_column="id")])
    with pytest.raises(ValidationError, match="in-memory table, which a suite file cannot hold; write it to Parquet"):
        in_memory.save(tmp_path / "s.yaml")
    with pytest.raises(ValidationError, match="define the function at the top level of an importable module"):
        Suite("s", [Custom(function=lambda data: True)]).to_yaml()
    assert not (tmp_path / "s.yaml").exists()
    named = Suite("s", [Custom(function=ex.amounts_positive)])
    assert named.to_dict()["checks"] == [{"custom": "suites_example:amounts_positive"}]


def test_infer_writes_the_checks_a_person_expects():
    frame = ex.transactions(1000)
    suite = infer_suite(frame, name="tx")
    by = {(c.check, c.used_columns()[0] if c.used_columns() else None): c for c in suite}
    assert by[("type", "amount")].kind == "numeric" and by[("type", "event_time")].kind == "datetime"
    assert ("unique", "tx_id") in by and ("range", "tx_id") not in by  # a key: new rows bring new ids
    assert ("unique", "customer_id") not in by
    low, high = frame["amount"].min(), frame["amount"].max()
    amount = by[("range", "amount")]
    assert 0 <= amount.min <= low and high < amount.max <= high + 0.11 * (high - low)
    assert by[("allowed_values", "country")].values == ["DE", "FR", "NO"]  # most common first
    shares = frame["country"].value_counts(normalize=True)
    assert by[("distribution", "country")].expected == pytest.approx(shares.to_dict(), abs=1e-4)
    assert by[("not_null", "amount")].max_fraction == 0
    nulls = frame["score"].isna().mean()
    assert nulls * 1.5 + 0.01 <= by[("not_null", "score")].max_fraction < nulls * 1.5 + 0.011
    assert by[("row_count", None)] == RowCount(min=500, max=1500)
    assert ("allowed_values", "email") not in by  # hundreds of distinct values is no category


def test_an_inferred_suite_passes_its_data_and_fails_a_corrupted_copy(tmp_path):
    frame = ex.transactions(1000)
    suite = Suite.load(infer_suite(frame, name="tx").save(tmp_path / "tx.yaml"))
    assert validate(frame, suite).passed
    assert validate(ex.transactions(1000, seed=1), suite).passed  # another draw of the same process
    bad = frame.copy()
    bad.loc[:9, "amount"] = -1.0
    bad.loc[100:399, "country"] = "XX"
    bad.loc[500, "tx_id"] = 1
    bad["score"] = np.nan
    report = validate(bad, suite)
    assert sorted(r.name for r in report.errors) == [
        "allowed_values(country)", "distribution(country)", "not_null(score)", "range(amount)", "unique(tx_id)"]


def test_infer_reads_a_table_in_at_most_two_scans():
    dataset, counter = ex.counted(ex.transactions(300))
    infer_suite(dataset)
    assert len(counter.scans()) == 2


def test_infer_of_numbers_only_needs_one_scan():
    dataset, counter = ex.counted(pd.DataFrame({"x": np.linspace(0, 1, 50), "y": np.ones(50)}))
    suite = infer_suite(dataset, range_margin=0)
    assert len(counter.scans()) == 1
    assert Range(column="x", min=0.0, max=1.0) in suite.checks


def test_infer_refuses_bad_options():
    with pytest.raises(ValidationError, match="range_margin must be 0 or more, not -1"):
        infer_suite(ex.transactions(10), range_margin=-1)
