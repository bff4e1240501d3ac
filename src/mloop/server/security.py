"""Who is calling and what they may do: the interface every route uses, and the routes of tokens,
the audit trail and alias rules.

- `current_principal` (FastAPI dependency): the caller. Auth off: the local user, admin. Auth on:
  the token of `Authorization: Bearer ...` or of the UI's session cookie, as resolved by the
  AccessGuard middleware (mloop.server.guard), which already refused a request without one (401,
  or a redirect to /login for pages) and a role below the route's need (403).
- a route's need is "read" for GET and "write" for the other methods unless it says otherwise with
  `openapi_extra=access("admin")` (or "read" for a POST that only reads, "public" for no login);
- `authorize(principal, need, target)`: raise Forbidden unless the role allows `need` on `target`;
- `check_alias_move(principal, model, alias, version)`: the protected-alias rule
  (mloop.registry.protection), Forbidden with the way out when refused;
- `audit(principal, action, target, detail)`: record a write. The guard records a generic entry
  for every accepted write whose route recorded none; a promotion's entry carries its blessing
  report and the model's drift evidence (mloop.server.evidence)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from mloop.core.errors import MloopError

ROLES = ("viewer", "editor", "admin")
Need = Literal["read", "write", "admin"]
RANK = {"viewer": 0, "editor": 1, "admin": 2}
NEED_RANK = {"public": -1, "read": 0, "write": 1, "admin": 2}
ACCESS_KEY = "x-mloop-access"

router = APIRouter(tags=["auth"])


class Forbidden(MloopError):
    """The caller's role does not allow this (HTTP 403)."""


class Unauthorized(MloopError):
    """No valid token or session (HTTP 401)."""


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    token_id: str | None = None


LOCAL = Principal("local", "admin")


def access(need: str) -> dict[str, Any]:
    """`openapi_extra` of a route whose need is not its method's default: "public", "read", "write", "admin"."""
    return {ACCESS_KEY: need}


def current_principal(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if isinstance(principal, Principal):
        return principal
    if getattr(request.app.state, "auth", False):
        raise Unauthorized("this server needs a token: send Authorization: Bearer TOKEN (mloop tokens create)")
    return LOCAL


def authorize(principal: Principal, need: Need, target: str) -> None:
    if RANK.get(principal.role, -1) < NEED_RANK[need]:
        wanted = "admin" if need == "admin" else "editor" if need == "write" else "viewer"
        raise Forbidden(f"{principal.name} ({principal.role}) may not {need} {target}; "
                        f"ask an admin for a token with role {wanted}")


def check_alias_move(principal: Principal, model: str, alias: str, version: int | None) -> None:
    from mloop.registry.protection import alias_move_refusal

    authorize(principal, "write", f"models/{model}/aliases/{alias}")
    refusal = alias_move_refusal(principal.role, model, alias, version)
    if refusal is not None:
        raise Forbidden(refusal)


def audit(principal: Principal, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
    """Record a write. When `detail` names a "model" and a "version" and the action moves an alias
    or a stage (promote, rollback, alias, stage), the newest blessing report of the version and the
    model's latest drift evidence are added to it."""
    from mloop.access import record_audit
    from mloop.server.evidence import is_promotion, promotion_evidence

    detail = dict(detail or {})
    if principal.token_id:
        detail.setdefault("token", principal.token_id)
    if is_promotion(action, detail):
        detail.update(promotion_evidence(str(detail["model"]), int(detail["version"])))
    record_audit(principal.name, principal.role, action, target, detail)


def resolve_principal(authorization: str | None, session: str | None, *, auth: bool) -> tuple[Principal | None, str]:
    """(the caller, how it came): "local" with auth off, "bearer" for a header (None when its token
    is unknown or revoked), "session" for a valid UI session, "none" otherwise."""
    from mloop.access import authenticate
    from mloop.access.tokens import token_by_id
    from mloop.server.sessions import session_token_id, session_valid

    if not auth:
        return LOCAL, "local"
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        token = authenticate(secret.strip()) if scheme.lower() == "bearer" else None
        return (Principal(token.name, token.role, token.id) if token else None), "bearer"
    token_id = session_token_id(session) if session else None
    found = token_by_id(token_id) if token_id else None
    if found is not None and session is not None and session_valid(session, found[1]):
        return Principal(found[0].name, found[0].role, found[0].id), "session"
    return None, "none"


# routes -------------------------------------------------------------------------------------------

class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    role: Literal["viewer", "editor", "admin"] = "viewer"


class AliasRuleBody(BaseModel):
    model: str = Field(min_length=1, max_length=200, description="a model name or a glob such as '*'")
    alias: str = Field(min_length=1, max_length=200)
    rule: Literal["admin", "blessed", "open"]


@router.get("/me")
def me(request: Request, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """The caller: name, role and token id (the local admin when auth is off)."""
    return {**asdict(principal), "auth": bool(getattr(request.app.state, "auth", False))}


@router.get("/tokens", openapi_extra=access("admin"))
def tokens_list(principal: Principal = Depends(current_principal)) -> list[dict[str, Any]]:
    """Every token (never a secret), oldest first."""
    from mloop.access import list_tokens

    authorize(principal, "admin", "tokens")
    return [{**asdict(token), "active": token.active} for token in list_tokens()]


@router.post("/tokens", status_code=201, openapi_extra=access("admin"))
def tokens_create(body: NewToken, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """A new token; its secret is in this answer only."""
    from mloop.access import create_token

    authorize(principal, "admin", "tokens")
    token_id, secret = create_token(body.name, body.role, created_by=principal.name, creator_role=principal.role)
    return {"id": token_id, "name": body.name.strip(), "role": body.role, "secret": secret}


@router.delete("/tokens/{token_id}", openapi_extra=access("admin"))
def tokens_revoke(token_id: str, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Revoke a token: requests with it fail from now on."""
    from mloop.access import revoke_token

    authorize(principal, "admin", "tokens")
    token = revoke_token(token_id, revoked_by=principal.name, revoker_role=principal.role)
    return {**asdict(token), "active": token.active}


@router.get("/audit", openapi_extra=access("admin"))
def audit_list(who: str | None = Query(None, max_length=200), action: str | None = Query(None, max_length=200),
               since: datetime | None = None, limit: int = Query(100, ge=1, le=1000),
               principal: Principal = Depends(current_principal)) -> list[dict[str, Any]]:
    """The audit trail, newest first; `action` exact or a prefix ending in '*' (models.*)."""
    from mloop.access import audit_trail

    authorize(principal, "admin", "audit")
    return [asdict(entry) for entry in audit_trail(who=who, action=action, since=since, limit=limit)]


@router.get("/alias-rules", openapi_extra=access("admin"))
def alias_rules_list(principal: Principal = Depends(current_principal)) -> list[dict[str, Any]]:
    """The protected-alias rules in force (defaults included)."""
    from mloop.registry.protection import alias_rules

    authorize(principal, "admin", "alias-rules")
    return [{**asdict(rule), "default": rule.default} for rule in alias_rules()]


@router.put("/alias-rules", openapi_extra=access("admin"))
def alias_rules_set(body: AliasRuleBody, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Set who may move an alias: admin, blessed (admins, or writers with a passing blessing report), open."""
    from mloop.registry.protection import protect_alias

    authorize(principal, "admin", "alias-rules")
    rule = protect_alias(body.model, body.alias, body.rule, by=principal.name, by_role=principal.role)
    return {**asdict(rule), "default": rule.default}
