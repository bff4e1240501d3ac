"""Checking every object in the artifact store against its digest, and removing the corrupted ones.

A removed object is rebuilt by running its pipeline again: a cache hit needs every output stored, so
the step that produced it (named here from lineage) executes again and writes it afresh.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from mloop.core.errors import NotFoundError
from mloop.stores.workspace import Workspace, get_workspace


@dataclass(frozen=True)
class Producer:
    """The step run that wrote an object: run it again to rebuild the object."""

    run_id: str
    node: str
    pipeline: str


@dataclass(frozen=True)
class DamagedObject:
    digest: str
    uri: str
    reason: str
    #: what the metadata store knows it as: "output", "data", ... or "" when it is not recorded
    kind: str = ""
    producer: Producer | None = None
    #: the data file it was read from (data artifacts)
    source: str = ""
    removed: bool = False

    def rebuild_hint(self) -> str:
        if self.producer is not None:
            return (f"re-run pipeline {self.producer.pipeline!r} (step {self.producer.node!r} of run "
                    f"{self.producer.run_id} wrote it); the missing output is not a cache hit")
        if self.source:
            return f"re-run a pipeline that reads {self.source}; the data is stored again"
        return "no step run is recorded as its producer; nothing to re-run"


@dataclass(frozen=True)
class ArtifactCheck:
    """The result of `verify_artifacts`: how many objects were hashed and which failed."""

    store: str
    checked: int
    damaged: list[DamagedObject] = field(default_factory=list)
    repaired: bool = False

    @property
    def ok(self) -> bool:
        return not self.damaged

    def to_dict(self) -> dict[str, Any]:
        return {"store": self.store, "checked": self.checked, "ok": self.ok, "repaired": self.repaired,
                "damaged": [{**asdict(d), "rebuild": d.rebuild_hint()} for d in self.damaged]}


def verify_artifacts(repair: bool = False, workspace: Workspace | None = None) -> ArtifactCheck:
    """Hash every object in the artifact store and compare it with its digest. With `repair`,
    remove the objects that fail, so the next run of the step that produced each writes it again.
    Reads every object (on S3: downloads it)."""
    workspace = workspace or get_workspace()
    store = workspace.artifacts
    checked = 0
    bad: list[tuple[str, str]] = []
    for digest in store.digests():
        checked += 1
        try:
            intact = store.is_intact(digest)
            reason = "its bytes do not hash to its digest"
        except NotFoundError as exc:
            intact, reason = False, str(exc)
        if not intact:
            bad.append((digest, reason))
    damaged = _describe(workspace, bad)
    if repair:
        for item in damaged:
            store.delete(item.digest)
        damaged = [replace(item, removed=True) for item in damaged]
    return ArtifactCheck(store.url, checked, damaged, repaired=repair)


def _describe(workspace: Workspace, bad: list[tuple[str, str]]) -> list[DamagedObject]:
    if not bad:
        return []
    store = workspace.artifacts
    digests = [digest for digest, _ in bad]
    records = workspace.lineage.get_artifacts(digests)
    produced = [e for e in workspace.lineage.artifact_edges(digests) if e.direction == "out"]
    step_runs = {s.id: s for s in workspace.runs.get_step_runs_by_id(sorted({e.step_run_id for e in produced}))}
    pipelines: dict[str, str] = {}
    producers: dict[str, Producer] = {}
    for edge in produced:
        step_run = step_runs.get(edge.step_run_id)
        if step_run is None:
            continue
        known = producers.get(edge.artifact_id)
        if known is not None and step_run.status != "succeeded":
            continue  # prefer the step run that executed over one that reused a cached output
        if edge.run_id not in pipelines:
            pipelines[edge.run_id] = workspace.runs.get_run(edge.run_id).pipeline
        producers[edge.artifact_id] = Producer(edge.run_id, step_run.node, pipelines[edge.run_id])
    result = []
    for digest, reason in bad:
        record = records.get(digest)
        source = str(record.summary.get("source", "")) if record is not None else ""
        result.append(DamagedObject(digest, store.uri(digest), reason, record.kind if record else "",
                                    producers.get(digest), source))
    return result
