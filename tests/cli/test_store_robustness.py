"""Unusable or missing stores through the `mloop` console script, as a user meets them: one line and
exit code 2 before anything is recorded, and read commands that never create a store."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_project import Project

import mloop
from mloop.stores.workspace import reset_workspaces
from mloop_env import MLOOP_VARIABLES

FIX = "set MLOOP_ARTIFACTS_URL or artifacts_url in mloop.yaml to a writable folder"


def mloop_script(*args: str, cwd: Path, prefix: list[str] | None = None,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("mloop")
    return subprocess.run([*(prefix or []), str(script), *args], cwd=cwd, env=env or dict(os.environ), text=True,
                          capture_output=True, timeout=120, check=False)


def unprivileged() -> list[str]:
    """A command prefix under which file permissions hold: nothing for a normal user; as root, root
    without CAP_DAC_OVERRIDE (root writes into a chmod-555 folder otherwise)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only folder cannot be made here")
    return [setpriv, "--bounding-set=-dac_override"]


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[list[Path]]:
    """Folders and files a test makes read-only (listed here), made writable again at the end."""
    paths: list[Path] = []
    yield paths
    for path in paths:
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.mark.parametrize("where", ["/proc/mloop-nope", "a-file", "under-a-file"])
def test_an_unusable_artifact_store_is_one_line_and_records_no_run(where: str, project: Project,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (project.root / "a-file").write_text("not a folder")
    url = {"a-file": str(project.root / "a-file"),
           "under-a-file": str(project.root / "a-file" / "artifacts")}.get(where, where)
    monkeypatch.setenv("MLOOP_ARTIFACTS_URL", url)

    result = mloop_script("run", project.python, cwd=project.root)

    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: artifact store {url} is not usable: ") and line.endswith(FIX)
    if where != "/proc/mloop-nope":
        assert f"{project.root / 'a-file'} is a file, not a folder" in line
    assert mloop.list_runs() == []


def test_resume_with_an_unusable_artifact_store_leaves_the_run_as_it_was(project: Project,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    failed = mloop_script("run", project.python, "-p", "fail=true", cwd=project.root)
    assert failed.returncode == 1, failed.stderr
    [record] = mloop.list_runs()
    steps_before = {s.node: (s.status, len(s.attempts)) for s in mloop.get_run(record.id).steps}
    monkeypatch.setenv("MLOOP_ARTIFACTS_URL", "/proc/mloop-nope")

    result = mloop_script("runs", "resume", record.id, cwd=project.root)

    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("error: artifact store /proc/mloop-nope is not usable: ") and line.endswith(FIX)
    after = mloop.get_run(record.id)
    assert after.status == "failed"
    assert {s.node: (s.status, len(s.attempts)) for s in after.steps} == steps_before


def test_a_read_only_artifact_folder_stops_the_run_before_any_step(tmp_path: Path, read_only: list[Path],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in MLOOP_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    (tmp_path / "train.py").write_text(
        "from pathlib import Path\nfrom mloop import pipeline, step\n\n"
        "@step\ndef train(n: int = 3) -> list:\n    Path('trained').write_text('yes')\n    return list(range(n))\n\n"
        "@pipeline\ndef flow():\n    train()\n"
    )
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    read_only.append(locked)
    monkeypatch.setenv("MLOOP_ARTIFACTS_URL", str(locked / "artifacts"))

    result = mloop_script("run", "train.py", cwd=tmp_path, prefix=unprivileged())

    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"error: artifact store {locked / 'artifacts'} is not usable: cannot create folder (Permission denied); {FIX}"]
    assert not (tmp_path / "trained").exists()  # the step never ran
    monkeypatch.chdir(tmp_path)
    assert mloop.list_runs() == []


def test_a_read_only_metadata_database_still_serves_read_commands(project: Project, read_only: list[Path],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    database = project.root / "db" / "mloop.db"
    monkeypatch.setenv("MLOOP_DB_URL", f"sqlite:///{database}")
    ran = mloop_script("run", project.python, cwd=project.root)
    assert ran.returncode == 0, ran.stderr
    [record] = mloop.list_runs()
    reset_workspaces()  # this process's connection must not keep the WAL files
    database.chmod(0o444)
    database.parent.chmod(0o555)
    read_only.extend([database, database.parent])

    listing = mloop_script("runs", "list", cwd=project.root, prefix=unprivileged())
    shown = mloop_script("runs", "show", record.id, cwd=project.root, prefix=unprivileged())

    assert listing.returncode == 0, listing.stderr
    assert record.id in listing.stdout and "succeeded" in listing.stdout
    assert shown.returncode == 0, shown.stderr
    assert f"run {record.id} of flow: succeeded" in shown.stdout
    assert sorted(p.name for p in database.parent.iterdir()) == ["mloop.db"]

    refused = mloop_script("run", project.python, "--no-cache", cwd=project.root, prefix=unprivileged())
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.splitlines() == [
        f"error: metadata store sqlite:///{database} is read-only ({database} is not writable); "
        "set MLOOP_DB_URL or db_url in mloop.yaml to a writable database"]


READ_COMMANDS = [
    ("runs", "list"), ("runs", "show", "01abcdef"), ("runs", "logs", "01abcdef", "train"),
    ("runs", "search", "metrics.auc > 0.9"), ("artifacts", "list"), ("artifacts", "show", "abcdef12"),
    ("artifacts", "lineage", "abcdef12"), ("artifacts", "verify"), ("models", "list"), ("models", "show", "fraud"),
]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in MLOOP_VARIABLES and k != "MLOOP_HOME"}


def test_read_commands_in_an_empty_folder_create_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()

    results = {args: mloop_script(*args, cwd=empty, env=clean_env()) for args in READ_COMMANDS}

    assert list(empty.iterdir()) == []
    assert results["runs", "list"].returncode == 0
    assert "no runs yet" in results["runs", "list"].stdout
    for args, result in results.items():
        assert "Traceback" not in result.stderr, args
        assert result.returncode in (0, 2), (args, result.stderr)
        assert len(result.stderr.splitlines()) <= 1, (args, result.stderr)


@pytest.mark.parametrize("setting", ["MLOOP_HOME", "MLOOP_DB_URL"])
def test_a_typo_in_the_state_path_is_refused_by_read_commands(setting: str, tmp_path: Path) -> None:
    missing = Path(f"/nonexistent-{uuid.uuid4().hex[:8]}")
    env = clean_env()
    env[setting] = str(missing) if setting == "MLOOP_HOME" else f"sqlite:///{missing}/mloop.db"

    try:
        for args in (("runs", "list"), ("artifacts", "list"), ("models", "list")):
            result = mloop_script(*args, cwd=tmp_path, env=env)

            assert result.returncode == 2, (args, result.stdout)
            [line] = result.stderr.splitlines()
            assert f"folder {missing} does not exist" in line
            assert "MLOOP_HOME" in line
        assert not missing.exists()
        assert list(tmp_path.iterdir()) == []
    finally:
        shutil.rmtree(missing, ignore_errors=True)  # what a regression would have made at the root
