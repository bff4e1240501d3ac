"""Fixtures of the scale-out tests: real `dask scheduler` and `dask worker` processes (started by
dask_processes.py), and tiny wheels (tinypkg 1.0 and 2.0) built here so isolated step
environments need no network.

The moto S3 server and PostgreSQL come from tests/conftest.py (`moto_s3`, `s3_url`, `pg_url`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from dask_processes import BIN, DaskCluster, offline_uv_env, start_cluster, worker_env

# ------------------------------------------------------------------------------ tiny wheels


@pytest.fixture(scope="session")
def find_links(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A find-links folder with tinypkg 1.0 and 2.0 (each a `VERSION` constant), built by `uv build`
    with uv's own build backend, which needs no download."""
    wheels = tmp_path_factory.mktemp("wheels")
    for version in ("1.0", "2.0"):
        source = tmp_path_factory.mktemp(f"tinypkg-{version}")
        (source / "src" / "tinypkg").mkdir(parents=True)
        (source / "src" / "tinypkg" / "__init__.py").write_text(f'VERSION = "{version}"\n')
        (source / "pyproject.toml").write_text(
            '[build-system]\nrequires = ["uv_build>=0.7"]\nbuild-backend = "uv_build"\n\n'
            f'[project]\nname = "tinypkg"\nversion = "{version}"\n'
        )
        subprocess.run([str(BIN / "uv"), "build", "--wheel", "--out-dir", str(wheels), str(source)],
                       env=offline_uv_env(wheels), check=True, capture_output=True)
    assert sorted(p.name for p in wheels.glob("*.whl")) == ["tinypkg-1.0-py3-none-any.whl",
                                                         "tinypkg-2.0-py3-none-any.whl"]
    return wheels


@pytest.fixture(scope="session")
def envs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MLOOP_ENVS_DIR shared by this process and the workers, as workers on one host share it."""
    return tmp_path_factory.mktemp("envs")


# ------------------------------------------------------------------------------ dask processes


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory, find_links: Path, envs_dir: Path) -> Iterator[DaskCluster]:
    """A real `dask scheduler` and two `dask worker` processes (w1, w2), each with 2 threads and
    resources CPU=2, MEMORY=4e9, running with this folder on their PYTHONPATH."""
    logs = tmp_path_factory.mktemp("dask")
    cluster = start_cluster(logs, worker_env(logs, find_links, envs_dir), ("w1", "w2"))
    yield cluster
    cluster.stop()


@pytest.fixture
def spare_cluster(tmp_path: Path, find_links: Path, envs_dir: Path) -> Iterator[
        tuple[dict[str, str], list[DaskCluster]]]:
    """For tests that break a scheduler: their own clusters, all stopped at the end. Yields the
    worker environment and the list the test appends the clusters it starts to."""
    started: list[DaskCluster] = []
    yield worker_env(tmp_path / "dask", find_links, envs_dir), started
    for cluster in started:
        cluster.stop()
