"""Cache keys of step executions, and why a step will (not) be reused."""

from __future__ import annotations

from typing import Any

from mloop.core.hashing import hash_json
from mloop.pipeline.definition.graph import Node

#: bump when the meaning of a cache key changes or a built-in materializer's format changes
CACHE_VERSION = "1"


def cache_parts(node: Node, inputs: dict[str, Any]) -> dict[str, Any]:
    """Everything a step's outputs depend on. `inputs` maps input name -> digest (or list of digests)."""
    spec = node.spec
    parts = {
        "version": CACHE_VERSION,
        "code": node.source_hash,
        "params": node.params,
        "inputs": inputs,
        "requirements": sorted(spec.requirements),
        "outputs": list(spec.outputs),
        "materializers": spec.materializers,
    }
    if spec.isolation == "venv":
        from mloop.pipeline.execution.isolation import environment_hash

        parts["environment"] = environment_hash(list(spec.requirements))
    return parts


def cache_key(parts: dict[str, Any]) -> str:
    return hash_json(parts)


def explain_change(parts: dict[str, Any], previous: dict[str, Any] | None) -> str:
    """One line saying which part of the key differs from the step's last execution."""
    if previous is None:
        return "no earlier execution of this step"
    if parts.get("version") != previous.get("version"):
        return "mloop's cache format changed"
    if parts["code"] != previous.get("code"):
        return "step code changed"
    reasons = []
    old_params = previous.get("params", {})
    for name in sorted(set(parts["params"]) | set(old_params)):
        if parts["params"].get(name) != old_params.get(name):
            reasons.append(f"parameter {name} changed ({_short(old_params.get(name))} → {_short(parts['params'].get(name))})")
    old_inputs = previous.get("inputs", {})
    for name in sorted(set(parts["inputs"]) | set(old_inputs)):
        if parts["inputs"].get(name) != old_inputs.get(name):
            reasons.append(f"input {name} changed")
    if parts["requirements"] != previous.get("requirements"):
        reasons.append("requirements changed")
    if parts.get("environment") != previous.get("environment"):
        reasons.append("step environment changed")
    if parts["outputs"] != previous.get("outputs") or parts["materializers"] != previous.get("materializers"):
        reasons.append("outputs or materializers changed")
    return "; ".join(reasons) or "no cached result with this key (it was removed or never succeeded)"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
