"""Reading what happened: runs, step runs, artifacts and their lineage, as Python objects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mloop.core.errors import NotFoundError, ValidationError
from mloop.pipeline.execution import logs
from mloop.pipeline.execution.recovery import recover_interrupted
from mloop.stores.artifacts import load_object
from mloop.stores.metadata import ArtifactRecord, RunRecord, StepExecutionRecord, StepRunRecord
from mloop.stores.metadata.records import RUN_STATES
from mloop.stores.metadata.runs import PipelineSummary
from mloop.stores.workspace import Workspace, get_workspace


class Artifact:
    """An immutable stored output or data input, identified by the sha256 of its bytes."""

    def __init__(self, record: ArtifactRecord, workspace: Workspace) -> None:
        self.record = record
        self._workspace = workspace

    id = property(lambda self: self.record.id)
    uri = property(lambda self: self.record.uri)
    kind = property(lambda self: self.record.kind)
    type_name = property(lambda self: self.record.type_name)
    materializer = property(lambda self: self.record.materializer)
    size = property(lambda self: self.record.size)
    summary = property(lambda self: self.record.summary)
    created_at = property(lambda self: self.record.created_at)

    def load(self) -> Any:
        """The object, after checking the stored bytes still hash to the artifact id."""
        return load_object(self._workspace.artifacts, self.id, self.materializer)

    def lineage(self, depth: int = 50) -> Lineage:
        from mloop.pipeline.results.lineage import trace

        return trace(self._workspace, self.id, depth)

    def __repr__(self) -> str:
        return f"<artifact {self.id[:12]} {self.type_name} {self.size} B>"


@dataclass
class StepRun:
    record: StepRunRecord
    inputs: dict[str, Artifact]
    outputs: dict[str, Artifact]
    _workspace: Workspace = field(repr=False)
    #: where it executed, as recorded by remote workers (a worker that died shows as "lost")
    executions: list[StepExecutionRecord] = field(default_factory=list)

    id = property(lambda self: self.record.id)
    node = property(lambda self: self.record.node)
    step = property(lambda self: self.record.step)
    status = property(lambda self: self.record.status)
    error = property(lambda self: self.record.error)
    cache_key = property(lambda self: self.record.cache_key)
    cached_from = property(lambda self: self.record.cached_from)
    started_at = property(lambda self: self.record.started_at)
    ended_at = property(lambda self: self.record.ended_at)

    @property
    def attempts(self) -> list[dict[str, Any]]:
        return list(self.record.attempts or [])

    @property
    def duration(self) -> float | None:
        if self.record.started_at and self.record.ended_at:
            return (self.record.ended_at - self.record.started_at).total_seconds()
        return None

    def output(self, name: str = "output") -> Artifact:
        try:
            return self.outputs[name]
        except KeyError:
            raise NotFoundError(f"step {self.node!r} has no output {name!r} (outputs: {', '.join(self.outputs) or 'none'})") from None

    @property
    def cached_from_run(self) -> str | None:
        """For a cached step: the id of the run whose execution of the step it reused."""
        if not self.record.cached_from:
            return None
        found = self._workspace.runs.get_step_runs_by_id([self.record.cached_from])
        return found[0].run_id if found else None

    def logs(self, attempt: int | None = None) -> str:
        """The step's captured stdout, stderr and logging (of the last attempt unless given); a
        cached step has the log of the execution it reused."""
        digest = self.record.log_uri
        if attempt is not None:
            attempts = self.attempts
            if not 1 <= attempt <= len(attempts):
                raise NotFoundError(f"step {self.node!r} has {len(attempts)} attempt(s); there is no attempt {attempt}")
            digest = attempts[attempt - 1].get("log")
        if not digest:
            # not stored (yet): the live file of a running attempt, or of one whose process died
            number = attempt or len(self.attempts)
            live = self._workspace.logs_dir / self.record.run_id / f"{self.node}.{number}.log"
            if number and live.is_file():
                return logs.read_log(live)
            return ""  # the step wrote nothing (or has not run yet)
        return logs.read_log(self._workspace.artifacts.local_path(digest))


class Run:
    """One execution of a pipeline: parameters, status, step runs, outputs, code and environment."""

    def __init__(self, record: RunRecord, steps: list[StepRun], workspace: Workspace) -> None:
        self.record = record
        self.steps = steps
        self._workspace = workspace

    @classmethod
    def load(cls, run_id: str, workspace: Workspace | None = None) -> Run:
        workspace = workspace or get_workspace()
        with workspace.metadata.database.snapshot():  # five queries, one connection and transaction
            record = workspace.runs.get_run(run_id)
            step_records = workspace.runs.step_runs(record.id)
            edges = workspace.lineage.step_run_edges([s.id for s in step_records])
            artifact_records = workspace.lineage.get_artifacts(sorted({e.artifact_id for e in edges}))
            step_executions = workspace.runs.step_executions([s.id for s in step_records])
        artifacts = {a: Artifact(r, workspace) for a, r in artifact_records.items()}
        order = {name: index for index, name in enumerate(n["name"] for n in record.graph["nodes"])}
        executions: dict[str, list[StepExecutionRecord]] = {}
        for execution in step_executions:
            executions.setdefault(execution.step_run_id, []).append(execution)
        steps = []
        for step_record in sorted(step_records, key=lambda s: order.get(s.node, 0)):
            mine = [e for e in edges if e.step_run_id == step_record.id]
            steps.append(StepRun(
                step_record,
                {e.name: artifacts[e.artifact_id] for e in mine if e.direction == "in"},
                {e.name: artifacts[e.artifact_id] for e in mine if e.direction == "out"},
                workspace,
                executions.get(step_record.id, []),
            ))
        return cls(record, steps, workspace)

    id = property(lambda self: self.record.id)
    pipeline = property(lambda self: self.record.pipeline)
    status = property(lambda self: self.record.status)
    params = property(lambda self: self.record.params)
    error = property(lambda self: self.record.error)
    created_at = property(lambda self: self.record.created_at)
    started_at = property(lambda self: self.record.started_at)
    ended_at = property(lambda self: self.record.ended_at)
    code_version = property(lambda self: self.record.code_version or {})

    @property
    def environment(self) -> dict[str, Any]:
        env_id = self.record.environment_id
        return self._workspace.runs.get_environment(env_id) if env_id else {}

    @property
    def duration(self) -> float | None:
        if self.record.started_at and self.record.ended_at:
            return (self.record.ended_at - self.record.started_at).total_seconds()
        return None

    def step(self, node: str) -> StepRun:
        for step_run in self.steps:
            if step_run.node == node:
                return step_run
        raise NotFoundError(f"run {self.id} has no step {node!r} (steps: {', '.join(s.node for s in self.steps)})")

    def output(self, ref: str, output: str | None = None) -> Artifact:
        """An output artifact: `run.output("train")`, `run.output("split.test")` or `run.output("split", "test")`."""
        node, _, name = ref.partition(".")
        return self.step(node).output(output or name or "output")

    def __iter__(self) -> Iterator[StepRun]:
        return iter(self.steps)

    def __repr__(self) -> str:
        return f"<run {self.id} {self.pipeline} {self.status}>"


@dataclass
class LineageNode:
    kind: str  # "artifact" | "step"
    id: str
    label: str
    detail: dict[str, Any]
    depth: int


@dataclass
class Lineage:
    """Upstream (what produced an artifact, back to raw data and code) and downstream (what used it)."""

    root: Artifact
    upstream: list[LineageNode]
    downstream: list[LineageNode]
    edges: list[tuple[str, str, str]]  # (from id, to id, name)


def get_run(run_id: str, workspace: Workspace | None = None) -> Run:
    return Run.load(run_id, workspace)


def list_runs(pipeline: str | None = None, status: str | None = None, limit: int = 50,
              workspace: Workspace | None = None) -> list[RunRecord]:
    """The newest runs (of `pipeline`, with `status`); runs whose process died are marked
    interrupted first, so a dead run never shows as running."""
    if status is not None and status not in RUN_STATES:
        raise ValidationError(f"unknown run status {status!r}; use one of: {', '.join(RUN_STATES)}")
    if limit < 1:
        raise ValidationError(f"limit must be at least 1, got {limit}")
    workspace = workspace or get_workspace()
    recover_interrupted(workspace)
    return workspace.runs.list_runs(pipeline, status, limit)


def list_pipelines(workspace: Workspace | None = None) -> list[PipelineSummary]:
    """Every pipeline (and notebook experiment) that has runs, by name: its run counts by status
    and its newest run."""
    workspace = workspace or get_workspace()
    recover_interrupted(workspace)
    return workspace.runs.pipeline_summaries()


def get_artifact(artifact_id: str, workspace: Workspace | None = None) -> Artifact:
    """An artifact by id (a unique prefix of at least 4 characters is enough)."""
    workspace = workspace or get_workspace()
    return Artifact(workspace.lineage.get_artifact(artifact_id), workspace)


def list_artifacts(limit: int = 50, workspace: Workspace | None = None) -> list[Artifact]:
    """The newest artifacts."""
    if limit < 1:
        raise ValidationError(f"limit must be at least 1, got {limit}")
    workspace = workspace or get_workspace()
    return [Artifact(record, workspace) for record in workspace.lineage.list_artifacts(limit)]


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""
