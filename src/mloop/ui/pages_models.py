"""Registry pages: `/models`, `/models/{name}` (versions, aliases and who moved them, stages,
blessing reports, the promote/rollback form) and `/models/{name}/{version}` (the model card).
The artifact, feature, deployment, schedule and report pages are included from here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

import mloop
from mloop.core.errors import MloopError, NotFoundError, ValidationError
from mloop.server import security
from mloop.ui import pages_artifacts, pages_operations, registry_view
from mloop.ui.page_errors import PageRoute, form_fields
from mloop.ui.render import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
ACTIONS = ("promote", "rollback")


@router.get("/models")
def models_page(request: Request, principal: security.Principal = Depends(security.current_principal)) -> Any:
    security.authorize(principal, "read", "models")
    return render(request, "models.html", models=registry_view.models_overview())


def _model_page(request: Request, name: str, *, status_code: int = 200, refusal: str = "",
                notice: str = "") -> Any:
    return render(request, "model.html", status_code=status_code, model=registry_view.model_detail(name),
                  refusal=refusal, notice=notice)


@router.get("/models/{name}")
def model_page(request: Request, name: str, moved: str = "",
               principal: security.Principal = Depends(security.current_principal)) -> Any:
    security.authorize(principal, "read", f"models/{name}")
    return _model_page(request, name, notice=moved[:200])


@router.post("/models/{name}/aliases")
def move_alias(request: Request, name: str, form: dict[str, str] = Depends(form_fields),
               principal: security.Principal = Depends(security.current_principal)) -> Any:
    """The promote/rollback form: a gate refusal (not blessed, protected alias, a bad version)
    shows its one-line reason on the model page."""
    security.authorize(principal, "read", f"models/{name}")
    try:
        change = _apply_move(principal, name, form)
    except MloopError as exc:
        status = 403 if isinstance(exc, security.Forbidden) else 409 if isinstance(exc, mloop.ConflictError) else 422
        if isinstance(exc, mloop.NotFoundError) and not mloop.list_versions(name):
            raise
        return _model_page(request, name, status_code=status, refusal=str(exc).splitlines()[0])
    moved = f"{change.alias} → {name}/{change.to_version}"
    return RedirectResponse(f"/models/{name}?moved={moved}", status_code=303)


def _apply_move(principal: security.Principal, name: str, form: dict[str, str]) -> Any:
    action, alias, reason = form.get("action", "promote"), form.get("alias", "").strip(), form.get("reason", "")
    if action not in ACTIONS:
        raise ValidationError(f"unknown action {action!r}; use promote or rollback")
    if not alias:
        raise ValidationError("name the alias to move, e.g. champion")
    security.authorize(principal, "write", f"models/{name}")
    if action == "rollback":
        security.check_alias_move(principal, name, alias, None)
        change = mloop.rollback(name, alias, reason=reason)
    else:
        text = form.get("version", "").strip()
        if not text.isdigit() or int(text) < 1:
            raise ValidationError(f"version must be a version number, not {text!r}")
        security.check_alias_move(principal, name, alias, int(text))
        change = mloop.promote(f"{name}/{int(text)}", alias, reason=reason)
    security.audit(principal, f"alias.{action}", f"models/{name}",
                   {"alias": alias, "from_version": change.from_version, "to_version": change.to_version,
                    "reason": reason, "via": "ui"})
    return change


@router.get("/models/{name}/{version}")
def version_page(request: Request, name: str, version: str,
                 principal: security.Principal = Depends(security.current_principal)) -> Any:
    security.authorize(principal, "read", f"models/{name}")
    if not version.isdigit() or int(version) < 1:
        raise NotFoundError(f"model {name!r} has no version {version[:40]!r}; versions are numbers, see /models/{name}")
    return render(request, "model_version.html", mv=registry_view.version_detail(name, int(version)))


router.include_router(pages_artifacts.router)
router.include_router(pages_operations.router)
