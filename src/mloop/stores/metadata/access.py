"""AccessStore: API tokens, the audit trail of writes, and the rules of protected aliases.

Contract:
- each method is one transaction;
- tokens are found by id or by the sha256 of their secret (the secret itself is never stored);
  `get_token` / `token_by_hash` return None on a miss, revoked tokens included (the caller decides);
- `revoke_token` returns whether an active token was revoked (False: unknown or already revoked);
- `touch_token` sets `last_used_at` only when it is unset or older than `older_than`, so a busy
  token costs one write a minute, not one a request;
- the audit trail is append-only; `audit_entries` is newest first, filtered by who, action
  (exact or a prefix ending in "*") and time, at most `limit` entries;
- alias rules are keyed by (model glob, alias): `set_alias_rule` replaces, `remove_alias_rule`
  returns whether the rule existed; `alias_rules` is sorted by model, then alias.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class TokenRecord:
    id: str
    name: str
    #: "viewer", "editor" or "admin"
    role: str
    #: sha256 (hex) of the secret
    secret_hash: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    who: str
    role: str
    #: what was done, e.g. "models.promote" or "POST /api/v1/runs"
    action: str
    #: what it was done to, e.g. "models/fraud/champion"
    target: str
    detail: dict[str, Any] = field(default_factory=dict)
    #: given by the store (0 before it is added)
    id: int = 0


@dataclass(frozen=True)
class AliasRuleRecord:
    #: a glob over model names ("*" for every model)
    model: str
    alias: str
    #: "admin" (admins only) or "blessed" (admins, or writers when the version's blessing report passed)
    rule: str
    updated_at: datetime
    updated_by: str


class AccessStore(Protocol):
    def add_token(self, token: TokenRecord) -> None: ...
    def get_token(self, token_id: str) -> TokenRecord | None: ...
    def token_by_hash(self, secret_hash: str) -> TokenRecord | None: ...
    def list_tokens(self, *, include_revoked: bool = True) -> list[TokenRecord]: ...
    def revoke_token(self, token_id: str, at: datetime) -> bool: ...
    def touch_token(self, token_id: str, at: datetime, older_than: datetime) -> None: ...

    def add_audit(self, entry: AuditRecord) -> int: ...
    def audit_entries(self, *, who: str | None = None, action: str | None = None, since: datetime | None = None,
                      limit: int = 100) -> list[AuditRecord]: ...

    def set_alias_rule(self, rule: AliasRuleRecord) -> None: ...
    def remove_alias_rule(self, model: str, alias: str) -> bool: ...
    def alias_rules(self) -> list[AliasRuleRecord]: ...
