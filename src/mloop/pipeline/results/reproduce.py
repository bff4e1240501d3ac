"""`mloop runs reproduce`: re-execute a recorded run (parameters, data, code) with caching off
and compare every output hash with the original: reproducibility is checked, not assumed.

Steps declared with `side_effects=True` (the registry gate) are not compared: they change the
world beyond their outputs, and mloop's own write nothing during a reproduce (no version, no alias)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mloop.core.imports import resolve
from mloop.pipeline.definition.graph import Graph
from mloop.pipeline.execution import environment
from mloop.pipeline.execution.runner import RunOptions, start_run
from mloop.pipeline.results.runs import Run
from mloop.stores.workspace import Workspace, get_workspace


@dataclass(frozen=True)
class OutputComparison:
    node: str
    output: str
    original: str | None
    reproduced: str | None
    #: False for a step declared with side_effects (e.g. the registry gate): not meant to be
    #: deterministic, and not executed for real in a reproduce, so not part of the verdict
    comparable: bool = True

    @property
    def same(self) -> bool:
        return self.original is not None and self.original == self.reproduced

    @property
    def verdict(self) -> str:
        """'yes', 'no', or 'not comparable (side effect)'."""
        if not self.comparable:
            return "not comparable (side effect)"
        return "yes" if self.same else "no"


@dataclass(frozen=True)
class ReproduceReport:
    original: Run
    reproduced: Run
    outputs: list[OutputComparison]
    warnings: list[str]

    @property
    def identical(self) -> bool:
        """The run succeeded and every comparable output has the same hash (side effects aside)."""
        return self.reproduced.status == "succeeded" and all(o.same for o in self.outputs if o.comparable)

    @property
    def not_compared(self) -> list[OutputComparison]:
        return [o for o in self.outputs if not o.comparable]


def reproduce_run(run_id: str, workspace: Workspace | None = None, *, executor: str | None = None) -> ReproduceReport:
    workspace = workspace or get_workspace()
    original = Run.load(run_id, workspace)
    graph = Graph.from_json(original.record.graph)
    warnings = _code_warnings(original, graph, workspace)
    overrides: dict[str, dict[str, str]] = {}
    for step_run in original.steps:
        node = graph.nodes.get(step_run.node)
        if node is None:
            continue
        for name, ref in node.inputs.items():
            if "data" in ref and name in step_run.inputs:
                overrides.setdefault(node.name, {})[name] = step_run.inputs[name].id
    options = RunOptions(cache=False, executor=executor, data_overrides=overrides, reproduces=original.id)
    new_id = start_run(workspace, graph, original.params, options)
    reproduced = Run.load(new_id, workspace)
    comparisons = []
    for step_run in original.steps:
        node = graph.nodes.get(step_run.node)
        for output in node.spec.outputs if node else []:
            before = step_run.outputs.get(output)
            after = reproduced.step(step_run.node).outputs.get(output)
            comparisons.append(OutputComparison(step_run.node, output, before.id if before else None,
                                                after.id if after else None, not (node and node.spec.side_effects)))
    return ReproduceReport(original, reproduced, comparisons, warnings)


def _code_warnings(original: Run, graph: Graph, workspace: Workspace) -> list[str]:
    warnings = []
    recorded = original.code_version
    now = environment.code_version(workspace.settings.root)
    if recorded.get("git_sha") and recorded.get("git_sha") != now.get("git_sha"):
        warnings.append(f"git commit differs: recorded {recorded['git_sha'][:10]}, now {str(now.get('git_sha'))[:10]}")
    elif recorded.get("diff_hash") != now.get("diff_hash"):
        warnings.append("uncommitted changes differ from the ones recorded with the run")
    for node in graph.nodes.values():
        current = _current_source_hash(node.uses, node.source_file)
        if current is not None and current != node.source_hash:
            warnings.append(f"step {node.name!r} code differs from the recorded version")
    return warnings


def _current_source_hash(uses: str, source_file: str | None) -> Any:
    try:
        target = resolve(uses, source_file)
    except Exception:
        return None
    return getattr(target, "source_hash", None)
