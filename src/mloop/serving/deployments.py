"""Deployments as the metadata store records them: started by `mloop serve` (and the batch and
stream scorers), a heartbeat while they run, every swap and refused candidate, and their stop."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mloop.core.clock import utcnow
from mloop.core.errors import NotFoundError
from mloop.core.ids import new_id
from mloop.stores.metadata.deployments import DeploymentEvent, DeploymentRecord, RequestCounts
from mloop.stores.workspace import Workspace, get_workspace

if TYPE_CHECKING:
    from mloop.serving.router import SwapEvent

#: how often a running deployment says it is alive; one silent for STALE_AFTER is "lost"
HEARTBEAT_SECONDS = 15.0
STALE_AFTER = 60.0


def start_deployment(model: str, follows: str, version: str, *, mode: str, url: str,
                     traffic: dict[str, Any] | None = None, workspace: Workspace | None = None) -> str:
    """Record a deployment that starts now; its id."""
    workspace = workspace or get_workspace()
    now = utcnow()
    deployment_id = new_id()
    workspace.deployments.start(DeploymentRecord(
        id=deployment_id, model=model, follows=follows, mode=mode, version=version, traffic=traffic or {}, url=url,
        host=socket.gethostname(), pid=os.getpid(), status="running", started_at=now, stopped_at=None,
        heartbeat_at=now))
    return deployment_id


def records_swaps(deployment_id: str) -> bool:
    """Whether this process records the deployment's swaps: with `--workers N` every worker swaps on
    its own, and one of them (the holder of a lock file, for its lifetime; the kernel frees it when
    the process dies, and a restarted worker takes it) writes the record, so it is written once."""
    import tempfile

    try:
        import fcntl
    except ImportError:  # no flock (Windows): every worker records
        return True
    held = _RECORDER.get(deployment_id)
    if held is not None:
        return True
    path = Path(tempfile.gettempdir()) / f"mloop-deployment-{deployment_id}.lock"
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    if not _RECORDER:
        import atexit

        atexit.register(_release_recorders)
    _RECORDER[deployment_id] = handle
    return True


_RECORDER: dict[str, Any] = {}


def _release_recorders() -> None:
    """Close the held lock files at exit (the kernel would free them too, but quietly)."""
    for handle in _RECORDER.values():
        handle.close()
    _RECORDER.clear()


def record_swap(deployment_id: str, event: SwapEvent, workspace: Workspace | None = None) -> None:
    if not records_swaps(deployment_id):
        return
    store = (workspace or get_workspace()).deployments
    store.add_event(DeploymentEvent(deployment_id, utcnow(), "swap" if event.switched else "refused", event.role,
                                    event.from_version, event.to_version, event.reason))
    if event.switched and event.role == "primary":
        store.set_version(deployment_id, event.to_version)


def stop_deployment(deployment_id: str, workspace: Workspace | None = None) -> None:
    (workspace or get_workspace()).deployments.stop(deployment_id, utcnow())


class Heartbeat:
    """Tells the store every HEARTBEAT_SECONDS that the deployment is alive, from a daemon thread,
    with the requests answered since the previous beat (`counts()`: the model, the version
    serving, and the process's running totals of requests, 4xx and 5xx answers)."""

    def __init__(self, deployment_id: str, workspace: Workspace,
                 counts: Callable[[], tuple[str, str, Sequence[int]]] | None = None) -> None:
        self._id, self._workspace, self._counts = deployment_id, workspace, counts
        self._sent = (0, 0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mloop-deployment-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.beat()
            except Exception:  # the database is away for a moment: the next beat will do
                continue
        try:
            self.write_counts(utcnow())  # what was answered since the last beat
        except Exception:
            return

    def beat(self) -> None:
        now = utcnow()
        self._workspace.deployments.beat(self._id, now)
        self.write_counts(now)

    def write_counts(self, at: datetime) -> None:
        """Record the requests answered since the last call (nothing when there were none)."""
        if self._counts is None:
            return
        model, version, totals = self._counts()
        now = (int(totals[0]), int(totals[1]), int(totals[2]))
        delta = RequestCounts(*(n - sent for n, sent in zip(now, self._sent, strict=True)))
        if delta.requests:
            self._workspace.deployments.add_counts(self._id, model, version, at, delta)
        self._sent = now

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)


def list_deployments(model: str | None = None, *, running_only: bool = False, limit: int = 100,
                     workspace: Workspace | None = None) -> list[DeploymentRecord]:
    """Deployments, newest first; a running one whose process died is "lost"."""
    return (workspace or get_workspace()).deployments.list_deployments(
        model=model, running_only=running_only, stale_after=STALE_AFTER, limit=limit)


def get_deployment(deployment_id: str, workspace: Workspace | None = None
                   ) -> tuple[DeploymentRecord, list[DeploymentEvent]]:
    """A deployment (any unique id prefix of 4 or more characters) and its events."""
    workspace = workspace or get_workspace()
    store = workspace.deployments
    found = store.get_deployment(deployment_id, stale_after=STALE_AFTER)
    if found is None and len(deployment_id) >= 4:
        matches = [d for d in store.list_deployments(stale_after=STALE_AFTER, limit=10_000)
                   if d.id.startswith(deployment_id)]
        found = matches[0] if len(matches) == 1 else None
    if found is None:
        raise NotFoundError(f"no deployment {deployment_id!r}; list them with: mloop deployments list")
    return found, store.events(found.id)
