"""Steps as Dask tasks, on a LocalCluster or an existing scheduler (`tcp://host:8786`).

A task carries artifact references, never data: the worker reads inputs from and writes
outputs to the artifact store itself. Step resources map to Dask worker resources
(`dask worker --resources "CPU=4,MEMORY=16e9,GPU=1"`), so a step lands only where it fits.
A worker that dies mid-step makes the scheduler run the task again on another worker.
"""

from __future__ import annotations

import concurrent.futures
import os
import socket
from typing import Any

from mloop.core.errors import BackendError, ConfigError, ValidationError, missing_extra
from mloop.pipeline.definition.graph import Node
from mloop.pipeline.execution.task import StepTask, TaskResult, execute_task
from mloop.stores.metadata.engine import redact
from mloop.stores.workspace import Workspace

RESOURCE_NAMES = {"cpu": "CPU", "memory": "MEMORY", "gpu": "GPU"}


class DaskExecutor:
    name = "dask"
    shares_memory = False
    workers_record_executions = True
    places_by_resources = True

    def __init__(self, max_workers: int, address: str = "") -> None:
        try:
            from distributed import Client, LocalCluster
        except ModuleNotFoundError as exc:
            raise missing_extra("distributed", "dask") from exc
        self.address = address
        self.cluster: Any = None
        self._workers: dict[str, dict[str, Any]] | None = None
        try:
            if address:
                self.client = Client(address, timeout="10s", set_as_default=False)
            else:
                workers = max(1, min(max_workers, os.cpu_count() or 1))
                threads = max(1, max_workers // workers)
                memory = _total_memory() // workers
                # ":0", not None: None still binds the scheduler's HTTP server to 8787 and warns when
                # another scheduler on this machine holds that port
                self.cluster = LocalCluster(
                    n_workers=workers, threads_per_worker=threads, processes=True, dashboard_address=":0",
                    resources={"CPU": threads, "MEMORY": memory}, memory_limit=memory,
                )
                self.client = Client(self.cluster, set_as_default=False)
        except OSError as exc:
            raise BackendError(f"cannot reach the Dask scheduler at {address or 'a new LocalCluster'}: {exc}; "
                               "start one with: dask scheduler (and dask worker tcp://HOST:8786)") from exc

    # ------------------------------------------------------------------ checks
    def workers(self) -> dict[str, dict[str, Any]]:
        info = self.client.scheduler_info(n_workers=-1)
        return dict(info.get("workers", {}))

    def preflight(self, nodes: list[Node], workspace: Workspace) -> None:
        """Refuse, before anything runs, a step no worker can hold and stores no worker can reach."""
        workers = self._workers = self.workers()
        if not workers:
            raise BackendError(f"the Dask scheduler at {self.address} has no workers; start one with: "
                               f"dask worker {self.address}")
        for node in nodes:
            self._check_fits(node, workers)
        if self.address:
            self._check_reachable(workspace.settings.db_url, workspace.artifacts.url,
                                  workspace.settings.artifacts_options)
        needs = [(n.name, list(n.spec.requirements)) for n in nodes if n.spec.isolation == "none" and n.spec.requirements]
        if needs:
            for worker, problem in sorted(self.client.run(_requirement_problem, needs).items()):
                if problem:
                    raise ValidationError(f"on Dask worker {worker}: {problem}")

    def _check_fits(self, node: Node, workers: dict[str, dict[str, Any]]) -> None:
        wanted = self.resources_for(node.spec.resources, workers)
        if not wanted:
            return
        for worker in workers.values():
            offered = worker.get("resources", {})
            if all(offered.get(name, 0) >= amount for name, amount in wanted.items()):
                return
        largest = max(workers.values(), key=lambda w: sorted(w.get("resources", {}).items()))
        raise ValidationError(
            f"step {node.name!r} asks for {_describe(wanted)} but no Dask worker offers that; "
            f"the largest worker ({largest.get('name') or largest.get('id')}) has "
            f"{_describe(largest.get('resources', {})) or 'no declared resources'}"
        )

    def resources_for(self, resources: dict[str, float], workers: dict[str, dict[str, Any]] | None = None
                      ) -> dict[str, float]:
        """The Dask resources a step needs: only kinds some worker declares, except gpu, which
        is always required (a GPU step must never land on a worker without one). On a LocalCluster
        (this machine split into workers) cpu and memory are capped at the biggest worker's, as the
        local executors run a step bigger than their pool alone: what runs here runs there."""
        workers = workers if workers is not None else self.workers()
        declared: dict[str, float] = {}
        for worker in workers.values():
            for name, amount in worker.get("resources", {}).items():
                declared[name] = max(declared.get(name, 0), amount)
        wanted = {}
        for key, amount in resources.items():
            name = RESOURCE_NAMES[key]
            if amount and (name in declared or key == "gpu"):
                wanted[name] = min(amount, declared[name]) if self.cluster is not None and key != "gpu" else amount
        return wanted

    def _check_reachable(self, metadata_url: str, artifacts_url: str, artifacts_options: dict[str, str]) -> None:
        here = socket.gethostname()
        problems = self.client.run(_probe_stores, metadata_url, artifacts_url, here, artifacts_options)
        for worker, problem in sorted(problems.items()):
            if problem:
                raise ConfigError(f"Dask worker {worker}: {problem}")

    # --------------------------------------------------------------- execution
    def submit(self, task: StepTask, resources: dict[str, float] | None = None) -> concurrent.futures.Future[TaskResult]:
        bridge: concurrent.futures.Future[TaskResult] = concurrent.futures.Future()
        try:
            wanted = self.resources_for(resources or {}, self._workers) if resources else {}
            future = self.client.submit(execute_task, task, key=f"mloop-{task.node}-{task.step_run_id}-{task.attempt}",
                                        pure=False, resources=wanted or None, retries=0)
        except Exception as exc:
            bridge.set_exception(BackendError(f"could not submit step {task.node!r} to Dask: {exc}"))
            return bridge

        def transfer(done: Any) -> None:
            try:
                bridge.set_result(done.result())
            except BaseException as exc:  # KilledWorker, CancelledError, lost scheduler ...
                bridge.set_exception(self._backend_error(exc))

        future.add_done_callback(transfer)
        bridge.dask_future = future  # type: ignore[attr-defined]  # keeps it alive until it resolves
        return bridge

    def _backend_error(self, exc: BaseException) -> BackendError:
        """Why a task did not finish, in one line (Dask's messages run over several), saying which
        side failed; the runner records it as the step's error."""
        lines = str(exc).strip().splitlines()
        reason = f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")
        where = self.address or "the LocalCluster"
        if "scheduler-connection-lost" in str(exc) or self.client.status not in ("running", "connecting"):
            message = f"lost the connection to the Dask scheduler at {where} ({reason})"
        elif type(exc).__name__ == "KilledWorker":
            message = f"every Dask worker that ran it died ({reason}); see the worker logs"
        else:
            message = f"Dask could not run it ({reason})"
        error = BackendError(message)
        error.__cause__ = exc
        return error

    def shutdown(self, wait: bool = True) -> None:
        # running tasks are not waited for either way: closing the client releases their futures
        timeout = 10 if wait else 2
        try:
            self.client.close(timeout=timeout)
        finally:
            if self.cluster is not None:
                self.cluster.close(timeout=timeout)


def _requirement_problem(steps: list[tuple[str, list[str]]]) -> str | None:
    from mloop.pipeline.execution.requirements import requirement_problems

    for name, requirements in steps:
        problems = requirement_problems(requirements)
        if problems:
            return f"step {name!r}: {problems[0]}"
    return None


def _probe_stores(metadata_url: str, artifacts_url: str, client_host: str,
                  artifacts_options: dict[str, str] | None = None) -> str | None:
    """Runs on each worker: can it use the stores the run points at? None, or the problem. A
    store that says it is not reachable from another machine is refused on any other host;
    the others are opened as the tasks will open them and asked a cheap question."""
    from mloop.stores.artifacts import open_artifact_store
    from mloop.stores.metadata import open_metadata_stores

    host = socket.gethostname()
    metadata = open_metadata_stores(metadata_url)  # no I/O until asked
    try:
        if not metadata.supports_remote_access:
            if host != client_host:
                return (f"cannot use the SQLite database {metadata_url} of host {client_host}; point every machine "
                        "at PostgreSQL: MLOOP_DB_URL=postgresql+psycopg://user@host:5432/mloop")
        else:
            try:
                metadata.runs.running_runs()
            except Exception as exc:
                reason = str(getattr(exc.__cause__ or exc, "orig", None) or exc)
                return f"cannot reach the metadata store {redact(metadata_url)}: {reason.strip().splitlines()[0]}"
    finally:
        metadata.close()
    try:
        artifacts = open_artifact_store(artifacts_url, artifacts_options)
        if not artifacts.supports_remote_access:
            if host != client_host:
                return (f"cannot use the local artifact folder {artifacts_url} of host {client_host}; use shared "
                        "storage: MLOOP_ARTIFACTS_URL=s3://bucket/prefix")
            return None
        artifacts.exists("0" * 64)
    except Exception as exc:
        return f"cannot reach the artifact store {artifacts_url}: {exc}"
    return None


def _describe(resources: dict[str, float]) -> str:
    parts = []
    for name, amount in sorted(resources.items()):
        parts.append(f"{name}={amount / 2**30:.1f}Gi" if name == "MEMORY" else f"{name}={amount:g}")
    return ", ".join(parts)


def _total_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30
