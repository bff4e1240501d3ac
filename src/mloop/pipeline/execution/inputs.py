"""How a step's inputs are handed around inside a run: by artifact reference, never by value."""

from __future__ import annotations

from typing import Any

from mloop.pipeline.definition.graph import Graph
from mloop.stores.metadata import ArtifactRecord


def consumer_counts(graph: Graph) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for node in graph.nodes.values():
        for ref in node.inputs.values():
            for item in ref.get("list", [ref]):
                if "node" in item:
                    key = (item["node"], item["output"])
                    counts[key] = counts.get(key, 0) + 1
    return counts


def flatten(inputs: dict[str, Any]) -> dict[str, ArtifactRecord]:
    flat: dict[str, ArtifactRecord] = {}
    for name, value in inputs.items():
        if isinstance(value, list):
            for index, item in enumerate(value):
                flat[f"{name}[{index}]"] = item
        else:
            flat[name] = value
    return flat


def unflatten(flat: dict[str, ArtifactRecord]) -> dict[str, Any]:
    """The inverse of `flatten`: `name[i]` entries back into lists."""
    grouped: dict[str, Any] = {}
    for key, artifact in flat.items():
        name, _, index = key.partition("[")
        if index:
            grouped.setdefault(name, []).append(artifact)
        else:
            grouped[name] = artifact
    return grouped


def digests(value: Any) -> Any:
    return [a.id for a in value] if isinstance(value, list) else value.id


def task_ref(value: Any) -> Any:
    if isinstance(value, list):
        return ("list", [task_ref(v) for v in value])
    if value.kind == "data":
        return ("data", value.id)
    return ("artifact", value.id, value.materializer)
