"""Webhooks on a real HTTP server on 127.0.0.1: alert notifications (opened once, resolved), a
retry after the server answers 500, a delivery given up on, and registry events (registered,
promoted) sent once each."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from monitor_testing import at, log_predictions, webhook_server

import mloop
from mloop.monitoring import delivery
from mloop.stores.workspace import get_workspace


def test_alert_messages_reach_the_webhook_once_and_a_500_is_retried(workspace: Path) -> None:
    ws = get_workspace()
    with webhook_server() as hook:
        mloop.add_webhook(hook.url, events=["alerts"])
        mloop.apply_monitors([mloop.Monitor("fraud-volume", "volume", model="fraud", options={"min": 1})])
        mloop.run_monitor("fraud-volume", at=at(60))  # no predictions: fails, opens the alert
        mloop.run_monitor("fraud-volume", at=at(61))  # still failing, within the cooldown: no message
        assert hook.events() == ["alert.opened"]
        [body] = hook.received
        assert body["text"] == ("[mloop] ALERT fraud-volume (warning): 0 predictions of fraud in the last 1h: "
                                "below min 1")
        assert body["mloop"]["source"] == "fraud-volume" and body["mloop"]["status"] == "open"
        assert body["mloop"]["details"]["value"] == 0.0

        hook.answers = [500]  # the resolve notice meets an error first
        log_predictions(ws, "fraud", [at(100)])
        mloop.run_monitor("fraud-volume", at=at(120))
        [pending] = mloop.list_deliveries(status="pending")
        assert (pending.event, pending.attempts, pending.last_error) == ("alert.resolved", 1, "HTTP 500: no")
        assert pending.next_attempt_at == at(120) + delivery.BACKOFF
        assert mloop.deliver_pending(at=at(120) + timedelta(seconds=10)) == 0  # not due yet
        assert mloop.deliver_pending(at=at(121)) == 1
        assert hook.events() == ["alert.opened", "alert.resolved"]
        assert hook.received[-1]["text"].startswith("[mloop] RESOLVED fraud-volume after 1h")
        assert {d.status for d in mloop.list_deliveries()} == {"delivered"}


def test_a_webhook_that_stays_down_is_given_up_on_after_max_attempts(sqlite_workspace: Path) -> None:
    with webhook_server() as hook:
        dead = hook.url
    mloop.add_webhook(dead, events=["alerts"], format="slack")
    alert = mloop.raise_alert("loop:fraud", "candidate refused by blessing", at=at(0))
    moment = at(0)
    for attempt in range(delivery.MAX_ATTEMPTS):
        assert mloop.deliver_pending(at=moment, timeout=1.0) == 0
        moment += delivery.BACKOFF * 2 ** attempt
    [failed] = mloop.list_deliveries(alert_id=alert.id)
    assert (failed.status, failed.attempts) == ("failed", delivery.MAX_ATTEMPTS)
    assert failed.last_error is not None and failed.last_error.startswith("cannot reach it")
    assert failed.payload == {"text": "[mloop] ALERT loop:fraud (warning): candidate refused by blessing"}
    assert mloop.deliver_pending(at=moment + timedelta(days=1)) == 0


def test_registry_events_reach_the_webhook_once_each(workspace: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"amount": rng.normal(size=40), "age": rng.normal(size=40)})
    model = LogisticRegression().fit(frame, (frame["amount"] > 0).astype(int))
    with webhook_server() as hook:
        mloop.register_model("fraud", model, training_data=frame)  # before the webhook: not sent
        mloop.add_webhook(hook.url, events=["registry"])
        version = mloop.register_model("fraud", model, training_data=frame)
        mloop.promote(version, "challenger", reason="better auc")
        assert mloop.deliver_pending() == 2
        assert mloop.deliver_pending() == 0  # nothing twice
        assert hook.events() == ["registry.registered", "registry.promoted"]
        registered, promoted = (body["mloop"] for body in hook.received)
        assert (registered["model"], registered["version"]) == ("fraud", 2)
        assert (promoted["alias"], promoted["version"], promoted["details"]["reason"]) == ("challenger", 2, "better auc")
        assert hook.received[1]["text"].startswith("[mloop] promoted fraud@challenger -> version 2")


def test_webhook_urls_and_events_are_checked(sqlite_workspace: Path) -> None:
    with pytest.raises(mloop.ValidationError, match="not an http"):
        mloop.add_webhook("ftp://example.com/x")
    with pytest.raises(mloop.ValidationError, match="unknown webhook events pages"):
        mloop.add_webhook("http://127.0.0.1:1/x", events=["pages"])
    hook = mloop.add_webhook("http://127.0.0.1:1/x")
    assert [w.id for w in mloop.list_webhooks()] == [hook.id]
    mloop.remove_webhook(hook.id[:6])
    with pytest.raises(mloop.NotFoundError, match="mloop webhooks list"):
        mloop.remove_webhook(hook.id)


def test_webhooks_declared_in_mloop_yaml(sqlite_workspace: Path) -> None:
    with webhook_server() as hook:
        (sqlite_workspace / "mloop.yaml").write_text(f"webhooks:\n  - {{url: '{hook.url}', events: [alerts], "
                                                     "format: slack}\n")
        [declared] = mloop.list_webhooks()
        assert declared.id.startswith("yaml-") and (declared.events, declared.format) == (["alerts"], "slack")
        mloop.raise_alert("loop:fraud", "rolled back to version 3", severity="critical", at=at(0))
        assert mloop.deliver_pending(at=at(0)) == 1
        assert hook.received == [{"text": "[mloop] ALERT loop:fraud (critical): rolled back to version 3"}]
        with pytest.raises(mloop.ValidationError, match="declared in mloop.yaml"):
            mloop.remove_webhook(declared.id)
    (sqlite_workspace / "mloop.yaml").write_text("webhooks:\n  - {url: 'ftp://x/y'}\n")
    with pytest.raises(mloop.ConfigError, match="mloop.yaml: webhooks: webhook URL 'ftp://x/y' is not an http"):
        mloop.list_webhooks()


def test_two_deliverers_at_once_post_each_message_once(workspace: Path) -> None:
    import threading

    with webhook_server() as hook:
        mloop.add_webhook(hook.url, events=["alerts"])
        for i in range(12):
            mloop.raise_alert(f"source-{i}", f"problem {i}", at=at(0))
        ws = get_workspace()
        counts: list[int] = []
        threads = [threading.Thread(target=lambda: counts.append(mloop.deliver_pending(ws, at=at(1))))
                   for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sum(counts) == 12
        assert sorted(body["mloop"]["source"] for body in hook.received) == sorted(f"source-{i}" for i in range(12))
