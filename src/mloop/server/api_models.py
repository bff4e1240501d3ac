"""REST routes of the registry, artifacts' lineage, features, deployments and schedules (mounted
at /api/v1). Reads call the public API through the views the pages use, so a page and its JSON
never disagree; alias moves go through the security gate (role, protected alias) and the audit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

import mloop
from mloop.registry import remove_alias
from mloop.server import security
from mloop.ui import artifact_view, operations_view, registry_view

router = APIRouter()
Caller = security.Principal


class AliasMove(BaseModel):
    """Point an alias at a version."""

    version: int = Field(ge=1, description="the version number the alias should point at")
    reason: str = Field("", max_length=2000, description="why, recorded in the alias history")
    force: bool = Field(False, description="move `champion` to a version that is not blessed (recorded)")


@router.get("/models", tags=["registry"], summary="List registered models with their aliases")
def list_models(principal: Caller = Depends(security.current_principal)) -> list[dict[str, Any]]:
    security.authorize(principal, "read", "models")
    return registry_view.models_overview()


@router.get("/models/{name}", tags=["registry"],
            summary="A model: versions, aliases, alias and stage history, blessing reports")
def get_model(name: str, principal: Caller = Depends(security.current_principal)) -> dict[str, Any]:
    security.authorize(principal, "read", f"models/{name}")
    return registry_view.model_detail(name)


@router.get("/models/{name}/versions/{version}", tags=["registry"],
            summary="A model version: metrics, model card, signature, lineage, blessing reports")
def get_version(name: str, version: int, principal: Caller = Depends(security.current_principal)) -> dict[str, Any]:
    security.authorize(principal, "read", f"models/{name}")
    return registry_view.version_detail(name, version)


@router.put("/models/{name}/aliases/{alias}", tags=["registry"],
            summary="Promote: point an alias at a version (champion needs a blessed version)")
def put_alias(name: str, alias: str, move: AliasMove,
              principal: Caller = Depends(security.current_principal)) -> dict[str, Any]:
    security.authorize(principal, "write", f"models/{name}")
    security.check_alias_move(principal, name, alias, move.version)
    change = mloop.promote(f"{name}/{move.version}", alias, reason=move.reason, force=move.force)
    security.audit(principal, "alias.promote", f"models/{name}",
                   {"alias": alias, "from_version": change.from_version, "to_version": change.to_version,
                    "reason": move.reason, "forced": move.force})
    return {"model": name, "alias": alias, "from_version": change.from_version, "to_version": change.to_version,
            "changed_by": change.changed_by, "changed_at": change.changed_at.isoformat()}


@router.delete("/models/{name}/aliases/{alias}", tags=["registry"], summary="Remove an alias")
def delete_alias(name: str, alias: str, reason: str = Query("", max_length=2000),
                 principal: Caller = Depends(security.current_principal)) -> dict[str, Any]:
    security.authorize(principal, "write", f"models/{name}")
    security.check_alias_move(principal, name, alias, None)
    if alias not in mloop.model_aliases(name).get(name, {}):
        mloop.get_model_version(name, alias)  # the registry's NotFoundError: unknown model or alias
    change = remove_alias(name, alias, reason=reason)
    security.audit(principal, "alias.remove", f"models/{name}",
                   {"alias": alias, "from_version": change.from_version, "reason": reason})
    return {"model": name, "alias": alias, "from_version": change.from_version, "to_version": None}


@router.get("/models/{name}/aliases/{alias}/history", tags=["registry"],
            summary="Every move of an alias: who, when, from and to which version, why")
def alias_history(name: str, alias: str, principal: Caller = Depends(security.current_principal)) -> list[dict[str, Any]]:
    security.authorize(principal, "read", f"models/{name}")
    if not mloop.list_versions(name):
        mloop.get_model_version(name, "latest")
    return registry_view.alias_changes(name, alias)


@router.get("/artifact-info/{artifact_id}", tags=["artifacts"],
            summary="An artifact's metadata, producer, consumers and lineage graph")
def artifact_info(artifact_id: str, principal: Caller = Depends(security.current_principal)) -> dict[str, Any]:
    security.authorize(principal, "read", "artifacts")
    artifact = artifact_view.find_artifact(artifact_id)
    return {**artifact_view.artifact_info(artifact), "lineage": artifact_view.lineage_graph(artifact).to_dict()}


@router.get("/features", tags=["features"],
            summary="Feature definitions (entities, views with freshness, on-demand features, services)")
def features(principal: Caller = Depends(security.current_principal)) -> dict[str, Any]:
    security.authorize(principal, "read", "features")
    return operations_view.features_overview()


@router.get("/deployments", tags=["deployments"], summary="Deployments, newest first, with their traffic split")
def deployments(principal: Caller = Depends(security.current_principal)) -> list[dict[str, Any]]:
    security.authorize(principal, "read", "deployments")
    return operations_view.deployments_overview()


@router.get("/deployments/{deployment_id}", tags=["deployments"],
            summary="A deployment: traffic split, swaps, requests per minute and latency")
def deployment(deployment_id: str, minutes: int = Query(60, ge=1, le=10080),
               principal: Caller = Depends(security.current_principal)) -> dict[str, Any]:
    security.authorize(principal, "read", "deployments")
    return operations_view.deployment_detail(deployment_id, minutes=minutes)


@router.get("/schedules", tags=["schedules"], summary="Schedules with their next runs, triggers, last fires")
def schedules(principal: Caller = Depends(security.current_principal)) -> dict[str, Any]:
    security.authorize(principal, "read", "schedules")
    return operations_view.schedules_overview()
