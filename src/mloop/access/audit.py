"""The audit trail: who did what to which object, when. The server records every write it accepts
(mloop.server.security); routes that know more (a promotion's blessing report and drift evidence)
record their own entry instead of the generic one."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from typing import Any

from mloop.core.clock import as_utc, utcnow
from mloop.stores.metadata.access import AuditRecord
from mloop.stores.workspace import Workspace, get_workspace

AuditEntry = AuditRecord

#: the entries recorded while the server handles one request (it sets a fresh list per request):
#: the server writes its generic entry only when the route recorded none
recorded_in_request: ContextVar[list[int] | None] = ContextVar("mloop_audit_recorded", default=None)


def record_audit(who: str, role: str, action: str, target: str, detail: dict[str, Any] | None = None, *,
                 workspace: Workspace | None = None) -> int:
    """Append one entry to the audit trail; returns its id."""
    workspace = workspace or get_workspace()
    entry_id = workspace.access.add_audit(AuditRecord(at=utcnow(), who=who, role=role, action=action[:200],
                                                      target=target[:500], detail=detail or {}))
    recorded = recorded_in_request.get()
    if recorded is not None:
        recorded.append(entry_id)
    return entry_id


def audit_trail(*, who: str | None = None, action: str | None = None, since: datetime | None = None,
                limit: int = 100, workspace: Workspace | None = None) -> list[AuditEntry]:
    """Audit entries, newest first: by `who` (a token's name, or "local"), `action` (exact, or a
    prefix ending in "*": "models.*"), at or after `since` (naive times are UTC); at most `limit`."""
    from mloop.core.errors import ValidationError

    if not 0 < limit <= 10_000:
        raise ValidationError(f"limit must be between 1 and 10000, got {limit}")
    return (workspace or get_workspace()).access.audit_entries(who=who, action=action, since=as_utc(since),
                                                               limit=limit)
