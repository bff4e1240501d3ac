"""Quality reports and profiles in the metadata store.

A report a step returns (or leaves behind when its data check fails) gets a summary row in the
quality store, wherever the step ran, so a run's validations can be listed and the blessing rule
`require=["data_validation"]` can read them. Profiles are linked to the data artifact they
describe and to the model versions trained on it, so drift against a model's training data
never re-reads that data.
"""

from __future__ import annotations

from typing import Any

from mloop.core.clock import utcnow
from mloop.core.config import load_settings
from mloop.core.ids import new_id
from mloop.pipeline.execution.task import TASK_END_HOOKS, StepTask, TaskResult
from mloop.stores.artifacts import load_object, save_object
from mloop.stores.metadata import QualityReportRecord
from mloop.stores.opened import metadata_stores
from mloop.stores.workspace import Workspace

#: the summary key a report's `artifact_summary()` sets to its kind ("validation", "drift", "profile")
REPORT_KEY = "quality_report"


def report_row(kind: str, artifact_id: str, summary: dict[str, Any], *, run_id: str | None = None,
               step_run_id: str | None = None) -> QualityReportRecord:
    return QualityReportRecord(
        id=new_id(), kind=kind, artifact_id=artifact_id, subject=str(summary.get("subject", "")),
        passed=summary.get("passed"), summary=summary, run_id=run_id, step_run_id=step_run_id, created_at=utcnow())


def _record_step_reports(task: StepTask, result: TaskResult) -> None:
    found = [(o.digest, o.summary) for o in result.outputs.values()
             if o.materializer == "record" and (o.summary or {}).get(REPORT_KEY)]
    if not found:
        return
    stores = metadata_stores(task.metadata_url or load_settings().db_url)
    for digest, summary in found:
        stores.quality.add_report(report_row(summary[REPORT_KEY], digest, summary, run_id=task.run_id,
                                             step_run_id=task.step_run_id))


TASK_END_HOOKS.append(_record_step_reports)


def store_report(workspace: Workspace, report: Any) -> str:
    """Save `report` (a ValidationReport, DriftReport or Profile) as an artifact with its summary
    row, outside a pipeline; its artifact id."""
    from mloop.stores.metadata import ArtifactRecord

    stored = save_object(workspace.artifacts, report)
    workspace.lineage.record_artifact(ArtifactRecord(
        id=stored.digest, uri=stored.uri, kind="output", materializer=stored.materializer,
        materializer_version=stored.materializer_version, type_name=stored.type_name, size=stored.size,
        summary=stored.summary, created_at=utcnow()))
    kind = stored.summary.get(REPORT_KEY)
    if kind:
        workspace.quality.add_report(report_row(kind, stored.digest, stored.summary))
    return stored.digest


def task_workspace() -> Workspace:
    """The workspace of the step running here (its stores, on any worker), else the default one."""
    from mloop.pipeline.execution.task import current_task
    from mloop.stores.workspace import get_workspace

    task = current_task()
    if task is None:
        return get_workspace()
    settings = load_settings().with_overrides(db_url=task.metadata_url or None, artifacts_url=task.artifacts_url)
    return get_workspace(settings)


def load_record(workspace: Workspace, artifact_id: str) -> Any:
    return load_object(workspace.artifacts, artifact_id, "record")


def list_quality_reports(*, kind: str | None = None, run_id: str | None = None, subject: str | None = None,
                         limit: int = 100, workspace: Workspace | None = None) -> list[QualityReportRecord]:
    """Recorded validation, drift and profile reports, newest first (`run_id` may be a prefix)."""
    from mloop.core.errors import ValidationError
    from mloop.stores.workspace import get_workspace

    if kind is not None and kind not in ("validation", "drift", "profile"):
        raise ValidationError(f"unknown report kind {kind!r}; choose validation, drift or profile")
    workspace = workspace or get_workspace()
    if run_id is not None:
        run_id = workspace.runs.get_run(run_id).id
    return workspace.quality.list_reports(kind=kind, run_id=run_id, subject=subject, limit=limit)
