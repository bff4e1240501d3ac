"""The registry as plain data, shared by the model pages and `/api/v1/models/...`: versions with
their metrics and source run, aliases with who moved them when, stage history, blessing reports
(verdict, each rule's value against its threshold) and model cards with the signature as rows."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import mloop


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def version_summary(version: mloop.ModelVersion) -> dict[str, Any]:
    return {"model": version.name, "version": version.version, "artifact_id": version.artifact_id,
            "run_id": version.run_id, "metrics": version.metrics, "stage": version.stage,
            "aliases": version.aliases, "description": version.description,
            "created_at": _iso(version.created_at), "created_by": version.created_by}


def blessing_reports(name: str, version: int | None = None) -> list[dict[str, Any]]:
    """Every blessing report of model `name` (or of one version), oldest first."""
    records = mloop.get_workspace().registry.blessing_reports(name, version)
    reports = [mloop.BlessingReport.from_record(record) for record in records]
    return [{"id": r.id, "model": r.model, "version": r.version, "passed": r.passed, "forced": r.forced,
             "blessed": r.blessed, "summary": r.summary(), "created_at": _iso(r.created_at),
             "created_by": r.created_by, "rules": [asdict(rule) for rule in r.rules],
             "policy": r.policy, "evaluation": r.evaluation} for r in reports]


def signature_rows(version: mloop.ModelVersion) -> dict[str, list[dict[str, Any]]] | None:
    signature = version.signature
    if signature is None:
        return None
    return {"inputs": [asdict(column) for column in signature.inputs],
            "outputs": [asdict(output) for output in signature.outputs]}


def alias_changes(name: str, alias: str | None = None) -> list[dict[str, Any]]:
    return [{"alias": c.alias, "from_version": c.from_version, "to_version": c.to_version, "action": c.action,
             "forced": c.forced, "reason": c.reason, "changed_by": c.changed_by, "changed_at": _iso(c.changed_at)}
            for c in mloop.alias_history(name, alias)]


def stage_changes(name: str, version: int | None = None) -> list[dict[str, Any]]:
    return [{"version": c.version, "from_stage": c.from_stage, "to_stage": c.to_stage, "forced": c.forced,
             "reason": c.reason, "changed_by": c.changed_by, "changed_at": _iso(c.changed_at)}
            for c in mloop.stage_history(name, version)]


def model_detail(name: str) -> dict[str, Any]:
    """A model's versions (newest first), aliases and their history, stages, blessing reports."""
    versions = mloop.list_versions(name)
    if not versions:
        mloop.get_model_version(name, "latest")  # raises the registry's NotFoundError
    history = alias_changes(name)
    aliases = mloop.model_aliases(name).get(name, {})
    last_moves = {change["alias"]: change for change in history if change["alias"] in aliases}  # oldest first
    return {"name": name, "versions": [version_summary(v) for v in reversed(versions)],
            "aliases": aliases, "alias_moved": last_moves, "alias_history": history,
            "stage_history": stage_changes(name), "blessing_reports": blessing_reports(name)}


def version_detail(name: str, number: int) -> dict[str, Any]:
    version = mloop.get_model_version(name, number)
    return {**version_summary(version), "signature": signature_rows(version), "card": version.card,
            "lineage": version.lineage, "blessing_reports": blessing_reports(name, number)}


def models_overview() -> list[dict[str, Any]]:
    aliases = mloop.model_aliases()
    return [{"name": m.name, "description": m.description, "latest_version": m.latest_version,
             "created_at": _iso(m.created_at), "aliases": aliases.get(m.name, {})} for m in mloop.list_models()]
