"""API tokens: a random secret shown once, stored as its sha256, with a role and a revocation time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from mloop.access.audit import record_audit
from mloop.core.clock import utcnow
from mloop.core.errors import NotFoundError, ValidationError
from mloop.stores.metadata.access import TokenRecord
from mloop.stores.workspace import Workspace, get_workspace

ROLES = ("viewer", "editor", "admin")
SECRET_PREFIX = "mlp_"
#: how stale `last_used_at` may get: a busy token costs one write a minute, not one a request
LAST_USE_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class Token:
    """A token as people see it: never its secret."""

    id: str
    name: str
    role: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(name: str, role: str = "viewer", *, created_by: str = "local", creator_role: str = "admin",
                 workspace: Workspace | None = None) -> tuple[str, str]:
    """A new token for `name` with `role`: (token id, secret). The secret is not stored and cannot be
    shown again; clients send it as `Authorization: Bearer SECRET` (or MLOOP_TOKEN)."""
    if role not in ROLES:
        raise ValidationError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationError("a token needs a name of 1 to 200 characters, e.g. mloop tokens create ci --role editor")
    workspace = workspace or get_workspace()
    workspace.check_writable()
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token_id = "tok_" + secrets.token_hex(6)
    workspace.access.add_token(TokenRecord(id=token_id, name=name, role=role, secret_hash=secret_hash(secret),
                                           created_at=utcnow(), created_by=created_by))
    record_audit(created_by, creator_role, "tokens.create", f"tokens/{token_id}", {"name": name, "role": role},
                 workspace=workspace)
    return token_id, secret


def list_tokens(*, include_revoked: bool = True, workspace: Workspace | None = None) -> list[Token]:
    """Every token, oldest first (revoked ones too unless `include_revoked` is False)."""
    records = (workspace or get_workspace()).access.list_tokens(include_revoked=include_revoked)
    return [_public(record) for record in records]


def revoke_token(token_id: str, *, revoked_by: str = "local", revoker_role: str = "admin",
                 workspace: Workspace | None = None) -> Token:
    """Revoke a token at once: every request with it fails from now on. Revoking twice is a no-op."""
    workspace = workspace or get_workspace()
    record = workspace.access.get_token(token_id)
    if record is None:
        raise NotFoundError(f"no token {token_id!r}; see the tokens with: mloop tokens list")
    now = utcnow()
    if not workspace.access.revoke_token(token_id, now):
        return _public(record)
    record_audit(revoked_by, revoker_role, "tokens.revoke", f"tokens/{token_id}", {"name": record.name},
                 workspace=workspace)
    return _public(replace(record, revoked_at=now))


def authenticate(secret: str, *, workspace: Workspace | None = None) -> Token | None:
    """The active token whose secret this is, or None (unknown, malformed or revoked). Looked up by
    hash (an index hit), then compared in constant time; notes the use at most once a minute."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    workspace = workspace or get_workspace()
    digest = secret_hash(secret)
    record = workspace.access.token_by_hash(digest)
    if record is None or record.revoked_at is not None or not hmac.compare_digest(record.secret_hash, digest):
        return None
    _note_use(record, workspace)
    return _public(record)


def token_by_id(token_id: str, *, workspace: Workspace | None = None) -> tuple[Token, str] | None:
    """An active token and its secret's hash (the key its UI sessions are signed with), or None; a
    session's request counts as a use of its token."""
    workspace = workspace or get_workspace()
    record = workspace.access.get_token(token_id)
    if record is None or record.revoked_at is not None:
        return None
    _note_use(record, workspace)
    return _public(record), record.secret_hash


def _note_use(record: TokenRecord, workspace: Workspace) -> None:
    now = utcnow()
    if record.last_used_at is None or record.last_used_at < now - LAST_USE_INTERVAL:
        workspace.access.touch_token(record.id, now, older_than=now - LAST_USE_INTERVAL)


def _public(record: TokenRecord) -> Token:
    return Token(id=record.id, name=record.name, role=record.role, created_at=record.created_at,
                 created_by=record.created_by, last_used_at=record.last_used_at, revoked_at=record.revoked_at)
