"""MonitorStore contract: monitors, results, alerts, webhooks, the outbox, registry cursors; SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest
from store_records import at

from mloop.core.errors import ConflictError
from mloop.stores.metadata import MetadataStores
from mloop.stores.metadata.monitors import AlertRecord, DeliveryRecord, MonitorResultRecord, WebhookRecord


def result(id: str, monitor: str, minute: float, status: str = "passed") -> MonitorResultRecord:
    return MonitorResultRecord(id=id, monitor=monitor, kind="volume", time=at(minute), window_start=at(minute - 60),
                               window_end=at(minute), status=status, value=3.0, threshold=None, summary="3 rows",
                               values={"count": 3}, rows=3, duration_ms=1.5)


def alert(id: str, source: str = "m1", status: str = "open") -> AlertRecord:
    return AlertRecord(id=id, source=source, severity="warning", status=status, opened_at=at(1), last_failed_at=at(1),
                       resolved_at=None, failures=1, summary="too few rows", details={"value": 3},
                       last_result_id="r1", notified_at=at(1))


def message(id: str, alert_id: str | None = "a1", minute: float = 1) -> DeliveryRecord:
    return DeliveryRecord(id=id, event="alert.opened", alert_id=alert_id, webhook_id="w1", url="http://x/hook",
                          status="pending", attempts=0, next_attempt_at=at(minute), last_error=None,
                          payload={"text": "hi"}, created_at=at(minute), delivered_at=None)


def test_monitors_upsert_by_name_and_say_what_changed(store: MetadataStores) -> None:
    monitors = store.monitors
    definition = {"name": "m1", "kind": "volume", "window": "1h", "options": {"min": 1}}
    assert monitors.put_monitors([("m1", "volume", definition)], at(0)) == ["created"]
    assert monitors.put_monitors([("m1", "volume", dict(definition))], at(1)) == ["unchanged"]
    assert monitors.put_monitors([("m1", "volume", {**definition, "window": "2h"}), ("m2", "volume", definition)],
                                 at(2)) == ["updated", "created"]
    found = monitors.get_monitor("m1")
    assert found is not None and found.definition["window"] == "2h"
    assert (found.created_at, found.updated_at, found.paused) == (at(0), at(2), False)
    assert monitors.set_paused("m1", True) and monitors.get_monitor("m1").paused  # type: ignore[union-attr]
    monitors.put_monitors([("a0", "freshness", {"name": "a0"})], at(3))
    assert [m.name for m in monitors.list_monitors()] == ["a0", "m1", "m2"]
    monitors.add_result(result("r1", "m1", 5))
    assert monitors.delete_monitor("m1") and not monitors.delete_monitor("m1")
    assert monitors.get_monitor("m1") is None and monitors.results("m1") == []


def test_results_are_a_time_series_newest_first(store: MetadataStores) -> None:
    monitors = store.monitors
    for i, minute in enumerate((10, 30, 20)):
        monitors.add_result(result(f"r{i}", "m1", minute, "failed" if minute == 30 else "passed"))
    monitors.add_result(result("other", "m2", 5))
    assert [r.id for r in monitors.results("m1")] == ["r1", "r2", "r0"]
    assert [r.id for r in monitors.results("m1", since=at(20), limit=1)] == ["r1"]
    first = monitors.results("m1")[0]
    assert (first.status, first.values, first.window_end) == ("failed", {"count": 3}, at(30))
    assert {name: r.id for name, r in monitors.latest_results().items()} == {"m1": "r1", "m2": "other"}


def test_one_open_alert_per_source_saved_with_its_messages(store: MetadataStores) -> None:
    monitors = store.monitors
    assert monitors.open_alert("m1") is None
    monitors.add_alert(alert("a1"), [message("d1")])
    with pytest.raises(ConflictError):
        monitors.add_alert(alert("a2"), [message("d2")])
    assert monitors.get_alert("a2") is None and [d.id for d in monitors.list_deliveries()] == ["d1"]
    opened = monitors.open_alert("m1")
    assert opened is not None and opened.id == "a1" and opened.details == {"value": 3}
    monitors.save_alert(replace(opened, status="resolved", resolved_at=at(9), failures=2), [message("d3", minute=9)])
    assert monitors.open_alert("m1") is None
    monitors.add_alert(alert("a3"), [])  # resolved: the source may open a new one
    assert [a.id for a in monitors.list_alerts(status="resolved")] == ["a1"]
    assert {a.id for a in monitors.list_alerts(source="m1")} == {"a1", "a3"}
    assert monitors.get_alert("a1").failures == 2  # type: ignore[union-attr]
    assert [d.id for d in monitors.list_deliveries(alert_id="a1")] == ["d3", "d1"]


def test_a_delivery_is_claimed_once_then_finished(store: MetadataStores) -> None:
    monitors = store.monitors
    monitors.queue([message("d1", minute=1), message("d2", minute=5), message("d3", alert_id=None, minute=2)])
    assert [d.id for d in monitors.due_deliveries(at(3))] == ["d1", "d3"]
    assert monitors.claim_delivery("d1", 0, at(10))
    assert not monitors.claim_delivery("d1", 0, at(10))  # someone else read it before: not twice
    assert [d.id for d in monitors.due_deliveries(at(6))] == ["d3", "d2"]
    monitors.finish_delivery("d1", status="delivered", next_attempt_at=at(3), last_error=None, delivered_at=at(3))
    monitors.finish_delivery("d2", status="failed", next_attempt_at=at(6), last_error="HTTP 500", delivered_at=None)
    assert [d.id for d in monitors.due_deliveries(at(60))] == ["d3"]
    done = {d.id: d for d in monitors.list_deliveries()}
    assert (done["d1"].status, done["d1"].attempts, done["d1"].delivered_at) == ("delivered", 1, at(3))
    assert [d.id for d in monitors.list_deliveries(status="failed")] == ["d2"] and done["d2"].last_error == "HTTP 500"


def test_webhooks_and_cursors(store: MetadataStores) -> None:
    monitors = store.monitors
    monitors.add_webhook(WebhookRecord("w1", "http://127.0.0.1:9/hook", ["alerts"], "json", at(1)))
    monitors.add_webhook(WebhookRecord("w2", "http://127.0.0.1:9/slack", ["alerts", "registry"], "slack", at(2)))
    assert [(w.id, w.events) for w in monitors.list_webhooks()] == [("w1", ["alerts"]), ("w2", ["alerts", "registry"])]
    assert monitors.remove_webhook("w1") and not monitors.remove_webhook("w1")
    assert monitors.get_cursor("alias_history") is None
    monitors.set_cursors({"alias_history": "3", "versions": "x"})
    monitors.set_cursors({"alias_history": "5"})
    assert (monitors.get_cursor("alias_history"), monitors.get_cursor("versions")) == ("5", "x")
    assert monitors.registry_heads()["alias_history"] == "0"
    changes = monitors.registry_changes(after_version=None, after_alias_id=None, after_blessing=None)
    assert (changes.versions, changes.alias_moves, changes.blessings) == ([], [], [])
