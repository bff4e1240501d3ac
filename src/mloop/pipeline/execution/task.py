"""One execution of one step, self-contained so it can run in a thread, a process or on a
remote worker: inputs arrive as artifact references and outputs leave as references."""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import gzip
import os
import shutil
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mloop.core.errors import DataCheckFailed, MloopError, StepFailed, StepTimeoutError
from mloop.core.hashing import hash_file
from mloop.core.imports import resolve
from mloop.pipeline.execution import logs
from mloop.stores.artifacts import ArtifactStore, StoredObject, load_object, save_object
from mloop.stores.opened import artifact_store, metadata_stores

LOST_REASON = "its worker died before the step finished"
#: called as hook(task, result) after a step's function returned or raised, inside the task's
#: context; higher layers (tracking) register here to flush what the step recorded
TASK_END_HOOKS: list[Callable[[StepTask, TaskResult], None]] = []
_CURRENT_TASK: contextvars.ContextVar[StepTask | None] = contextvars.ContextVar("mloop_task", default=None)


@dataclass
class StepTask:
    run_id: str
    step_run_id: str
    node: str
    uses: str
    source_file: str | None
    artifacts_url: str
    #: input name -> (digest, materializer) or a list of them, or ("data", digest)
    inputs: dict[str, Any]
    params: dict[str, Any]
    outputs: tuple[str, ...]
    materializers: dict[str, str]
    timeout: float | None
    log_path: str
    attempt: int = 1
    #: where the run's metadata lives, for code in the step that records things (tracking)
    metadata_url: str = ""
    isolation: str = "none"
    requirements: tuple[str, ...] = ()
    artifacts_options: dict[str, str] = field(default_factory=dict)
    #: remote executors: the worker records its own execution (so one lost with its worker shows)
    record_execution: bool = False
    #: executions this step run may use (retries + 1), counted from attempt `first_attempt` (a
    #: resumed run starts its budget afresh): a rerun after a worker died uses one
    max_executions: int = 1
    first_attempt: int = 1
    function: Any = field(default=None, repr=False)  # the Step itself when running in-process
    #: in-process only: input objects handed over directly by their producer (skips a load)
    preloaded: dict[str, Any] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["function"] = None  # resolved again by reference in the other process
        state["preloaded"] = {}
        return state


@dataclass
class TaskResult:
    """What came of a task. A step that raised is a result with `error` set, not an exception:
    the log and the message must reach the orchestrator from any worker."""

    outputs: dict[str, StoredObject]
    started: float
    ended: float
    error: str | None = None
    traceback: str | None = None
    log_digest: str | None = None
    #: the environment an isolated step ran in (packages), recorded with its attempt
    environment: dict[str, Any] | None = None
    #: where it ran (host:pid), recorded with its attempt
    worker: str = ""
    #: remote only: earlier executions of this attempt whose worker died (each used a retry)
    lost: list[dict[str, Any]] = field(default_factory=list)
    #: remote only: not run at all, because dead workers had used up the step's retries
    refused: bool = False
    #: in-process only: the output objects themselves, so a sole consumer can skip loading them
    objects: dict[str, Any] = field(default_factory=dict, repr=False)
    #: the step failed a data check (`DataCheckFailed`): no retry, and `outputs` holds what it left
    final: bool = False

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["objects"] = {}
        return state


def current_task() -> StepTask | None:
    """The step execution this code runs inside, if any (for tracking calls in a step)."""
    return _CURRENT_TASK.get()


def execute_task(task: StepTask) -> TaskResult:
    """Load inputs, run the step's function with its log captured, store its outputs."""
    if task.isolation == "venv":
        return _execute_isolated(task)
    started = time.time()
    store = artifact_store(task.artifacts_url, task.artifacts_options)
    result = TaskResult(outputs={}, started=started, ended=started, worker=f"{socket.gethostname()}:{os.getpid()}")
    execution = _start_execution(task, result) if task.record_execution else None
    if result.refused:
        return result
    logs.install()
    try:
        with logs.capture(Path(task.log_path)) as log:
            token = _CURRENT_TASK.set(task)
            try:
                function = task.function or resolve(task.uses, task.source_file)
                function = getattr(function, "fn", function)
                kwargs = {name: task.preloaded[name] if name in task.preloaded else _load_input(store, ref)
                          for name, ref in task.inputs.items()}
                kwargs.update(task.params)
                value = _call(function, kwargs, task)
                outputs = _split_outputs(value, task)
                result.outputs = {
                    name: save_object(store, obj, task.materializers.get(name)) for name, obj in outputs.items()
                }
                if task.function is not None:
                    result.objects = outputs
            except DataCheckFailed as exc:
                result.error, result.final = f"step {task.node!r}: {exc}", True
                result.outputs = _save_left_outputs(store, exc, task)
                log.write(f"mloop: {result.error}\n")
            except Exception as exc:
                result.error = describe_failure(exc, task)
                result.traceback = "".join(traceback.format_exception(exc))
                log.write(result.traceback)
            finally:
                for hook in TASK_END_HOOKS:
                    try:
                        hook(task, result)
                    except Exception as exc:  # a bookkeeping failure must not hide the step's outcome
                        log.write(f"mloop: task end hook {hook!r} failed: {exc}\n")
                _CURRENT_TASK.reset(token)
        result.log_digest = _store_log(store, log)
    finally:
        logs.uninstall()
        if execution is not None:
            _end_execution(task, execution, result)
    result.ended = time.time()
    return result


def _save_left_outputs(store: ArtifactStore, exc: DataCheckFailed, task: StepTask) -> dict[str, StoredObject]:
    """The outputs a failed data check leaves (its report), stored under the step's output names."""
    left = dict(exc.outputs)
    if len(task.outputs) == 1 and len(left) == 1:
        left = {task.outputs[0]: next(iter(left.values()))}
    return {name: save_object(store, obj, task.materializers.get(name))
            for name, obj in left.items() if name in task.outputs}


def _start_execution(task: StepTask, result: TaskResult) -> str | None:
    """Record this execution. When the scheduler runs the attempt again because its worker died,
    that rerun is a retry: it gets `result.lost` filled in, and is refused (`result.refused`,
    with the reason as its error) once the step's retries are used up."""
    from mloop.core.clock import utcnow
    from mloop.core.ids import new_id
    from mloop.stores.metadata import StepExecutionRecord

    execution_id = new_id()
    store = metadata_stores(task.metadata_url).runs
    try:
        earlier = store.start_execution(
            StepExecutionRecord(execution_id, task.step_run_id, task.attempt, result.worker, "running", utcnow()),
            LOST_REASON)
    except Exception:  # bookkeeping must not stop the step; the orchestrator still records the attempt
        return None
    result.lost = [e.as_attempt() for e in earlier if e.attempt == task.attempt and e.status == "lost"]
    if sum(e.attempt >= task.first_attempt for e in earlier) >= task.max_executions:
        result.refused = True
        result.error = (f"step {task.node!r}: the worker running it ({result.lost[-1]['worker'] if result.lost else '?'}) "
                        f"died, and retries={task.max_executions - 1} leaves no attempt to run it again; "
                        "raise retries= on the step, or see the worker's log for why it died")
        with contextlib.suppress(Exception):
            store.end_execution(execution_id, "refused", result.error)
        result.ended = time.time()
    return execution_id


def _end_execution(task: StepTask, execution_id: str, result: TaskResult) -> None:
    with contextlib.suppress(Exception):
        metadata_stores(task.metadata_url).runs.end_execution(
            execution_id, "failed" if result.error else "succeeded", result.error)


def _execute_isolated(task: StepTask) -> TaskResult:
    from mloop.pipeline.execution.isolation import run_isolated

    started = time.time()
    try:
        result: TaskResult = run_isolated(task, list(task.requirements))
    except Exception as exc:
        return TaskResult(outputs={}, started=started, ended=time.time(), error=describe_failure(exc, task))
    return result


def _store_log(store: ArtifactStore, log: logs.StepLog) -> str | None:
    if not log.has_output:
        log.close(None)
        return None
    staging = store.staging_dir()
    target = staging / "log.gz"
    log.close(target)
    digest = hash_file(target)
    store.put(target, digest)
    return digest


def store_partial_log(store: ArtifactStore, path: Path) -> str | None:
    """Store what a step still running has written to its log so far (rotated parts, oldest
    first, then the live file); the digest, or None when it wrote nothing here."""
    parts = sorted(path.parent.glob(f"{path.name}.*"), key=lambda p: -int(p.suffix[1:]))
    parts = [p for p in parts if p.suffix[1:].isdigit()] + ([path] if path.is_file() else [])
    if not parts:
        return None
    target = store.staging_dir() / "log.gz"
    with open(target, "wb") as raw:
        for part in parts:
            with open(part, "rb") as source, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as member:
                shutil.copyfileobj(source, member)
    digest = hash_file(target)
    store.put(target, digest)
    return digest


def _load_input(store: ArtifactStore, ref: Any) -> Any:
    kind = ref[0]
    if kind == "data":
        return store.local_path(ref[1])
    if kind == "list":
        return [_load_input(store, item) for item in ref[1]]
    return load_object(store, ref[1], ref[2])


def _call(function: Any, kwargs: dict[str, Any], task: StepTask) -> Any:
    if task.timeout is None:
        return function(**kwargs)
    # Run in a helper thread so the deadline can be enforced; on expiry the thread is asked to
    # stop by an asynchronous exception (delivered when it next runs Python bytecode).
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()

    def target() -> None:
        try:
            outcome["value"] = context.run(function, **kwargs)
        except BaseException as exc:  # handed to the caller below
            outcome["error"] = exc

    worker = threading.Thread(target=target, name=f"mloop-step-{task.node}", daemon=True)
    worker.start()
    worker.join(task.timeout)
    if worker.is_alive():
        if worker.ident is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(SystemExit))
        raise StepTimeoutError(f"step {task.node!r} timed out after {task.timeout:g} s", step=task.node)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _split_outputs(value: Any, task: StepTask) -> dict[str, Any]:
    if len(task.outputs) == 1:
        return {task.outputs[0]: value}
    if not isinstance(value, (tuple, list)) or len(value) != len(task.outputs):
        got = f"{type(value).__name__} of length {len(value)}" if isinstance(value, (tuple, list)) else type(value).__name__
        raise StepFailed(
            f"step {task.node!r} ({task.uses.replace(':', '.')}) declares outputs {list(task.outputs)} but returned "
            f"a {got}; return a tuple of {len(task.outputs)} values", step=task.node)
    return dict(zip(task.outputs, value, strict=True))


def describe_failure(exc: BaseException, task: StepTask) -> str:
    if isinstance(exc, StepFailed):
        return str(exc)
    if isinstance(exc, MloopError):  # mloop's own check on what the step did, e.g. an unstorable output
        return f"step {task.node!r} ({task.uses.replace(':', '.')}): {exc}"
    return f"step {task.node!r} ({task.uses.replace(':', '.')}) raised {type(exc).__name__}: {exc}"
