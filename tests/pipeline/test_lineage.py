from __future__ import annotations

from pathlib import Path

import pytest
from steps_example import double, read_text, shout, words
from typer.testing import CliRunner

import mloop
from mloop import Data, pipeline
from mloop.cli.main import app

pytestmark = pytest.mark.usefixtures("workspace")


@pipeline
def louder(path: str = "notes.txt"):
    return double(words(shout(read_text(Data(path)))))


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("quiet words")
    return path


def test_upstream_of_the_final_artifact_reaches_the_data(notes: Path) -> None:
    run = louder.run()
    final = run.output("double")

    lineage = final.lineage()
    assert lineage.root.id == final.id
    steps = [n.label for n in lineage.upstream if n.kind == "step"]
    assert steps == ["double (double)", "words (words)", "shout (shout)", "read_text (read_text)"]
    data = [n for n in lineage.upstream if n.kind == "artifact" and n.detail["kind"] == "data"]
    assert [(n.id, n.detail["source"]) for n in data] == [(run.step("read_text").inputs["raw"].id, str(notes))]
    assert max(n.depth for n in lineage.upstream) == 4
    assert lineage.downstream == []


def test_downstream_of_the_data_reaches_the_final_step(notes: Path) -> None:
    run = louder.run()
    data = run.step("read_text").inputs["raw"]

    lineage = mloop.get_artifact(data.id).lineage()
    steps = {n.label: n.detail for n in lineage.downstream if n.kind == "step"}
    assert set(steps) == {"read_text (read_text)", "shout (shout)", "words (words)", "double (double)"}
    assert {d["run_id"] for d in steps.values()} == {run.id}
    artifacts = {n.id for n in lineage.downstream if n.kind == "artifact"}
    assert run.output("double").id in artifacts
    assert lineage.upstream == []


def test_lineage_of_a_cached_run_points_at_the_execution(notes: Path) -> None:
    first = louder.run()
    second = louder.run()
    assert second.step("double").status == "cached"

    lineage = second.output("double").lineage()
    producers = {n.detail["run_id"] for n in lineage.upstream if n.kind == "step"}
    assert producers == {first.id}
    assert any(n.detail.get("source") == str(notes) for n in lineage.upstream if n.kind == "artifact")


def test_cli_lineage_prints_the_data_source_path(notes: Path) -> None:
    run = louder.run()
    final = run.output("double")

    result = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["artifacts", "lineage", final.id[:10]])
    assert result.exit_code == 0, result.output
    assert f"from {notes}" in result.stdout
    assert "step double (double)" in result.stdout
    assert "downstream: none" in result.stdout
