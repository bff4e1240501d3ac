"""Walking lineage edges: artifact <- step run <- artifacts ... (upstream) and the reverse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mloop.stores.metadata import LineageEdge, StepRunRecord
from mloop.stores.workspace import Workspace

if TYPE_CHECKING:
    from mloop.pipeline.results.runs import Lineage


def trace(workspace: Workspace, artifact_id: str, depth: int = 50) -> Lineage:
    from mloop.pipeline.results.runs import Artifact, Lineage, LineageNode

    root = Artifact(workspace.lineage.get_artifact(artifact_id), workspace)
    edges: list[tuple[str, str, str]] = []
    nodes: dict[str, list[LineageNode]] = {"up": [], "down": []}
    for direction in ("up", "down"):
        seen_steps: set[str] = set()
        seen_artifacts = {root.id}
        frontier = [root.id]
        level = 0
        while frontier and level < depth:
            level += 1
            touching = workspace.lineage.artifact_edges(frontier)
            wanted = "out" if direction == "up" else "in"
            step_ids = sorted({e.step_run_id for e in touching if e.direction == wanted} - seen_steps)
            if direction == "up":
                step_ids = _original_producers(workspace.runs.get_step_runs_by_id(step_ids))
            if not step_ids:
                break
            steps = {s.id: s for s in workspace.runs.get_step_runs_by_id(step_ids)}
            seen_steps.update(step_ids)
            for edge in touching:
                if edge.step_run_id in steps and edge.direction == wanted:
                    pair = (edge.step_run_id, edge.artifact_id) if direction == "up" else (edge.artifact_id, edge.step_run_id)
                    edges.append((*pair, edge.name))
            for step in steps.values():
                nodes[direction].append(LineageNode("step", step.id, f"{step.node} ({step.step})",
                                                    {"run_id": step.run_id, "status": step.status,
                                                     "source_hash": step.source_hash}, level))
            next_edges: list[LineageEdge] = workspace.lineage.step_run_edges(step_ids)
            other = "in" if direction == "up" else "out"
            new_ids = sorted({e.artifact_id for e in next_edges if e.direction == other} - seen_artifacts)
            records = workspace.lineage.get_artifacts(new_ids)
            for edge in next_edges:
                if edge.direction == other:
                    pair = (edge.artifact_id, edge.step_run_id) if direction == "up" else (edge.step_run_id, edge.artifact_id)
                    edges.append((*pair, edge.name))
            for artifact_id in new_ids:
                record = records[artifact_id]
                nodes[direction].append(LineageNode("artifact", artifact_id, record.type_name,
                                                    {"kind": record.kind, "size": record.size,
                                                     "source": record.summary.get("source")}, level))
            seen_artifacts.update(new_ids)
            frontier = new_ids
    return Lineage(root, nodes["up"], nodes["down"], sorted(set(edges)))


def _original_producers(steps: list[StepRunRecord]) -> list[str]:
    """Of all step runs that output an artifact, the executions (cache hits point at them)."""
    executed = [s for s in steps if s.status == "succeeded"]
    chosen = executed or steps
    return sorted({s.id for s in sorted(chosen, key=lambda s: str(s.ended_at or s.started_at))[:1]})
