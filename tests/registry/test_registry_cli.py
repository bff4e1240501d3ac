"""`mloop models ...` as a user types it: CliRunner on SQLite and PostgreSQL, and the real script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import fraud_example as fe
import pytest
from click.testing import Result
from registry_races import child_env
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps at 80 columns otherwise


def models(*args: str) -> Result:
    return CliRunner().invoke(app, ["models", *args])


def rows(output: str) -> dict[str, list[str]]:
    """The body rows of a rich table, by their first cell."""
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in output.splitlines() if line.startswith("│")]
    return {row[0]: row[1:] for row in cells if row and row[0]}


@pytest.fixture
def registered(trained: mloop.Run, tmp_path: Path) -> Path:
    """fraud/1 registered from the run through the CLI; returns a labelled evaluation file."""
    result = models("register", "fraud", f"{trained.id}:train", "--metric", "val_auc=0.9", "--description", "v1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("registered fraud/1 (artifact ")
    path = tmp_path / "eval.parquet"
    fe.transactions(300, seed=9).fillna(0.0).to_parquet(path)
    return path


def test_register_list_and_show(registered: Path, trained: mloop.Run) -> None:
    listing = models("list")
    assert listing.exit_code == 0, listing.output
    assert rows(listing.stdout)["fraud"][:2] == ["1", ""]

    overview = models("show", "fraud")
    assert rows(overview.stdout)["1"][:3] == ["", "", "—"]  # no aliases, no stage, never blessed

    detail = models("show", "fraud/1")
    assert detail.exit_code == 0, detail.output
    assert "model version fraud/1: v1" in detail.stdout
    assert f"source run    {trained.id} step train" in detail.stdout
    assert rows(detail.stdout)["country"] == ["string", "str", "no", "DE, FR, US"]
    assert mloop.get_model_version("fraud/1").metrics["val_auc"] == 0.9


def test_bless_promote_rollback(registered: Path, trained: mloop.Run) -> None:
    refused = models("promote", "fraud", "1")
    assert refused.exit_code == 2
    assert refused.stderr.strip().splitlines() == [
        "error: model 'fraud' version 1 is not blessed; bless it first with: mloop models bless fraud 1, or "
        "override with: mloop models promote fraud 1 --alias champion --force (recorded)"]

    failing = models("bless", "fraud", "1", "--metric", "val_auc", "--min", "0.99", "--eval-data", str(registered),
                     "--target", "y")
    assert failing.exit_code == 1
    assert "not blessed" in failing.stdout and rows(failing.stdout)["min"][0] == "fail"

    policy = registered.with_name("policy.yaml")
    policy.write_text("metric: val_auc\nmin: 0.6\nmust_beat: champion\ntolerance: 0.002\n"
                      "max_feature_importance_share: 0.9\n")
    blessed = models("bless", "fraud", "1", "--policy", str(policy), "--eval-data", str(registered), "--target", "y",
                     "--slice-by", "country")
    assert blessed.exit_code == 0, blessed.output
    assert set(rows(blessed.stdout)) == {"min", "must_beat", "max_feature_importance_share"}

    assert models("promote", "fraud", "1", "--reason", "first").stdout.strip() == "fraud@champion: version — → 1"
    mloop.register_model("fraud", trained.output("train"))
    forced = models("promote", "fraud", "2", "--force")
    assert forced.stdout.strip() == "fraud@champion: version 1 → 2 (forced: not blessed)"
    assert models("rollback", "fraud").stdout.strip() == "fraud@champion: version 2 → 1"
    shown = models("show", "fraud")
    assert "set (forced)" in shown.stdout and "rollback" in shown.stdout and "first" in shown.stdout
    card = models("show", "fraud@champion")
    assert "permutation importance" in card.stdout and rows(card.stdout)["US"][0].isdigit()


def test_stage(registered: Path) -> None:
    assert models("stage", "fraud", "1", "staging", "--reason", "shadow").stdout.strip() == \
        "fraud/1: stage — → staging"
    assert models("stage", "fraud", "1", "production").exit_code == 2
    assert models("stage", "fraud", "1", "production", "--force").stdout.strip() == \
        "fraud/1: stage staging → production (forced)"
    typo = models("stage", "fraud", "1", "prod")
    assert typo.exit_code == 2
    assert "unknown stage 'prod'; use one of: staging, production, archived, or none to clear it" in typo.output
    assert models("stage", "fraud", "1", "none").stdout.strip() == "fraud/1: stage production → —"


def test_schema_exports(registered: Path, tmp_path: Path) -> None:
    schema = json.loads(models("schema", "fraud/1").stdout)
    assert schema["required"] == ["amount", "age", "country", "hour"]
    avro = json.loads(models("schema", "fraud@latest", "--format", "avro").stdout)
    assert avro["name"] == "FraudInput" and [f["name"] for f in avro["fields"]][0] == "amount"
    target = tmp_path / "fraud.proto"
    written = models("schema", "fraud/1", "-f", "proto", "-o", str(target))
    assert written.exit_code == 0 and "package mloop.fraud.v1;" in target.read_text()
    unknown = models("schema", "fraud/1", "--format", "xml")
    assert unknown.exit_code == 2 and "unknown schema format 'xml'; use one of: jsonschema, avro, proto" in unknown.stderr


def test_check_payload(registered: Path, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    record = {"amount": 12.0, "age": 30, "country": "DE", "hour": 4}
    good.write_text(json.dumps({"instances": [record, record]}))
    bad.write_text(json.dumps([{**record, "country": "IT"}, {"age": 3}]))

    ok = models("check-payload", "fraud/1", str(good))
    assert ok.exit_code == 0 and ok.stdout.strip() == "ok: 2 record(s) match the signature of fraud/1"
    refused = models("check-payload", "fraud/1", str(bad))
    assert refused.exit_code == 1
    assert refused.stderr.startswith("payload does not match fraud/1: ")
    assert "column 'country' has unknown value(s) 'IT'" in refused.stderr
    assert "column 'amount' has 1 missing value(s)" in refused.stderr


def test_user_errors_are_one_line_with_exit_code_2(workspace: Path) -> None:
    for args, message in [
        (("show", "churn/1"), "error: no model 'churn'; list them with: mloop models list"),
        (("register", "fraud", "nope"), "error: no artifact 'nope'; list them with: mloop artifacts list"),
        (("bless", "fraud", "1"), "error: give a blessing policy with --policy policy.yaml or at least --metric"),
        (("register", "fraud", "abcd", "--metric", "auc"), "error: metric 'auc' is not key=number"),
    ]:
        result = models(*args)
        assert result.exit_code == 2, (args, result.output)
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(message), result.stderr


def test_the_real_console_script(registered: Path) -> None:
    mloop.bless("fraud/1", mloop.Blessing(metric="val_auc", min=0.5))
    mloop.promote("fraud/1")
    script = Path(sys.executable).with_name("mloop")
    shown = subprocess.run([str(script), "models", "show", "fraud@champion"], env=child_env(), text=True,
                           capture_output=True, timeout=60, check=False)
    assert shown.returncode == 0, shown.stderr
    assert "model version fraud/1: v1" in shown.stdout and "champion" in shown.stdout
    missing = subprocess.run([str(script), "models", "rollback", "fraud"], env=child_env(), text=True,
                             capture_output=True, timeout=60, check=False)
    assert missing.returncode == 2
    assert missing.stderr.splitlines() == ["error: alias 'champion' of model 'fraud' has no earlier version to roll "
                                           "back to (history: mloop models show fraud)"]
