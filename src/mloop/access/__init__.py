"""Who may use a team server: API tokens with a role (viewer, editor, admin) and the audit trail of
every write. A domain package (beside tracking and registry): it reads and writes the workspace's
AccessStore; the server (mloop.server.security) enforces what it decides, and `mloop tokens` /
`mloop audit` call it on the server's own workspace. Protected aliases are registry policy
(mloop.registry.protection)."""

from __future__ import annotations

from mloop.access.audit import AuditEntry, audit_trail, record_audit
from mloop.access.tokens import ROLES, Token, authenticate, create_token, list_tokens, revoke_token

__all__ = ["ROLES", "AuditEntry", "Token", "audit_trail", "authenticate", "create_token", "list_tokens",
           "record_audit", "revoke_token"]
