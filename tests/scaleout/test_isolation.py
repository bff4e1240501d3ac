"""Step environments: isolated steps run in uv environments built from their requirements (from
tinypkg wheels built in the test, no network), and requirements of other steps are checked
against the running environment before a run starts."""

from __future__ import annotations

import importlib.util
from importlib.metadata import version
from pathlib import Path

import pytest
import steps_scaleout as steps

import mloop


@pytest.fixture
def envs(workspace: Path, find_links: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty MLOOP_ENVS_DIR of this test's own, and uv pointed at the tinypkg wheels, offline."""
    folder = workspace / "envs"
    monkeypatch.setenv("MLOOP_ENVS_DIR", str(folder))
    monkeypatch.setenv("UV_FIND_LINKS", str(find_links))
    monkeypatch.setenv("UV_NO_INDEX", "1")
    monkeypatch.setenv("UV_OFFLINE", "1")
    return folder


def built(envs: Path) -> list[Path]:
    """The finished environments (not lock files, not half-built folders, which start with a dot)."""
    return sorted(p for p in envs.iterdir() if not p.name.startswith(".")) if envs.exists() else []


def tiny(requirement: str) -> mloop.Pipeline:
    """The same pipeline with its one isolated step pinned to another tinypkg."""

    @mloop.pipeline(name="tiny")
    def pinned():
        steps.tiny_version.with_options(isolation="venv", requirements=[requirement])(label="pinned")

    return pinned


@pytest.mark.parametrize("metadata_url", ["sqlite"], indirect=True)
def test_isolated_steps_get_their_own_packages_in_one_shared_environment(envs: Path) -> None:
    assert importlib.util.find_spec("tinypkg") is None  # the parent environment does not have it
    run = steps.isolated.run()
    assert run.output("isolated_version").load() == {"version": "2.0", "label": "a"}
    assert run.output("isolated_twice").load() == {"version": "2.0", "twice": "bb"}
    [environment] = built(envs)  # two steps at once, one environment
    for node in ("isolated_version", "isolated_twice"):
        recorded = run.step(node).attempts[-1]["environment"]
        assert recorded["isolation"] == "venv" and recorded["packages"] == {"tinypkg": "2.0"}
        assert recorded["python"] == str(environment / "bin" / "python")
    seen = environment.stat()
    # another run, another step with the same requirements: the environment is reused as it is
    again = tiny("tinypkg==2.0").run()
    assert again.output("tiny_version").load() == {"version": "2.0", "label": "pinned"}
    assert built(envs) == [environment]
    assert (environment.stat().st_ino, environment.stat().st_mtime_ns) == (seen.st_ino, seen.st_mtime_ns)
    assert importlib.util.find_spec("tinypkg") is None  # and it never leaked into this process


@pytest.mark.parametrize("metadata_url", ["sqlite"], indirect=True)
def test_environment_is_part_of_the_cache_key(envs: Path) -> None:
    first = tiny("tinypkg==2.0").run()
    assert tiny("tinypkg==2.0").run().step("tiny_version").status == "cached"
    [planned] = tiny("tinypkg==1.0").plan().steps
    assert (planned.action, planned.reason) == ("run", "requirements changed; step environment changed")
    assert planned.cache_key != first.step("tiny_version").cache_key
    older = tiny("tinypkg==1.0").run()
    assert older.step("tiny_version").status == "succeeded"
    assert older.output("tiny_version").load() == {"version": "1.0", "label": "pinned"}
    assert older.step("tiny_version").attempts[-1]["environment"]["packages"]["tinypkg"] == "1.0"
    assert len(built(envs)) == 2


@pytest.mark.parametrize("metadata_url", ["sqlite"], indirect=True)
def test_environment_that_cannot_be_built_fails_the_step_and_leaves_nothing(envs: Path) -> None:
    with pytest.raises(mloop.RunFailed) as caught:
        tiny("tinypkg==3.0").run()
    error = caught.value.run.step("tiny_version").error
    assert error.startswith("step 'tiny_version' (steps_scaleout.tiny_version): ")
    assert "could not install tinypkg==3.0 with uv: " in error and "\n" not in error
    assert built(envs) == [] and [p for p in envs.iterdir() if p.is_dir()] == []


@pytest.mark.parametrize("metadata_url", ["sqlite"], indirect=True)
def test_missing_requirement_without_isolation_fails_before_the_run(workspace: Path) -> None:
    @mloop.pipeline(name="needs-tinypkg")
    def needs_tinypkg(trace: str):
        steps.touch(trace, name="first")
        steps.tiny_version.with_options(requirements=["tinypkg==2.0"])()

    with pytest.raises(mloop.ValidationError) as caught:
        needs_tinypkg.run(trace=str(workspace / "trace"))
    assert str(caught.value) == ("step 'tiny_version': tinypkg is not installed (wanted tinypkg==2.0); "
                                 "install it: pip install 'tinypkg==2.0'")
    assert not (workspace / "trace").exists()
    [record] = mloop.list_runs()
    assert record.status == "failed" and record.error == str(caught.value)


@pytest.mark.parametrize("metadata_url", ["sqlite"], indirect=True)
def test_wrong_installed_version_names_wanted_and_installed(workspace: Path) -> None:
    @mloop.pipeline(name="old-pandas")
    def old_pandas(trace: str):
        steps.touch.with_options(requirements=["pandas<1", "numpy>=1"])(trace)

    with pytest.raises(mloop.ValidationError) as caught:
        old_pandas.run(trace=str(workspace / "trace"))
    assert str(caught.value) == (f"step 'touch': pandas {version('pandas')} is installed but pandas<1 is wanted; "
                                 "install it: pip install 'pandas<1', or run the step with isolation='venv'")
    assert not (workspace / "trace").exists()
