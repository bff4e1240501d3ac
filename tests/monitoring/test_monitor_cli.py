"""`mloop monitor`, `mloop alerts` and `mloop webhooks` as a user types them: apply, list, run (a
FAILED verdict, --check), results, alerts and deliveries, webhooks; one-line errors, exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result
from monitor_testing import at, log_predictions, webhook_server
from typer.testing import CliRunner

from mloop.cli.main import app
from mloop.stores.workspace import get_workspace

MONITORS = """\
monitors:
  - name: fraud-volume
    kind: volume
    model: fraud
    window: 1h
    schedule: "@every 5m"
    options: {min: 2}
  - {name: tx-fresh, kind: freshness, source: data/tx.parquet, window: 1d, schedule: "*/10 * * * *"}
"""


def mloop_cmd(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def cli_workspace(sqlite_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "250")
    (sqlite_workspace / "monitors.yaml").write_text(MONITORS)
    return sqlite_workspace


def test_apply_list_run_and_results(cli_workspace: Path) -> None:
    applied = mloop_cmd("monitor", "apply", "monitors.yaml")
    assert applied.exit_code == 0, applied.output
    assert "created: fraud-volume, tx-fresh" in applied.stdout
    assert json.loads(mloop_cmd("monitor", "apply", "monitors.yaml", "--json").stdout)["unchanged"] == [
        "fraud-volume", "tx-fresh"]
    listed = mloop_cmd("monitor", "list")
    assert listed.exit_code == 0 and "fraud-volume" in listed.stdout and "@every 5m" in listed.stdout
    assert "never" in listed.stdout

    log_predictions(get_workspace(), "fraud", [at(10)])
    failed = mloop_cmd("monitor", "run", "fraud-volume", "--at", at(60).isoformat())
    assert failed.exit_code == 0, failed.output
    assert "fraud-volume: FAILED  1 predictions of fraud in the last 1h: below min 2" in failed.stdout
    checked = mloop_cmd("monitor", "run", "fraud-volume", "--at", at(61).isoformat(), "--check", "--json")
    assert checked.exit_code == 1 and json.loads(checked.stdout)[0]["status"] == "failed"
    everything = json.loads(mloop_cmd("monitor", "run", "--all", "--at", at(62).isoformat(), "--json").stdout)
    assert [(r["monitor"], r["status"]) for r in everything] == [("fraud-volume", "failed"), ("tx-fresh", "failed")]
    assert everything[1]["summary"].startswith("monitor is broken: monitor 'tx-fresh': source data/tx.parquet")

    listed = json.loads(mloop_cmd("monitor", "list", "--json").stdout)
    assert [(m["name"], m["last_result"]["status"]) for m in listed] == [("fraud-volume", "failed"),
                                                                          ("tx-fresh", "failed")]
    results = json.loads(mloop_cmd("monitor", "results", "fraud-volume", "--json").stdout)
    assert [r["time"] for r in results] == [at(62).isoformat(), at(61).isoformat(), at(60).isoformat()]
    since = json.loads(mloop_cmd("monitor", "results", "fraud-volume", "--since", at(61).isoformat(), "--limit", "1",
                                 "--json").stdout)
    assert [r["time"] for r in since] == [at(62).isoformat()]
    table = mloop_cmd("monitor", "results", "fraud-volume")
    assert table.exit_code == 0 and table.stdout.count("FAILED") == 3

    alerts = json.loads(mloop_cmd("alerts", "--status", "open", "--json").stdout)
    assert {(a["source"], a["severity"], a["failures"]) for a in alerts} == {("fraud-volume", "warning", 3),
                                                                              ("tx-fresh", "critical", 1)}
    volume = next(a for a in alerts if a["source"] == "fraud-volume")
    shown = mloop_cmd("alerts", "show", volume["id"])
    assert shown.exit_code == 0 and "3 failure(s)" in shown.stdout and "below min 2" in shown.stdout
    assert mloop_cmd("monitor", "delete", "tx-fresh").exit_code == 0
    assert [m["name"] for m in json.loads(mloop_cmd("monitor", "list", "--json").stdout)] == ["fraud-volume"]


def test_webhooks_and_deliveries(cli_workspace: Path) -> None:
    with webhook_server() as hook:
        added = json.loads(mloop_cmd("webhooks", "add", hook.url, "--events", "alerts", "--json").stdout)
        assert mloop_cmd("webhooks", "list").stdout.count(hook.url) == 1
        hook.answers = [500]
        mloop_cmd("monitor", "apply", "monitors.yaml")
        mloop_cmd("monitor", "run", "fraud-volume", "--at", at(60).isoformat())
        pending = mloop_cmd("alerts", "deliveries")
        assert pending.exit_code == 0 and "pending" in pending.stdout and "HTTP 500: no" in pending.stdout
        [message] = json.loads(mloop_cmd("alerts", "deliveries", "--json").stdout)
        assert (message["event"], message["attempts"], message["status"]) == ("alert.opened", 1, "pending")
        assert mloop_cmd("webhooks", "remove", added["id"]).exit_code == 0
        assert "no webhooks" in mloop_cmd("webhooks", "list").stdout


def test_errors_are_one_line_with_exit_code_2(cli_workspace: Path) -> None:
    mloop_cmd("monitor", "apply", "monitors.yaml")
    unknown = subprocess.run([sys.executable, "-m", "mloop.cli.main", "monitor", "run", "fraud-volumes"],
                             capture_output=True, text=True, cwd=cli_workspace)
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert unknown.stderr.strip() == "error: no monitor 'fraud-volumes'; known monitors: fraud-volume, tx-fresh"
    (cli_workspace / "bad.yaml").write_text("monitors:\n  - {name: a, kind: volume\n")
    bad = mloop_cmd("monitor", "apply", "bad.yaml")
    assert bad.exit_code == 2 and "bad.yaml:3: not valid YAML" in bad.output
    both = mloop_cmd("monitor", "run", "fraud-volume", "--all")
    assert both.exit_code == 2 and "give a monitor name or --all" in both.output
    assert mloop_cmd("alerts", "show", "nope").exit_code == 2
    refused = mloop_cmd("webhooks", "add", "http://127.0.0.1:1/x", "--events", "pages")
    assert refused.exit_code == 2 and "unknown webhook events pages" in refused.output


def test_a_paused_monitor_is_left_out_of_run_all(cli_workspace: Path) -> None:
    mloop_cmd("monitor", "apply", "monitors.yaml")
    assert mloop_cmd("monitor", "pause", "tx-fresh").exit_code == 0
    assert "*/10 * * * * (paused)" in mloop_cmd("monitor", "list").stdout
    ran = json.loads(mloop_cmd("monitor", "run", "--all", "--at", at(60).isoformat(), "--json").stdout)
    assert [r["monitor"] for r in ran] == ["fraud-volume"]
    assert [m["paused"] for m in json.loads(mloop_cmd("monitor", "list", "--json").stdout)] == [False, True]
    assert mloop_cmd("monitor", "resume", "tx-fresh").exit_code == 0
    assert len(json.loads(mloop_cmd("monitor", "run", "--all", "--json").stdout)) == 2
    assert mloop_cmd("monitor", "pause", "nope").exit_code == 2
