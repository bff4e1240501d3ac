"""Dask execution against real processes: a `dask scheduler` and two `dask worker` processes
(`dask_cluster`), a LocalCluster, PostgreSQL and a moto S3 server. Steps come from
steps_scaleout.py, which the workers import by name."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import steps_scaleout as steps
from dask_processes import DaskCluster, kill, start_cluster, wait_for_file, wait_for_workers

import mloop
from mloop.core.config import Settings
from mloop.pipeline.execution.runner import RunOptions, resume_run
from mloop.stores.workspace import Workspace, get_workspace


def workspace_at(root: Path, db_url: str | None = None, artifacts_url: str | None = None, **settings: Any) -> Workspace:
    """A project of its own: SQLite and a local artifact folder under `root` unless told otherwise
    (opened through get_workspace, so `fresh_workspaces` closes its connections)."""
    root.mkdir(parents=True, exist_ok=True)
    return get_workspace(Settings(root=root, db_url=db_url or f"sqlite:///{root}/mloop.db",
                                  artifacts_url=artifacts_url or str(root / "artifacts"), **settings))


def output_hashes(run: mloop.Run) -> dict[str, str]:
    """Every artifact a run consumed or produced, by step and name: what must not depend on where it ran."""
    hashes = {}
    for step_run in run.steps:
        hashes.update({f"{step_run.node}.{name}": a.id for name, a in step_run.outputs.items()})
        hashes.update({f"{step_run.node}<{name}": a.id for name, a in step_run.inputs.items()})
    return hashes


@pytest.fixture
def transactions(tmp_path: Path) -> Path:
    return steps.write_transactions(tmp_path / "tx.csv")


# ------------------------------------------------------------------------ same results anywhere


def test_real_scheduler_gives_the_thread_executors_hashes(dask_cluster: DaskCluster, transactions: Path,
                                                          tmp_path: Path) -> None:
    workspace = workspace_at(tmp_path / "project")
    here = steps.training.run(path=str(transactions), executor="thread", workspace=workspace)
    there = steps.training.run(path=str(transactions), executor="dask", address=dask_cluster.address,
                               cache=False, workspace=workspace)
    assert there.status == "succeeded"
    assert output_hashes(there) == output_hashes(here)
    assert len(output_hashes(here)) == 13  # 7 outputs and 6 inputs
    # every step ran in a worker process, not here
    places = {step_run.attempts[-1]["worker"] for step_run in there.steps}
    assert all(p.rsplit(":", 1)[0] == socket.gethostname() for p in places)
    assert {dask_cluster.worker_named(int(p.rsplit(":", 1)[1])) for p in places} <= {"w1", "w2"}
    assert os.getpid() not in {int(p.rsplit(":", 1)[1]) for p in places}
    assert there.output("evaluate").load() == here.output("evaluate").load()


@pytest.mark.postgres
def test_one_pipeline_three_places_identical_hashes(dask_cluster: DaskCluster, transactions: Path, tmp_path: Path,
                                                    pg_schema_url: str, s3_url: str, moto_s3: str) -> None:
    laptop = workspace_at(tmp_path / "laptop")  # in-process threads, SQLite, a local folder
    local_cluster = workspace_at(tmp_path / "local-cluster")
    # the cluster: PostgreSQL metadata, S3 artifacts, endpoint from the settings (as in mloop.yaml)
    cluster = workspace_at(tmp_path / "cluster", pg_schema_url, s3_url, s3_endpoint_url=moto_s3)
    runs = {
        "in-process": steps.training.run(path=str(transactions), executor="thread", workspace=laptop),
        "LocalCluster": steps.training.run(path=str(transactions), executor="dask", max_workers=2,
                                           workspace=local_cluster),
        "scheduler+workers": steps.training.run(path=str(transactions), executor="dask",
                                                address=dask_cluster.address, workspace=cluster),
    }
    hashes = {place: output_hashes(run) for place, run in runs.items()}
    assert hashes["LocalCluster"] == hashes["in-process"]
    assert hashes["scheduler+workers"] == hashes["in-process"]
    # and the cluster's record is complete: in PostgreSQL, its objects on S3
    recorded = mloop.get_run(runs["scheduler+workers"].id, cluster)
    assert recorded.status == "succeeded" and {s.status for s in recorded.steps} == {"succeeded"}
    assert recorded.output("train").uri.startswith(s3_url + "/objects/")
    assert cluster.artifacts.exists(recorded.output("split.test").id)
    assert recorded.output("evaluate").load() == runs["in-process"].output("evaluate").load()


# ------------------------------------------------------------------------------------ resources


def test_step_that_fits_a_worker_runs_there(dask_cluster: DaskCluster, tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    run = steps.fits.run(trace=str(trace), executor="dask", address=dask_cluster.address,
                         workspace=workspace_at(tmp_path / "project"))
    assert run.output("two_cpus").load() == 2
    [ran] = trace.glob("two_cpus.*")
    assert dask_cluster.worker_named(int(ran.read_text())) in ("w1", "w2")


@pytest.mark.parametrize(("pipeline", "request_text"), [
    (steps.too_big, "step 'sixty_four_cpus' asks for CPU=64"),
    (steps.needs_gpu, "step 'on_a_gpu' asks for GPU=1"),
], ids=["cpu", "gpu"])
def test_step_no_worker_can_hold_fails_before_anything_runs(dask_cluster: DaskCluster, tmp_path: Path,
                                                            pipeline: mloop.Pipeline, request_text: str) -> None:
    trace = tmp_path / "trace"
    workspace = workspace_at(tmp_path / "project")
    with pytest.raises(mloop.ValidationError) as caught:
        pipeline.run(trace=str(trace), executor="dask", address=dask_cluster.address, workspace=workspace)
    message = str(caught.value)
    assert re.fullmatch(re.escape(request_text) + r" but no Dask worker offers that; "
                        r"the largest worker \(w[12]\) has CPU=2, MEMORY=3\.7Gi", message)
    assert not trace.exists()  # not even the step that fits ran
    [record] = mloop.list_runs(workspace=workspace)
    run = mloop.get_run(record.id, workspace)
    assert run.status == "failed" and run.error == message
    assert {s.status for s in run.steps} == {"skipped"}
    assert all(s.attempts == [] for s in run.steps)


# ---------------------------------------------------------------------------------------- faults


class Background:
    """A pipeline run in a thread of this process, so the test can break things while it runs."""

    def __init__(self, target: Any) -> None:
        self.outcome: dict[str, Any] = {}
        self.thread = threading.Thread(target=self._run, args=(target,), daemon=True)
        self.thread.start()

    def _run(self, target: Any) -> None:
        try:
            self.outcome["result"] = target()
        except BaseException as exc:  # handed to the test by result()
            self.outcome["error"] = exc

    def result(self, timeout: float = 120) -> Any:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"the run did not end within {timeout:g} s"
        if "error" in self.outcome:
            raise self.outcome["error"]
        return self.outcome["result"]


def test_worker_killed_mid_step_reruns_it_on_the_other_worker(dask_cluster: DaskCluster, tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    workspace = workspace_at(tmp_path / "project")
    running = Background(lambda: steps.slow_chain_retried.run(trace=str(trace), seconds=4.0, executor="dask",
                                                              address=dask_cluster.address, workspace=workspace))
    first = wait_for_file(trace, "started.*")
    victim_pid = int(first.read_text())
    victim = dask_cluster.worker_named(victim_pid)
    assert victim in ("w1", "w2"), f"pid {victim_pid} is not a process of either dask worker"
    kill(victim_pid)
    run = running.result()
    assert run.status == "succeeded"
    assert run.output("total").load() == 20
    # the step started twice: in the killed process, then in the other worker
    pids = {int(p.read_text()) for p in trace.glob("started.*")}
    assert victim_pid in pids and len(pids) == 2
    [survivor_pid] = pids - {victim_pid}
    assert dask_cluster.worker_named(survivor_pid) == ({"w1", "w2"} - {victim}).pop()
    # no half-written artifact: nothing left in staging, every stored object complete and loadable
    store = workspace.artifacts
    assert list((store.root / "tmp").glob("*")) == []
    for step_run in run.steps:
        for artifact in step_run.outputs.values():
            assert artifact.load() is not None
    # the step run records every attempt: the one lost with its worker used the step's one retry
    host = socket.gethostname()
    step_run = run.step("slow_double")
    assert [(a["attempt"], a["status"], a["worker"]) for a in step_run.attempts] == [
        (1, "lost", f"{host}:{victim_pid}"), (2, "succeeded", f"{host}:{survivor_pid}")]
    executions = {e.worker: e.status for e in step_run.executions}
    assert executions == {f"{host}:{victim_pid}": "lost", f"{host}:{survivor_pid}": "succeeded"}
    wait_for_workers(dask_cluster.address, 2)  # the nanny restarted the killed worker: leave two


def test_worker_killed_with_no_retry_left_fails_the_step_naming_the_worker(
        dask_cluster: DaskCluster, tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    workspace = workspace_at(tmp_path / "project")
    running = Background(lambda: steps.slow_chain.run(trace=str(trace), seconds=4.0, executor="dask",
                                                      address=dask_cluster.address, workspace=workspace))
    victim_pid = int(wait_for_file(trace, "started.*").read_text())
    kill(victim_pid)
    with pytest.raises(mloop.RunFailed) as caught:
        running.result()
    run = caught.value.run
    host = socket.gethostname()
    step_run = run.step("slow_double")
    assert step_run.status == "failed" and run.step("total").status == "skipped"
    assert f"the worker running it ({host}:{victim_pid}) died, and retries=0 leaves no attempt" in step_run.error
    assert [(a["attempt"], a["status"], a["worker"]) for a in step_run.attempts] == [
        (1, "lost", f"{host}:{victim_pid}")]
    # the step ran once only: the scheduler's rerun on the other worker was refused before it started
    assert [p.read_text() for p in trace.glob("started.*")] == [str(victim_pid)]
    assert sorted(e.status for e in step_run.executions) == ["lost", "refused"]
    wait_for_workers(dask_cluster.address, 2)


def test_scheduler_lost_mid_run_fails_the_run_and_resume_finishes_it(
        spare_cluster: tuple[dict[str, str], list[DaskCluster]], tmp_path: Path) -> None:
    env, clusters = spare_cluster
    clusters.append(start_cluster(tmp_path / "first", env, ("lost-1",)))
    trace = tmp_path / "trace"
    workspace = workspace_at(tmp_path / "project")
    running = Background(lambda: steps.slow_chain.run(trace=str(trace), seconds=4.0, executor="dask",
                                                      address=clusters[0].address, workspace=workspace))
    wait_for_file(trace, "started.*")
    kill(clusters[0].scheduler.pid)
    with pytest.raises(mloop.RunFailed) as caught:
        running.result()
    run = caught.value.run
    assert run.status == "failed"
    assert re.fullmatch(r"step 'slow_double' could not run: BackendError: lost the connection to the Dask "
                        rf"scheduler at {clusters[0].address} \(.*scheduler-connection-lost\.\)", run.error)
    assert run.step("numbers").status == "succeeded"
    assert run.step("slow_double").status == "failed"
    assert run.step("total").status == "skipped"
    # later, on a new scheduler and worker
    clusters.append(start_cluster(tmp_path / "second", env, ("lost-2",)))
    resumed = mloop.get_run(resume_run(workspace, run.id, RunOptions(executor="dask", address=clusters[1].address)),
                            workspace)
    assert resumed.id == run.id and resumed.status == "succeeded"
    assert resumed.output("total").load() == 20
    assert resumed.step("numbers").attempts == run.step("numbers").attempts  # reused, not rerun
    assert [a["status"] for a in resumed.step("slow_double").attempts] == ["failed", "succeeded"]


# ------------------------------------------------------------------------- stores and requirements


def test_probe_tells_a_remote_worker_what_it_cannot_use(dask_cluster: DaskCluster, tmp_path: Path, s3_url: str,
                                                       moto_s3: str, pg_url: str) -> None:
    """Every worker here shares this host, so the probe is asked as if the run came from another one."""
    from distributed import Client

    from mloop.pipeline.execution.executors.dask import _probe_stores

    sqlite, folder = f"sqlite:///{tmp_path}/mloop.db", str(tmp_path / "artifacts")
    postgres = pg_url
    unreachable = "postgresql+psycopg://mloop@127.0.0.1:9/mloop"
    with Client(dask_cluster.address, timeout="10s", set_as_default=False) as client:
        no_database = client.run(_probe_stores, unreachable, s3_url, "laptop", {"endpoint_url": moto_s3})
        from_laptop = client.run(_probe_stores, sqlite, folder, "laptop")
        shared_db_local_folder = client.run(_probe_stores, postgres, f"file://{folder}", "laptop")
        shared_db_s3 = client.run(_probe_stores, postgres, s3_url, "laptop", {"endpoint_url": moto_s3})
        same_host = client.run(_probe_stores, sqlite, folder, socket.gethostname())
    assert len(from_laptop) == 2
    assert all(problem.startswith("cannot reach the metadata store postgresql+psycopg://mloop@127.0.0.1:9/mloop: ")
               for problem in no_database.values())
    assert set(from_laptop.values()) == {
        f"cannot use the SQLite database {sqlite} of host laptop; point every machine at PostgreSQL: "
        "MLOOP_DB_URL=postgresql+psycopg://user@host:5432/mloop"}
    assert set(shared_db_local_folder.values()) == {
        f"cannot use the local artifact folder file://{folder} of host laptop; use shared storage: "
        "MLOOP_ARTIFACTS_URL=s3://bucket/prefix"}
    assert set(shared_db_s3.values()) == {None}
    assert set(same_host.values()) == {None}


def test_store_no_worker_can_reach_fails_the_run_before_any_step(dask_cluster: DaskCluster, tmp_path: Path,
                                                                 s3_url: str) -> None:
    trace = tmp_path / "trace"
    # the endpoint in mloop.yaml (nothing listens there) travels to the workers with the run
    workspace = workspace_at(tmp_path / "project", artifacts_url=s3_url, s3_endpoint_url="http://127.0.0.1:9")
    with pytest.raises(mloop.ConfigError) as caught:
        steps.fits.run(trace=str(trace), executor="dask", address=dask_cluster.address, workspace=workspace)
    # this machine cannot reach it either, so it is refused before a run is recorded (issue 7, defect 3)
    assert re.fullmatch(rf"artifact store {s3_url} is not usable: cannot write to it \(EndpointConnectionError: "
                        rf".*http://127\.0\.0\.1:9/.*\); set MLOOP_ARTIFACTS_URL or artifacts_url in mloop\.yaml "
                        rf"to a writable bucket and prefix", str(caught.value))
    assert not trace.exists()
    assert mloop.list_runs(workspace=workspace) == []


def test_requirements_are_checked_on_the_workers_before_the_run(dask_cluster: DaskCluster, tmp_path: Path) -> None:
    @mloop.pipeline(name="needs-tinypkg")
    def needs_tinypkg(trace: str):
        steps.touch(trace, name="first")
        steps.tiny_version.with_options(requirements=["tinypkg==2.0"])()

    trace = tmp_path / "trace"
    with pytest.raises(mloop.ValidationError) as caught:
        needs_tinypkg.run(trace=str(trace), executor="dask", address=dask_cluster.address,
                          workspace=workspace_at(tmp_path / "project"))
    assert re.fullmatch(r"on Dask worker tcp://127\.0\.0\.1:\d+: step 'tiny_version': tinypkg is not installed "
                        r"\(wanted tinypkg==2\.0\); install it: pip install 'tinypkg==2\.0'", str(caught.value))
    assert not trace.exists()


# ---------------------------------------------------------------------------------------- the CLI


CLI_PIPELINE = """
name: cli-on-dask
parameters: {{trace: {trace}}}
steps:
  - name: first
    uses: steps_scaleout:touch
    parameters: {{trace: "${{params.trace}}", name: first}}
  - name: wide
    uses: steps_scaleout:touch
    parameters: {{trace: "${{params.trace}}", name: wide}}
    resources: {{cpu: {cpu}, memory: 1Gi}}
    depends_on: [first]
  - name: isolated
    uses: steps_scaleout:tiny_version
    parameters: {{label: on a worker}}
    isolation: venv
    requirements: [tinypkg==2.0]
"""


def mloop_cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The `mloop` console script of this virtualenv, as a user types it."""
    return subprocess.run([str(Path(sys.executable).with_name("mloop")), *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=180, check=False)


def test_cli_runs_a_yaml_pipeline_on_the_cluster(dask_cluster: DaskCluster, tmp_path: Path, find_links: Path,
                                                 envs_dir: Path) -> None:
    project, trace = tmp_path / "project", tmp_path / "trace"
    project.mkdir()
    (project / "pipeline.yaml").write_text(CLI_PIPELINE.format(trace=trace, cpu=2))
    (project / "too_big.yaml").write_text(CLI_PIPELINE.format(trace=trace, cpu=64))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOOP_")}
    env.update(MLOOP_HOME=str(project), COLUMNS="250", MLOOP_ENVS_DIR=str(envs_dir), UV_FIND_LINKS=str(find_links),
               PYTHONPATH=os.pathsep.join([str(Path(steps.__file__).parent), env.get("PYTHONPATH", "")]))

    done = mloop_cli("run", "pipeline.yaml", "--executor", "dask", "--address", dask_cluster.address,
                     cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert "succeeded" in done.stdout
    workspace = workspace_at(project, f"sqlite:///{project}/.mloop/mloop.db", str(project / ".mloop" / "artifacts"))
    [record] = mloop.list_runs(workspace=workspace)
    run = mloop.get_run(record.id, workspace)
    assert run.output("isolated").load() == {"version": "2.0", "label": "on a worker"}
    assert run.step("isolated").attempts[-1]["environment"]["packages"]["tinypkg"] == "2.0"
    assert {dask_cluster.worker_named(int(p.read_text())) for p in trace.glob("*.*")} <= {"w1", "w2"}
    assert {p.name.split(".")[0] for p in trace.glob("*.*")} == {"first", "wide"}

    # the executor and address from the environment instead; a step no worker can hold
    env.update(MLOOP_EXECUTOR="dask", MLOOP_ADDRESS=dask_cluster.address)
    refused = mloop_cli("run", "too_big.yaml", cwd=project, env=env)
    assert refused.returncode == 2
    assert re.fullmatch(r"error: step 'wide' asks for CPU=64, MEMORY=1\.0Gi but no Dask worker offers that; "
                        r"the largest worker \(w[12]\) has CPU=2, MEMORY=3\.7Gi\n", refused.stderr), refused.stderr
