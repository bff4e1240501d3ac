"""`mloop deploy check`: the checklist and a load test, recorded with the version; `mloop serve
--require-ready` refuses a version whose check failed, naming the failing item."""

from __future__ import annotations

import json

import serving_models
from served import serving
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app


def test_an_unready_version_fails_the_checklist_and_is_refused_by_require_ready(fraud) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    result = runner.invoke(app, ["deploy", "check", "fraud@champion", "--no-load-test"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "fraud/1: NOT ready"
    assert any(line.startswith("  FAIL  blessed: never blessed; run: mloop models bless fraud 1") for line in lines)
    assert any(line.startswith("  FAIL  training data validated: no data validation report") for line in lines)
    assert any(line.startswith("  pass  signature: 4 input column(s)") for line in lines)
    assert any(line.startswith("  FAIL  model card with explainability") for line in lines)
    refused = runner.invoke(app, ["serve", "fraud@champion", "--require-ready"])
    assert refused.exit_code == 2
    assert "fraud/1 is not ready (blessed: never blessed" in refused.output
    never = serving_models.register_fraud(seed=4, alias="staging")
    unchecked = runner.invoke(app, ["serve", "fraud@staging", "--require-ready"])
    assert unchecked.exit_code == 2
    assert f"{never.ref} has no readiness check; run: mloop deploy check {never.ref}" in unchecked.output


def test_a_ready_version_passes_with_load_figures_and_is_served(sqlite_workspace) -> None:  # type: ignore[no-untyped-def]
    version = serving_models.ready_fraud()
    result = CliRunner().invoke(app, ["deploy", "check", "fraud@champion", "--seconds", "0.5", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["passed"] and [i["name"] for i in report["items"]] == [
        "blessed", "training data validated", "signature", "model card with explainability", "load test"]
    for level in ("c1", "c16"):
        figures = report["load"][level]
        assert figures["requests"] > 0 and figures["errors"] == 0
        assert 0 < figures["p50_ms"] <= figures["p99_ms"] and figures["requests_per_second"] > 0
    assert report["load"]["peak_rss_mb"] > 10
    recorded = mloop.get_workspace().deployments.latest_check("fraud", version.version)
    assert recorded is not None and recorded.passed and recorded.load == report["load"]
    with serving("fraud@champion", "--require-ready") as server:
        assert server.process.poll() is None
