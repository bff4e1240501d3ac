"""Posting queued messages to webhooks: each due message is claimed (so two processes never post
it twice), posted with a short timeout, and marked delivered, or retried with exponential backoff
(30 s, 1 min, 2 min, ...) until MAX_ATTEMPTS, then marked failed with its last error (see
`mloop alerts deliveries`). The scheduler calls `deliver_pending` on every tick."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mloop.core.clock import utcnow

if TYPE_CHECKING:
    from mloop.stores.metadata.monitors import DeliveryRecord
    from mloop.stores.workspace import Workspace

MAX_ATTEMPTS = 5
BACKOFF = timedelta(seconds=30)
logger = logging.getLogger("mloop.alerts")


def deliver_pending(workspace: Workspace | None = None, *, at: datetime | None = None, timeout: float = 5.0,
                    limit: int = 100) -> int:
    """Queue the registry events since the last call, then post the messages that are due (as of
    `at`, default now); the number delivered. Never raises because a webhook is down."""
    from mloop.monitoring.registry_events import collect_registry_events
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    store = workspace.monitors
    now = at or utcnow()
    collect_registry_events(workspace, at=now)
    delivered = 0
    for message in store.due_deliveries(now, limit=limit):
        # held while posting; a process dying mid-post leaves it to be tried again after the lease
        if not store.claim_delivery(message.id, message.attempts, now + timedelta(seconds=timeout) + BACKOFF):
            continue
        error = post(message.url, message.payload, timeout)
        attempts = message.attempts + 1
        if error is None:
            store.finish_delivery(message.id, status="delivered", next_attempt_at=now, last_error=None,
                                  delivered_at=utcnow())
            delivered += 1
        elif attempts >= MAX_ATTEMPTS:
            store.finish_delivery(message.id, status="failed", next_attempt_at=now, last_error=error,
                                  delivered_at=None)
            logger.error("webhook %s: gave up on %s after %d attempts: %s", message.url, message.event, attempts, error)
        else:
            retry = now + BACKOFF * 2 ** (attempts - 1)
            store.finish_delivery(message.id, status="pending", next_attempt_at=retry, last_error=error,
                                  delivered_at=None)
            logger.warning("webhook %s: %s not delivered (attempt %d of %d, next at %s): %s", message.url,
                           message.event, attempts, MAX_ATTEMPTS, retry.isoformat(timespec="seconds"), error)
    return delivered


def list_deliveries(status: str | None = None, *, alert_id: str | None = None, limit: int = 100,
                    workspace: Workspace | None = None) -> list[DeliveryRecord]:
    """Messages to webhooks, newest first: pending, delivered or failed, with their last error."""
    from mloop.core.errors import ValidationError
    from mloop.stores.workspace import get_workspace

    if status not in (None, "pending", "delivered", "failed"):
        raise ValidationError(f"unknown delivery status {status!r}; use pending, delivered or failed")
    return (workspace or get_workspace()).monitors.list_deliveries(status=status, alert_id=alert_id, limit=limit)


def post(url: str, payload: dict[str, Any], timeout: float) -> str | None:
    """POST `payload` as JSON; None when the server answered 2xx, else the reason in one line."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=json.dumps(payload, default=str).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "mloop"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) checked on add
            response.read()
        return None
    except urllib.error.HTTPError as exc:
        body = exc.read(200).decode("utf-8", "replace").strip().replace("\n", " ")
        return f"HTTP {exc.code}" + (f": {body}" if body else "")
    except urllib.error.URLError as exc:
        return f"cannot reach it: {exc.reason}"
    except (OSError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
