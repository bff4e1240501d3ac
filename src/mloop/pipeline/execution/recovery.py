"""Runs whose process died without saying so: found and marked `interrupted`, so that
`mloop runs resume` can finish them."""

from __future__ import annotations

import os
import socket

from mloop.core.clock import utcnow
from mloop.stores.workspace import Workspace

HOST = socket.gethostname()


def recover_interrupted(workspace: Workspace, stale_after: float = 5 * 60) -> list[str]:
    """Mark runs whose process died (same host, pid gone) or went silent as interrupted."""
    marked = []
    now = utcnow()
    for run in workspace.runs.running_runs():
        dead = run.host == HOST and not _alive(run.pid)
        silent = run.heartbeat_at is not None and (now - run.heartbeat_at).total_seconds() > stale_after
        hint = f"; resume with: mloop runs resume {run.id}" if getattr(run, "kind", "pipeline") == "pipeline" else ""
        if (dead or silent) and workspace.runs.mark_run_interrupted(
            run.id, f"interrupted: its process ({run.host} pid {run.pid}) stopped{hint}"
        ):
            marked.append(run.id)
    return marked


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
