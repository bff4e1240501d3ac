"""`mloop data`: infer a suite, validate (exit 0/1/2), profile, drift and reports, as a user
types them — tables, --json for scripts, HTML reports, and one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app


def mloop_cmd(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def data(tmp_path: Path, sqlite_workspace: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 2000
    frame = pd.DataFrame({"id": np.arange(n), "amount": rng.gamma(2, 50, n).round(2),
                          "country": rng.choice(["DE", "FR", "US"], n), "age": rng.integers(18, 90, n)})
    frame.to_parquet(tmp_path / "ref.parquet")
    bad = frame.assign(amount=frame["amount"] * 1.6)
    bad.loc[:6, "country"] = "XX"
    bad.to_parquet(tmp_path / "cur.parquet")
    return tmp_path


def test_infer_writes_a_suite_that_the_reference_passes_and_bad_data_fails(data: Path) -> None:
    inferred = mloop_cmd("data", "suite", "infer", str(data / "ref.parquet"))
    assert inferred.exit_code == 0, inferred.output
    (data / "suite.yaml").write_text(inferred.stdout)
    assert mloop.Suite.load(data / "suite.yaml").name == "ref"

    good = mloop_cmd("data", "validate", str(data / "ref.parquet"), "--suite", str(data / "suite.yaml"))
    bad = mloop_cmd("data", "validate", str(data / "cur.parquet"), "--suite", str(data / "suite.yaml"),
                    "--report", str(data / "validation.html"))

    assert good.exit_code == 0 and "all " in good.stdout and "checks passed" in good.stdout
    assert bad.exit_code == 1
    assert "allowed_values(country)" in bad.stdout and "FAIL" in bad.stdout and '"country": "XX"' in bad.stdout
    page = (data / "validation.html").read_text()
    assert "Validation failed" in page and "allowed_values(country)" in page


def test_validate_json_is_one_document_with_every_check(data: Path) -> None:
    mloop.infer_suite(str(data / "ref.parquet")).save(data / "suite.yaml")
    result = mloop_cmd("data", "validate", str(data / "cur.parquet"), "--suite", str(data / "suite.yaml"), "--json")

    document = json.loads(result.stdout)
    assert result.exit_code == 1 and document["passed"] is False
    failed = {r["name"]: r for r in document["results"] if not r["passed"]}
    assert failed["allowed_values(country)"]["failing"] == 7
    assert len(document["results"]) == document["counts"]["checks"]


def test_drift_flags_the_shifted_column_in_table_json_and_html(data: Path) -> None:
    ref, cur = str(data / "ref.parquet"), str(data / "cur.parquet")
    table = mloop_cmd("data", "drift", ref, cur, "--report", str(data / "drift.html"))
    document = json.loads(mloop_cmd("data", "drift", ref, cur, "--json").stdout)
    failing = mloop_cmd("data", "drift", ref, cur, "--columns", "amount", "--fail-on-drift")

    assert table.exit_code == 0 and "amount" in table.stdout
    columns = {c["name"]: c for c in document["columns"]}
    assert document["drifted_columns"] == ["amount"] and columns["amount"]["drifted"] is True
    assert columns["amount"]["threshold"] == 0.1 and columns["amount"]["statistic"] > 0.1
    assert set(columns["country"]) >= {"statistic", "p_value", "threshold", "drifted"}
    assert failing.exit_code == 1  # the only compared column drifted
    assert "Some columns drifted" in (data / "drift.html").read_text()


def test_profile_json_is_a_profile_that_drift_takes_as_reference(data: Path) -> None:
    result = mloop_cmd("data", "profile", str(data / "ref.parquet"), "--json")
    (data / "profile.json").write_text(result.stdout)

    assert result.exit_code == 0 and json.loads(result.stdout)["rows"] == 2000
    against = json.loads(mloop_cmd("data", "drift", str(data / "profile.json"), str(data / "cur.parquet"),
                                   "--json").stdout)
    assert against["drifted_columns"] == ["amount"] and against["exact"] is False


def test_drift_against_a_model_reads_its_stored_training_profile(data: Path) -> None:
    frame = pd.read_parquet(data / "ref.parquet")
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(frame[["amount", "age"]], frame["id"])
    mloop.register_model("spend", model, training_data=frame, target="id")
    result = mloop_cmd("data", "drift", "spend/1", str(data / "cur.parquet"), "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["drifted_columns"] == ["amount"]
    missing = mloop_cmd("data", "drift", "spend@champion", str(data / "cur.parquet"))
    assert missing.exit_code == 2 and "has no alias 'champion'" in missing.output


@pytest.mark.parametrize("case", ["missing file", "empty file", "not parquet", "unknown column", "bad suite"])
def test_bad_input_is_one_line_with_exit_code_2(data: Path, case: str) -> None:
    suite = data / "suite.yaml"
    suite.write_text("name: s\ncolumns:\n  amount: {not_null: true}\n")
    target = data / "cur.parquet"
    if case == "missing file":
        target = data / "nope.parquet"
    elif case == "empty file":
        target = data / "empty.parquet"
        target.write_bytes(b"")
    elif case == "not parquet":
        target = data / "notes.parquet"
        target.write_text("hello")
    elif case == "unknown column":
        suite.write_text("name: s\ncolumns:\n  amount_usd: {not_null: true}\n")
    else:
        suite.write_text("name: s\ncolumns:\n  amount: {rnage: {min: 0}}\n")
    done = subprocess.run([sys.executable, "-m", "mloop.cli.main", "data", "validate", str(target), "--suite",
                           str(suite)], capture_output=True, text=True, cwd=data)

    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    expected = {"missing file": "does not exist", "empty file": "is empty (0 bytes)",
                "not parquet": "not readable Parquet", "unknown column": "amount_usd",
                "bad suite": "did you mean"}[case]
    assert expected in done.stderr


def test_reports_lists_what_pipeline_steps_recorded(data: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parents[1] / "quality"))
    from quality_example import validated_training

    run = validated_training.run()
    result = mloop_cmd("data", "reports", "--json")
    empty_kind = mloop_cmd("data", "reports", "--kind", "bogus")

    assert [(r["kind"], r["run_id"], r["passed"]) for r in json.loads(result.stdout)] == [
        ("validation", run.id, True)]
    assert empty_kind.exit_code == 2 and "choose validation, drift or profile" in empty_kind.output


def test_csv_files_validate_like_parquet_and_drift_names_columns_on_one_side(data: Path) -> None:
    frame = pd.read_parquet(data / "cur.parquet")
    frame.to_csv(data / "cur.csv", index=False)
    frame.drop(columns=["age"]).assign(extra=1).to_parquet(data / "fewer.parquet")
    mloop.infer_suite(str(data / "ref.parquet")).save(data / "suite.yaml")

    from_csv = json.loads(mloop_cmd("data", "validate", str(data / "cur.csv"), "--suite", str(data / "suite.yaml"),
                                    "--json").stdout)
    from_parquet = json.loads(mloop_cmd("data", "validate", str(data / "cur.parquet"), "--suite",
                                        str(data / "suite.yaml"), "--json").stdout)
    drift = mloop_cmd("data", "drift", str(data / "ref.parquet"), str(data / "fewer.parquet"))

    assert [(r["name"], r["passed"]) for r in from_csv["results"]] == [
        (r["name"], r["passed"]) for r in from_parquet["results"]]
    assert "columns only in the reference: age; only in the current data: extra" in drift.stdout
