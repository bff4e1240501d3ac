"""What `--json` prints: records of the public API as plain dicts with stable keys (full ids,
ISO 8601 times); one document per command, built only from `mloop.*` objects."""

from __future__ import annotations

from typing import Any

from mloop.cli.render import duration


def run_record(record: Any) -> dict[str, Any]:
    return {"id": record.id, "pipeline": record.pipeline, "kind": record.kind, "status": record.status,
            "params": record.params, "created_at": record.created_at, "started_at": record.started_at,
            "ended_at": record.ended_at, "duration_seconds": duration(record.started_at, record.ended_at),
            "error": record.error}


def run(run: Any, tracked: Any | None = None) -> dict[str, Any]:
    document = run_record(run.record)
    document |= {"code_version": run.code_version, "environment": run.environment,
                 "reproduces": run.record.reproduces, "steps": [step_run(s) for s in run.steps]}
    if tracked is not None:
        document |= {"tracked_params": tracked.params, "metrics": tracked.metrics, "tags": tracked.tags,
                     "logged_artifacts": {name: a.id for name, a in tracked.artifacts.items()}}
    return document


def step_run(step: Any) -> dict[str, Any]:
    return {"node": step.node, "step": step.step, "status": step.status, "attempts": len(step.attempts),
            "started_at": step.started_at, "ended_at": step.ended_at, "duration_seconds": step.duration,
            "error": step.error, "cache_key": step.cache_key, "cached_from": step.cached_from,
            "inputs": {name: a.id for name, a in step.inputs.items()},
            "outputs": {name: a.id for name, a in step.outputs.items()}}


def artifact(artifact: Any) -> dict[str, Any]:
    return {"id": artifact.id, "kind": artifact.kind, "type": artifact.type_name,
            "materializer": artifact.materializer, "size": artifact.size, "uri": artifact.uri,
            "created_at": artifact.created_at, "summary": artifact.summary}


def lineage(result: Any) -> dict[str, Any]:
    def node(item: Any) -> dict[str, Any]:
        return {"kind": item.kind, "id": item.id, "label": item.label, "depth": item.depth, "detail": item.detail}

    return {"artifact": artifact(result.root), "upstream": [node(n) for n in result.upstream],
            "downstream": [node(n) for n in result.downstream],
            "edges": [{"from": source, "to": target, "name": name} for source, target, name in result.edges]}


def model(record: Any, aliases: dict[str, int]) -> dict[str, Any]:
    return {"name": record.name, "latest_version": record.latest_version, "aliases": dict(sorted(aliases.items())),
            "description": record.description, "created_at": record.created_at}


def model_version(version: Any, *, detail: bool = False) -> dict[str, Any]:
    blessing = version.blessing
    document = {"name": version.name, "version": version.version, "ref": version.ref, "aliases": version.aliases,
                "stage": version.stage, "blessed": None if blessing is None else blessing.blessed,
                "metrics": version.metrics, "artifact_id": version.artifact_id, "run_id": version.run_id,
                "description": version.description, "created_at": version.created_at,
                "created_by": version.created_by}
    if detail:
        signature = version.signature
        document |= {"lineage": version.lineage, "card": version.card,
                     "signature": signature.to_dict() if signature is not None else None,
                     "blessing": None if blessing is None else {
                         "passed": blessing.passed, "forced": blessing.forced, "created_at": blessing.created_at,
                         "rules": [{"rule": r.rule, "passed": r.passed, "reason": r.reason} for r in blessing.rules]}}
    return document


def alias_change(change: Any) -> dict[str, Any]:
    return {"what": "alias", "alias": change.alias, "action": change.action, "from_version": change.from_version,
            "to_version": change.to_version, "changed_at": change.changed_at, "changed_by": change.changed_by,
            "reason": change.reason, "forced": change.forced}


def stage_change(change: Any) -> dict[str, Any]:
    return {"what": "stage", "version": change.version, "from_stage": change.from_stage,
            "to_stage": change.to_stage, "changed_at": change.changed_at, "changed_by": change.changed_by,
            "reason": change.reason, "forced": change.forced}
