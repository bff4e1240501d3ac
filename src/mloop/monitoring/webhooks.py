"""Webhooks: outside systems (Slack, a pager, a CI job) told about alerts and registry events.

A message is queued for each subscribed webhook in the transaction that records its event (the
outbox, `alert_deliveries`) and posted by mloop.monitoring.delivery. Its body is Slack-compatible
JSON: `{"text": "one line", "mloop": {event, source, alert_id, status, summary, details, time}}`
(format "slack" sends the text alone)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mloop.core.clock import utcnow
from mloop.core.errors import ConfigError, NotFoundError, ValidationError
from mloop.core.ids import new_id
from mloop.stores.metadata.monitors import DeliveryRecord, WebhookRecord

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace

EVENTS = ("alerts", "registry")
FORMATS = ("json", "slack")
Webhook = WebhookRecord
#: how far the registry events were read (mloop.monitoring.registry_events)
CURSORS = ("versions", "alias_history", "blessings")
#: the creation time shown for webhooks declared in mloop.yaml
DECLARED_AT = datetime(1970, 1, 1, tzinfo=timezone.utc)


def add_webhook(url: str, *, events: list[str] | tuple[str, ...] = EVENTS, format: str = "json",
                workspace: Workspace | None = None) -> WebhookRecord:
    """Send alerts and/or registry events (`events`) to `url` from now on."""
    from mloop.stores.workspace import get_workspace

    chosen = list(dict.fromkeys(events))
    check_webhook(url, chosen, format)
    workspace = workspace or get_workspace()
    workspace.check_writable()
    webhook = WebhookRecord(new_id(), url, chosen, format, utcnow())
    if "registry" in chosen:
        start_registry_cursors(workspace)  # a new webhook hears what happens from now on, not the history
    workspace.monitors.add_webhook(webhook)
    return webhook


def list_webhooks(*, workspace: Workspace | None = None) -> list[WebhookRecord]:
    """Every webhook: those added (`mloop webhooks add`) and those declared in mloop.yaml
    (`webhooks:`, ids starting with "yaml-")."""
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    return workspace.monitors.list_webhooks() + declared_webhooks(workspace)


def declared_webhooks(workspace: Workspace) -> list[WebhookRecord]:
    """The webhooks of mloop.yaml, each with an id derived from what it declares."""
    import hashlib

    found = []
    for url, events, format in workspace.settings.webhooks:
        try:
            check_webhook(url, list(events), format)
        except ValidationError as exc:
            raise ConfigError(f"mloop.yaml: webhooks: {exc}") from None
        digest = hashlib.sha256(f"{url} {','.join(events)} {format}".encode()).hexdigest()[:16]
        found.append(WebhookRecord(f"yaml-{digest}", url, list(dict.fromkeys(events)), format, DECLARED_AT))
    return found


def check_webhook(url: str, events: list[str], format: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"webhook URL {url!r} is not an http(s) URL; give one like https://hooks.example.com/x")
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise ValidationError(f"unknown webhook events {', '.join(unknown) or '(none)'}; use one or more of: "
                              f"{', '.join(EVENTS)}")
    if format not in FORMATS:
        raise ValidationError(f"unknown webhook format {format!r}; use one of: {', '.join(FORMATS)}")


def remove_webhook(webhook_id: str, *, workspace: Workspace | None = None) -> None:
    """Stop sending to a webhook (by id or a unique prefix); its queued messages are still tried."""
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    store = workspace.monitors
    if any(w.id == webhook_id for w in declared_webhooks(workspace)):
        raise ValidationError(f"webhook {webhook_id} is declared in mloop.yaml; remove it from 'webhooks:' there")
    hooks = [w.id for w in store.list_webhooks()]
    matches = [h for h in hooks if h == webhook_id] or [h for h in hooks if h.startswith(webhook_id)]
    if len(matches) != 1 or not store.remove_webhook(matches[0]):
        raise NotFoundError(f"no webhook {webhook_id!r}; list them with: mloop webhooks list")


def start_registry_cursors(workspace: Workspace) -> None:
    """Start the cursors at the registry's present (when the first registry webhook is added)."""
    store = workspace.monitors
    heads = store.registry_heads()
    missing = {name: heads[name] for name in CURSORS if store.get_cursor(name) is None}
    if missing:
        store.set_cursors(missing)


def messages_for(webhooks: list[WebhookRecord], topic: str, event: str, text: str, body: dict[str, Any],
                 at: datetime, alert_id: str | None = None) -> list[DeliveryRecord]:
    """One queued message per webhook subscribed to `topic` ("alerts" or "registry")."""
    messages = []
    for hook in webhooks:
        if topic not in hook.events:
            continue
        payload: dict[str, Any] = {"text": text}
        if hook.format == "json":
            payload["mloop"] = {"event": event, **body, "time": at.isoformat()}
        messages.append(DeliveryRecord(id=new_id(), event=event, alert_id=alert_id, webhook_id=hook.id, url=hook.url,
                                       status="pending", attempts=0, next_attempt_at=at, last_error=None,
                                       payload=payload, created_at=at, delivered_at=None))
    return messages
