"""The one cache decision: a step's cache key from its resolved inputs, and whether a stored
execution with that key stands in for running it. The run loop and `--plan` both ask here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from mloop.pipeline.caching.key import cache_key, cache_parts, explain_change
from mloop.pipeline.definition.graph import Node
from mloop.stores.metadata import ArtifactRecord, StepRunRecord
from mloop.stores.workspace import Workspace

T = TypeVar("T")


@dataclass(frozen=True)
class CacheDecision:
    key: str
    parts: dict[str, Any]
    #: the execution whose outputs are reused, and those outputs; None when the step must run
    hit: tuple[StepRunRecord, dict[str, ArtifactRecord]] | None
    #: why the step runs, or where its outputs come from (one line)
    reason: str

    @property
    def cached(self) -> bool:
        return self.hit is not None


def resolve_inputs(node: Node, produced: Mapping[str, Mapping[str, T]], data: Callable[[str, str], T]
                   ) -> dict[str, T | list[T]]:
    """The node's inputs: upstream outputs looked up in `produced` (node -> output -> value),
    data inputs through `data(input name, path)`."""
    resolved: dict[str, T | list[T]] = {}
    for name, ref in node.inputs.items():
        if "data" in ref:
            resolved[name] = data(name, ref["data"])
        elif "list" in ref:
            resolved[name] = [produced[i["node"]][i["output"]] for i in ref["list"]]
        else:
            resolved[name] = produced[ref["node"]][ref["output"]]
    return resolved


def decide(node: Node, inputs: dict[str, Any], workspace: Workspace, cache: bool = True,
           explain_for: str | None = None) -> CacheDecision:
    """Whether `node` can reuse a stored execution. `inputs` maps input name -> artifact digest
    (or a list of them). A hit needs the same key, every output present in the artifact store,
    and the outputs the step declares now. With `explain_for` (a pipeline name) a miss says what
    differs from the step's last execution in that pipeline (one more query, for plans)."""
    parts = cache_parts(node, inputs)
    key = cache_key(parts)
    if not cache or not node.spec.cache:
        why = "caching is off for this run (--no-cache)" if not cache else "the step has cache=False"
        return CacheDecision(key, parts, None, why)
    hit = workspace.runs.find_cached(key)
    if hit is not None and all(workspace.artifacts.exists(a.id) for a in hit[1].values()) \
            and set(hit[1]) == set(node.spec.outputs):
        return CacheDecision(key, parts, hit, f"same key as its execution in run {hit[0].run_id}")
    if explain_for is None:
        return CacheDecision(key, parts, None, "no usable cached execution")
    previous = workspace.runs.last_step_run(explain_for, node.name)
    return CacheDecision(key, parts, None, explain_change(parts, previous.cache_parts if previous else None))
