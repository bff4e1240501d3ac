"""The graph IR both Python and YAML pipelines compile to; it is stored with every run.

An input of a node is one of
    {"node": "split", "output": "train"}           the output of another node
    {"list": [{"node": ..., "output": ...}, ...]}  several outputs, passed as a list
    {"data": "/abs/path/tx.parquet"}               a raw data file or folder (mloop.Data)
Everything else a step receives is a JSON parameter in `params`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from mloop.core.errors import GraphError
from mloop.core.hashing import hash_json
from mloop.pipeline.definition.spec import StepSpec

GRAPH_VERSION = 1


@dataclass
class Node:
    name: str
    uses: str
    source_hash: str
    spec: StepSpec
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    after: list[str] = field(default_factory=list)
    source_file: str | None = None

    @property
    def step(self) -> str:
        return self.spec.name

    def upstream(self) -> list[str]:
        names: list[str] = []
        for ref in self.inputs.values():
            for item in ref.get("list", [ref]):
                if "node" in item and item["node"] not in names:
                    names.append(item["node"])
        names.extend(n for n in self.after if n not in names)
        return names

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "uses": self.uses, "source_file": self.source_file,
            "source_hash": self.source_hash, "spec": self.spec.to_json(),
            "inputs": self.inputs, "params": self.params, "after": self.after,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Node:
        return cls(
            name=data["name"], uses=data["uses"], source_hash=data["source_hash"],
            spec=StepSpec.from_json(data["spec"]), inputs=data.get("inputs", {}),
            params=data.get("params", {}), after=list(data.get("after", [])),
            source_file=data.get("source_file"),
        )


@dataclass
class Graph:
    name: str
    nodes: dict[str, Node]
    description: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": GRAPH_VERSION, "name": self.name, "description": self.description,
            "params": self.params, "nodes": [n.to_json() for n in self.nodes.values()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Graph:
        nodes = [Node.from_json(n) for n in data["nodes"]]
        return cls(name=data["name"], description=data.get("description", ""), params=data.get("params", {}),
                   nodes={n.name: n for n in nodes})

    @property
    def hash(self) -> str:
        return hash_json(self.to_json())

    def settle_isolation(self, default: str | None) -> Graph:
        """Steps that did not choose an isolation take the pipeline's (or "none")."""
        for node in self.nodes.values():
            if not node.spec.isolation:
                node.spec = replace(node.spec, isolation=default or "none")
        return self

    def downstream(self, names: set[str]) -> set[str]:
        """Every node that depends, directly or not, on one of `names` (not including them)."""
        children: dict[str, list[str]] = {n: [] for n in self.nodes}
        for node in self.nodes.values():
            for parent in node.upstream():
                children[parent].append(node.name)
        found: set[str] = set()
        stack = list(names)
        while stack:
            for child in children[stack.pop()]:
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    def validate(self) -> Graph:
        """Check references and acyclicity; returns the graph with nodes in topological order."""
        if not self.nodes:
            raise GraphError(f"pipeline {self.name!r} has no steps")
        for node in self.nodes.values():
            for input_name, ref in node.inputs.items():
                for item in ref.get("list", [ref]):
                    if "node" in item:
                        self._check_output(node, input_name, item)
            for name in node.after:
                if name not in self.nodes:
                    raise GraphError(f"step {node.name!r}: depends_on/after names unknown step {name!r}")
        self.nodes = {name: self.nodes[name] for name in self._topological_order()}
        return self

    def _check_output(self, node: Node, input_name: str, item: dict[str, Any]) -> None:
        source = self.nodes.get(item["node"])
        if source is None:
            known = ", ".join(self.nodes)
            raise GraphError(f"step {node.name!r} input {input_name!r}: unknown step {item['node']!r} (steps: {known})")
        if item["output"] not in source.spec.outputs:
            raise GraphError(
                f"step {node.name!r} input {input_name!r}: step {source.name!r} has no output {item['output']!r} "
                f"(outputs: {', '.join(source.spec.outputs)})"
            )

    def _topological_order(self) -> list[str]:
        try:
            return topological_order({name: set(node.upstream()) for name, node in self.nodes.items()})
        except CycleError as exc:
            cycle = _find_cycle(exc.remaining)
            raise GraphError(f"pipeline {self.name!r} has a cycle: {' -> '.join(cycle)}") from None


class CycleError(Exception):
    """Raised by `topological_order`; `remaining` holds the steps left, each with what it waits on."""

    def __init__(self, remaining: dict[str, set[str]]) -> None:
        super().__init__(", ".join(sorted(remaining)))
        self.remaining = remaining


def topological_order(dependencies: dict[str, set[str]]) -> list[str]:
    """Names ordered so each comes after everything it depends on (Kahn's algorithm)."""
    remaining = {name: set(needed) for name, needed in dependencies.items()}
    order: list[str] = []
    while remaining:
        ready = [name for name, needed in remaining.items() if not needed]
        if not ready:
            raise CycleError(remaining)
        for name in ready:
            order.append(name)
            del remaining[name]
        for needed in remaining.values():
            needed.difference_update(ready)
    return order


def _find_cycle(edges: dict[str, set[str]]) -> list[str]:
    start = next(iter(edges))
    path = [start]
    seen = {start}
    current = start
    while True:
        current = next(iter(edges[current]))
        if current in seen:
            return path[path.index(current):] + [current]
        seen.add(current)
        path.append(current)
