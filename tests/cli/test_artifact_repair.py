"""A corrupted artifact, repaired the ways the error message and the README say: re-running with
--no-cache, or `mloop artifacts verify --repair` then a run; on a local folder and on S3 (moto)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_project import Project

import mloop
from corrupting import corrupt


def mloop_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("mloop")
    return subprocess.run([str(script), *args], cwd=cwd, env=dict(os.environ), text=True, capture_output=True,
                          timeout=120, check=False)


@pytest.fixture(params=["local", "s3"])
def store_url(request: pytest.FixtureRequest, project: Project, monkeypatch: pytest.MonkeyPatch) -> str:
    """The project's artifact store: its default local folder, or a prefix on the moto S3 server."""
    if request.param == "local":
        return str(project.root / ".mloop" / "artifacts")
    url: str = request.getfixturevalue("s3_url")
    monkeypatch.setenv("MLOOP_ARTIFACTS_URL", url)
    return url


def run_flow(project: Project, *options: str) -> mloop.Run:
    before = {r.id for r in mloop.list_runs()}
    result = mloop_script("run", project.python, *options, cwd=project.root)
    assert result.returncode == 0, result.stderr
    [record] = [r for r in mloop.list_runs() if r.id not in before]
    return mloop.get_run(record.id)


def test_no_cache_rerun_repairs_a_corrupted_output(project: Project, store_url: str) -> None:
    first = run_flow(project)
    scaled = first.output("scale")
    corrupt(mloop.get_workspace().artifacts, scaled.id)
    with pytest.raises(mloop.IntegrityError, match=r"is corrupted.*re-run the step that produced it with --no-cache"):
        scaled.load()

    second = run_flow(project, "--no-cache")

    assert second.output("scale").id == scaled.id  # the same bytes, so the same digest
    assert mloop.get_run(first.id).output("scale").load() == [0, 2, 4]
    assert mloop.verify_artifacts().ok


def test_verify_finds_a_corrupted_object_and_repair_lets_the_next_run_rebuild_it(project: Project,
                                                                                  store_url: str) -> None:
    first = run_flow(project)
    scaled = first.output("scale")
    corrupt(mloop.get_workspace().artifacts, scaled.id)

    found = mloop_script("artifacts", "verify", cwd=project.root)

    assert found.returncode == 1, found.stderr
    lines = found.stdout.splitlines()
    assert lines[0] == (f"corrupted {scaled.id[:12]}: its bytes do not hash to its digest; re-run pipeline 'flow' "
                        f"(step 'scale' of run {first.id} wrote it); the missing output is not a cache hit")
    assert lines[1].startswith("checked ") and lines[1].endswith(f"in {store_url}: 1 corrupted")
    assert lines[2] == "remove them with: mloop artifacts verify --repair"

    repaired = mloop_script("artifacts", "verify", "--repair", "--json", cwd=project.root)

    assert repaired.returncode == 0, repaired.stderr
    report = json.loads(repaired.stdout)
    assert (report["store"], report["ok"], report["repaired"]) == (store_url, False, True)
    [damaged] = report["damaged"]
    assert (damaged["digest"], damaged["removed"], damaged["kind"]) == (scaled.id, True, "output")
    assert damaged["producer"] == {"run_id": first.id, "node": "scale", "pipeline": "flow"}
    assert not mloop.get_workspace().artifacts.exists(scaled.id)

    second = run_flow(project)  # scale's output is missing: that step runs again, the others are reused

    statuses = {s.node: s.status for s in second.steps}
    assert statuses["scale"] == "succeeded" and statuses["numbers"] == "cached"
    assert mloop.get_run(first.id).output("scale").load() == [0, 2, 4]
    clean = mloop_script("artifacts", "verify", "--json", cwd=project.root)
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["ok"] is True
