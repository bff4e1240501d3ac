"""`mloop.resume_run`: finish a failed or interrupted run in place, reusing what succeeded."""

from __future__ import annotations

from collections.abc import Callable

from mloop.pipeline.execution import runner
from mloop.pipeline.results.runs import Run
from mloop.stores.workspace import Workspace, get_workspace


def resume_run(run_id: str, *, cache: bool = True, executor: str | None = None, max_workers: int | None = None,
               address: str | None = None, on_progress: Callable[[str, str], None] | None = None,
               workspace: Workspace | None = None) -> Run:
    """Execute again only the steps of a failed or interrupted run (id or unique prefix) that
    failed or never ran, in the same run, and return it whatever its status.

    `on_progress(node, status)` is called on every step state change."""
    workspace = workspace or get_workspace()
    options = runner.RunOptions(cache=cache, executor=executor, max_workers=max_workers, address=address,
                                on_event=on_progress)
    return Run.load(runner.resume_run(workspace, run_id, options), workspace)
