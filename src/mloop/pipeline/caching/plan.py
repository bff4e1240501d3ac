"""`--plan`: which steps a run would reuse from cache and which it would execute, and why."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mloop.pipeline.caching.datainputs import data_digest
from mloop.pipeline.caching.key import cache_key, cache_parts, explain_change
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
    store = workspace.artifacts
    known: dict[str, dict[str, str]] = {}  # node -> output -> digest, for steps predicted cached
    planned: list[PlannedStep] = []
    for node in graph.nodes.values():
        running_upstream = [u for u in node.upstream() if u not in known]
        if running_upstream:
            planned.append(PlannedStep(node.name, node.step, "run", f"upstream step {running_upstream[0]!r} will run"))
            continue
        inputs: dict[str, Any] = {}
        for name, ref in node.inputs.items():
            if "data" in ref:
                inputs[name] = data_digest(workspace, Path(ref["data"]))
            elif "list" in ref:
                inputs[name] = [known[i["node"]][i["output"]] for i in ref["list"]]
            else:
                inputs[name] = known[ref["node"]][ref["output"]]
        parts = cache_parts(node, inputs)
        key = cache_key(parts)
        if not cache or not node.spec.cache:
            why = "caching is off for this run (--no-cache)" if not cache else "the step has cache=False"
            planned.append(PlannedStep(node.name, node.step, "run", why, key))
            continue
        hit = workspace.runs.find_cached(key)
        if hit is not None and all(store.exists(a.id) for a in hit[1].values()) and set(hit[1]) == set(node.spec.outputs):
            source, outputs = hit
            known[node.name] = {name: artifact.id for name, artifact in outputs.items()}
            planned.append(PlannedStep(node.name, node.step, "cached",
                                       f"same key as its execution in run {source.run_id}", key))
            continue
        previous = workspace.runs.last_step_run(graph.name, node.name)
        planned.append(PlannedStep(node.name, node.step, "run",
                                   explain_change(parts, previous.cache_parts if previous else None), key))
    return Plan(graph.name, planned)
