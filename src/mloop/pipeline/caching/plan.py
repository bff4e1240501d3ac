"""`--plan`: which steps a run would reuse from cache and which it would execute, and why."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mloop.pipeline.caching.datainputs import data_digest
from mloop.pipeline.caching.decision import decide, resolve_inputs
from mloop.pipeline.definition.graph import Graph
from mloop.stores.workspace import Workspace


@dataclass(frozen=True)
class PlannedStep:
    node: str
    step: str
    action: str  # "cached" | "run"
    reason: str
    cache_key: str | None = None


@dataclass(frozen=True)
class Plan:
    pipeline: str
    steps: list[PlannedStep]

    @property
    def to_run(self) -> list[str]:
        return [s.node for s in self.steps if s.action == "run"]

    @property
    def cached(self) -> list[str]:
        return [s.node for s in self.steps if s.action == "cached"]


def make_plan(workspace: Workspace, graph: Graph, cache: bool = True) -> Plan:
    known: dict[str, dict[str, str]] = {}  # node -> output -> digest, for steps predicted cached
    planned: list[PlannedStep] = []
    for node in graph.nodes.values():
        running_upstream = [u for u in node.upstream() if u not in known]
        if running_upstream:
            planned.append(PlannedStep(node.name, node.step, "run", f"upstream step {running_upstream[0]!r} will run"))
            continue
        inputs = resolve_inputs(node, known, lambda _name, path: data_digest(workspace, Path(path)))
        decision = decide(node, inputs, workspace, cache=cache, explain_for=graph.name)
        if decision.hit is not None:
            known[node.name] = {name: artifact.id for name, artifact in decision.hit[1].items()}
        planned.append(PlannedStep(node.name, node.step, "cached" if decision.cached else "run", decision.reason,
                                   decision.key))
    return Plan(graph.name, planned)
