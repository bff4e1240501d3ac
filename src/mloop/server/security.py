"""Who is calling and what they may do (STUB: replaced by the auth work; the interface is fixed).

- `current_principal` (FastAPI dependency): the caller. Auth off: the local user, admin.
  Auth on: the token of `Authorization: Bearer ...` or of the UI's session cookie; 401 otherwise.
- `authorize(principal, need, target)`: raise Forbidden unless the principal's role allows `need`
  ("read" | "write" | "admin") on `target` (e.g. "runs.create_run", "models/fraud").
- `check_alias_move(principal, model, alias, version)`: the protected-alias rule.
- `audit(principal, action, target, detail)`: record a write (who, when, what)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Request

from mloop.core.errors import MloopError

ROLES = ("viewer", "editor", "admin")
Need = Literal["read", "write", "admin"]

router = APIRouter(tags=["auth"])


class Forbidden(MloopError):
    """The caller's role does not allow this (HTTP 403)."""


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    token_id: str | None = None


LOCAL = Principal("local", "admin")


def current_principal(request: Request) -> Principal:
    return LOCAL


def authorize(principal: Principal, need: Need, target: str) -> None:
    return None


def check_alias_move(principal: Principal, model: str, alias: str, version: int | None) -> None:
    return None


def audit(principal: Principal, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
    return None
