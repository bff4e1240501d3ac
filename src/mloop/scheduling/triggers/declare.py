"""Triggers: declaring, listing and removing them."""

from __future__ import annotations

from mloop.core.clock import utcnow
from mloop.core.errors import NotFoundError, ValidationError
from mloop.scheduling.schedules import check_job, check_name, job_of
from mloop.scheduling.triggers import trigger_kind
from mloop.stores.metadata.schedules import FireRecord, TriggerRecord
from mloop.stores.workspace import Workspace, get_workspace


def add_trigger(name: str, *, new_data: str | None = None, on_alert: str | None = None, pipeline: str | None = None,
                function: str | None = None, monitor: str | None = None, arguments: dict[str, object] | None = None,
                param_name: str | None = None, folder: str = "", workspace: Workspace | None = None) -> TriggerRecord:
    """Start a job on an event: `new_data` (a folder, glob pattern or fsspec URL: each new file,
    not there when the trigger was added, starts the job with the new paths as the argument
    `param_name`, default "files") or `on_alert` (a monitor's name: each alert it opens starts the
    job, with the alert ids as `param_name` when given). The job is a `pipeline`, a `function` or a
    `monitor`, as for add_schedule."""
    workspace = workspace or get_workspace()
    check_name(name, "trigger")
    if bool(new_data) == bool(on_alert):
        raise ValidationError("give exactly one event: new data (--new-data PATH) or an alert (--on-alert MONITOR)")
    kind, target = job_of(pipeline=pipeline, function=function, monitor=monitor)
    check_job(kind, target, workspace, folder)
    config: dict[str, str | None]
    if new_data:
        trigger_type, config = "new_data", {"path": new_data, "param_name": param_name or "files"}
    else:
        trigger_type, config = "alert", {"monitor": on_alert, "param_name": param_name}
    from mloop.scheduling.scheduler import job_folder

    state = trigger_kind(trigger_type).initial_state(config, workspace, job_folder(workspace, folder))
    now = utcnow()
    record = TriggerRecord(name=name, kind=trigger_type, config=config, job_kind=kind, target=target,
                           arguments=dict(arguments or {}), folder=folder, state=state, revision=0, created_at=now,
                           updated_at=now)
    workspace.check_writable()
    workspace.schedules.add_trigger(record)
    return record


def list_triggers(*, workspace: Workspace | None = None) -> list[TriggerRecord]:
    workspace = workspace or get_workspace()
    return workspace.schedules.list_triggers()


def remove_trigger(name: str, *, workspace: Workspace | None = None) -> None:
    workspace = workspace or get_workspace()
    if not workspace.schedules.remove_trigger(name):
        raise NotFoundError(f"no trigger {name!r}; list them with: mloop trigger list")


def trigger_fires(name: str, *, limit: int = 50, workspace: Workspace | None = None) -> list[FireRecord]:
    """The jobs `name` started, newest first."""
    workspace = workspace or get_workspace()
    if workspace.schedules.get_trigger(name) is None:
        raise NotFoundError(f"no trigger {name!r}; list them with: mloop trigger list")
    return workspace.schedules.fires(name, source="trigger", limit=limit)
