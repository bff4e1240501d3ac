from __future__ import annotations

from pathlib import Path

import pytest
from steps_example import chain, noisy, numbers, text_pipeline
from typer.testing import CliRunner

import mloop
from mloop import pipeline
from mloop.cli.main import app
from mloop.pipeline.results.reproduce import reproduce_run


@pipeline
def partly_random(n: int = 3):
    return numbers(n), noisy()


@pytest.mark.usefixtures("workspace")
def test_deterministic_pipeline_reproduces_with_identical_hashes() -> None:
    original = chain.run(n=4)
    chain.run(n=4)  # a cached run in between must not let reproduce reuse anything

    report = reproduce_run(original.id)

    assert report.identical
    assert report.warnings == []
    assert [(o.node, o.output, o.same) for o in report.outputs] == [
        ("numbers", "output", True), ("double", "output", True), ("total", "output", True)]
    assert report.original.id == original.id
    reproduced = mloop.get_run(report.reproduced.id)
    assert reproduced.record.reproduces == original.id
    assert {s.status for s in reproduced.steps} == {"succeeded"}  # executed, not taken from cache
    assert reproduced.output("total").id == original.output("total").id


@pytest.mark.usefixtures("sqlite_workspace")
def test_reproduce_uses_the_recorded_data_not_the_edited_file(tmp_path: Path) -> None:
    data = tmp_path / "data.txt"
    data.write_text("recorded")
    original = text_pipeline.run(path=str(data))
    data.write_text("edited since")

    report = reproduce_run(original.id)

    assert report.identical
    assert report.reproduced.output("shout").load() == "RECORDED"


@pytest.mark.usefixtures("sqlite_workspace")
def test_nondeterministic_step_is_reported() -> None:
    original = partly_random.run()

    report = reproduce_run(original.id)

    assert not report.identical
    assert {o.node: o.same for o in report.outputs} == {"numbers": True, "noisy": False}
    assert report.reproduced.output("noisy").load() != original.output("noisy").load()


@pytest.mark.usefixtures("sqlite_workspace")
def test_cli_reproduce_exit_codes() -> None:
    runner = CliRunner(env={"COLUMNS": "250"})
    same = runner.invoke(app, ["runs", "reproduce", chain.run().id])
    assert same.exit_code == 0, same.output
    assert "reproduced: every output has the same hash" in same.stdout

    differs = runner.invoke(app, ["runs", "reproduce", partly_random.run().id])
    assert differs.exit_code == 1, differs.output
    assert "not reproduced: some outputs differ" in differs.stdout
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in differs.stdout.splitlines()]
    assert [row[-1] for row in rows if row and row[0] in ("numbers", "noisy")] == ["yes", "no"]


@pytest.mark.usefixtures("sqlite_workspace")
def test_reproduce_of_a_pipeline_with_a_registry_gate_writes_nothing_and_reproduces(tmp_path: Path) -> None:
    from mloop.demo import churn_training, make_customers
    from mloop.registry import alias_history, list_versions

    data = make_customers(tmp_path / "customers.parquet")
    original = churn_training.run(data=str(data))
    assert original.output("bless").load()["promoted"] == "champion"
    history = [(c.id, c.to_version, c.reason) for c in alias_history("churn")]
    versions = [v.version for v in list_versions("churn")]

    report = reproduce_run(original.id)

    assert report.identical
    assert [(o.node, o.verdict) for o in report.outputs] == [
        ("ingest", "yes"), ("data_validation", "yes"), ("data_validation", "yes"), ("split", "yes"),
        ("split", "yes"), ("train", "yes"), ("evaluate", "yes"), ("bless", "not comparable (side effect)")]
    assert report.reproduced.output("bless").load()["dry_run"] is True
    assert [(c.id, c.to_version, c.reason) for c in alias_history("churn")] == history
    assert [v.version for v in list_versions("churn")] == versions

    result = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["runs", "reproduce", original.id])
    assert result.exit_code == 0, result.output
    assert "not comparable (side effect)" in result.stdout
    assert "reproduced: every output has the same hash" in result.stdout
    assert [(c.id, c.to_version, c.reason) for c in alias_history("churn")] == history
    assert [v.version for v in list_versions("churn")] == versions
