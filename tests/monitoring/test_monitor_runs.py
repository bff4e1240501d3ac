"""Declaring, applying and running monitors through the Python API; freshness and volume kinds;
the alert lifecycle a monitor drives (open, count, cooldown, resolve)."""

from __future__ import annotations

import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from monitor_testing import at, log_predictions

import mloop
from mloop.stores.workspace import get_workspace


def test_apply_upserts_by_name_and_checks_every_monitor_first(workspace: Path) -> None:
    volume = mloop.Monitor("fraud-volume", "volume", model="fraud", window="1h", schedule="@every 5m",
                           options={"min": 3})
    applied = mloop.apply_monitors([volume])
    assert (applied.created, applied.updated, applied.unchanged) == (["fraud-volume"], [], [])
    (workspace / "monitors.yaml").write_text(
        "monitors:\n"
        "  - {name: fraud-volume, kind: volume, model: fraud, window: 1h, schedule: '@every 5m', options: {min: 3}}\n"
        "  - {name: tx-fresh, kind: freshness, source: data/tx, window: 1d, schedule: '*/10 * * * *',"
        " options: {max_age: 6h}}\n")
    applied = mloop.apply_monitors("monitors.yaml")
    assert (applied.created, applied.updated, applied.unchanged) == (["tx-fresh"], [], ["fraud-volume"])
    assert [m.name for m in mloop.list_monitors()] == ["fraud-volume", "tx-fresh"]
    assert mloop.get_monitor("tx-fresh").options == {"max_age": "6h"}
    (workspace / "more.py").write_text("import mloop\n\nvolume = mloop.Monitor('fraud-volume', 'volume', "
                                       "model='fraud', window='2h', options={'min': 3})\n")
    assert mloop.apply_monitors("more.py").updated == ["fraud-volume"]
    assert mloop.get_monitor("fraud-volume").window == "2h"

    bad = [
        (dict(kind="nope", model="fraud"), "unknown kind 'nope'"),
        (dict(kind="data_drfit", model="fraud"), "unknown kind 'data_drfit'; did you mean 'data_drift'?"),
        (dict(kind="volume", model="fraud", window="soon"), "window must be a duration"),
        (dict(kind="volume", model="fraud", schedule="every day"), "is not a cron expression"),
        (dict(kind="volume"), "set model='NAME'"),
        (dict(kind="freshness", model="fraud"), "set source="),
        (dict(kind="volume", model="fraud", options={"severity": "loud"}), "options.severity 'loud'"),
        (dict(kind="volume", model="fraud", options={"cooldown": 5}), "options.cooldown must be a duration"),
    ]
    for fields, message in bad:
        with pytest.raises(mloop.ValidationError, match=f"monitor 'x'.*{message}"):
            mloop.Monitor("x", **fields)  # type: ignore[arg-type]
    (workspace / "wrong.yaml").write_text("monitors:\n  - {name: x, kind: volume, model: fraud, window: soon}\n")
    with pytest.raises(mloop.ValidationError, match="wrong.yaml: monitor 'x': window must be a duration"):
        mloop.apply_monitors("wrong.yaml")
    (workspace / "broken.yaml").write_text("monitors:\n  - {name: a, kind: volume\n")
    with pytest.raises(mloop.ValidationError, match=r"broken.yaml:\d+: not valid YAML"):
        mloop.apply_monitors("broken.yaml")
    assert mloop.get_monitor("fraud-volume").window == "2h"  # nothing written by a refused apply
    with pytest.raises(mloop.NotFoundError, match="known monitors: fraud-volume, tx-fresh"):
        mloop.run_monitor("fraud-volumes")
    mloop.delete_monitor("tx-fresh")
    assert [m.name for m in mloop.list_monitors()] == ["fraud-volume"]


def test_a_failing_monitor_opens_one_alert_counts_renotifies_after_cooldown_and_resolves(
        workspace: Path, caplog: pytest.LogCaptureFixture) -> None:
    ws = get_workspace()
    mloop.apply_monitors([mloop.Monitor("fraud-volume", "volume", model="fraud", window="1h",
                                        options={"min": 3, "cooldown": "30m"})])
    log_predictions(ws, "fraud", [at(5), at(10)])  # 2 in [0, 60)
    with caplog.at_level(logging.INFO, logger="mloop.alerts"):
        first = mloop.run_monitor("fraud-volume", at=at(60))
    assert (first.status, first.value, first.rows) == ("failed", 2.0, 2)
    assert "2 predictions of fraud in the last 1h: below min 3" in first.summary
    [alert] = mloop.list_alerts(status="open")
    assert (alert.source, alert.failures, alert.last_result_id, alert.notified_at) == (
        "fraud-volume", 1, first.id, at(60))
    assert any("opened" in r.getMessage() and "fraud-volume" in r.getMessage() for r in caplog.records)

    again = mloop.run_monitor("fraud-volume", at=at(70))  # window [10, 70): 1 prediction
    assert again.status == "failed"
    [alert] = mloop.list_alerts()
    assert (alert.failures, alert.notified_at, alert.last_result_id) == (2, at(60), again.id)  # not notified again
    mloop.run_monitor("fraud-volume", at=at(95))  # 35 minutes since the last notice: notified again
    alert = mloop.get_alert(alert.id)
    assert (alert.failures, alert.notified_at) == (3, at(95))

    log_predictions(ws, "fraud", [at(100), at(101), at(102)], prefix="later")
    passed = mloop.run_monitor("fraud-volume", at=at(110))
    assert passed.status == "passed" and passed.value == 3.0
    alert = mloop.get_alert(alert.id)
    assert (alert.status, alert.resolved_at, alert.failures) == ("resolved", at(110), 3)
    assert mloop.list_alerts(status="open") == []
    assert [r.status for r in mloop.monitor_results("fraud-volume")] == ["passed", "failed", "failed", "failed"]
    assert [r.id for r in mloop.monitor_results("fraud-volume", since=at(95), limit=5)] == [
        passed.id, mloop.monitor_results("fraud-volume")[1].id]


def test_volume_against_the_trailing_mean(sqlite_workspace: Path) -> None:
    ws = get_workspace()
    # 4 predictions in each of the 3 hours before [180, 240), then 1 in it
    times = [at(hour * 60 + minute) for hour in range(3) for minute in (0, 15, 30, 59.9)] + [at(200)]
    log_predictions(ws, "fraud", times)
    mloop.apply_monitors([mloop.Monitor("drop", "volume", model="fraud", window="1h",
                                        options={"tolerance": 0.5, "baseline": 3})])
    result = mloop.run_monitor("drop", at=at(240))
    assert result.status == "failed" and result.values["previous_counts"] == [4, 4, 4]
    assert result.values["trailing_mean"] == 4.0 and result.values["ratio"] == 0.25
    steady = mloop.run_monitor("drop", at=at(180))  # [120, 180) holds 4, the 2 hours before 4 each, the 3rd none
    assert steady.values["previous_counts"] == [4, 4, 0] and steady.status == "passed"


def test_freshness_of_a_parquet_folder(sqlite_workspace: Path) -> None:
    folder = sqlite_workspace / "data" / "tx"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"id": [1, 2], "event_time": [at(0), at(30)]}), folder / "a.parquet")
    pq.write_table(pa.table({"id": [3], "event_time": [at(90)]}), folder / "b.parquet")
    mloop.apply_monitors([mloop.Monitor("tx-fresh", "freshness", source="data/tx", options={"max_age": "1h"})])
    fresh = mloop.run_monitor("tx-fresh", at=at(120))
    assert (fresh.status, fresh.value, fresh.threshold, fresh.rows) == ("passed", 1800.0, 3600.0, 3)
    stale = mloop.run_monitor("tx-fresh", at=at(151))
    assert stale.status == "failed" and "is 1h1m old (over 1h)" in stale.summary
    assert mloop.list_alerts(status="open")[0].source == "tx-fresh"


def test_a_broken_monitor_is_a_failed_run_and_a_critical_alert(sqlite_workspace: Path) -> None:
    mloop.apply_monitors([mloop.Monitor("gone", "freshness", source="data/missing.parquet")])
    result = mloop.run_monitor("gone", at=at(0))
    assert result.status == "failed" and result.summary.startswith("monitor is broken: ")
    assert "data/missing.parquet does not exist" in result.values["error"]
    [alert] = mloop.list_alerts(source="gone")
    assert alert.severity == "critical" and alert.status == "open"


def test_no_data_neither_raises_nor_resolves(sqlite_workspace: Path) -> None:
    mloop.raise_alert("loop:fraud", "candidate refused by blessing", severity="critical", details={"version": 4})
    mloop.apply_monitors([mloop.Monitor("fresh", "freshness", source="data/empty", options={"max_age": "1h"})])
    folder = sqlite_workspace / "data" / "empty"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"event_time": pa.array([], pa.timestamp("us", "UTC"))}), folder / "a.parquet")
    assert mloop.run_monitor("fresh", at=at(0)).status == "no_data"
    assert mloop.list_alerts(source="fresh") == []
    [alert] = mloop.list_alerts(status="open")
    assert (alert.source, alert.details) == ("loop:fraud", {"version": 4})
    resolved = mloop.resolve_alert("loop:fraud", "version 5 blessed")
    assert resolved is not None and resolved.status == "resolved"
    assert mloop.resolve_alert("loop:fraud", "again") is None


def test_a_stored_monitor_of_a_kind_not_installed_lists_and_runs_as_broken(sqlite_workspace: Path) -> None:
    mloop.apply_monitors([mloop.Monitor("fresh", "freshness", source="data/x.parquet")])
    ws = get_workspace()
    ws.monitors.put_monitors([("gone", "sentiment", {"name": "gone", "kind": "sentiment", "model": "fraud",
                                                     "window": "1h", "options": {}})], at(0))
    assert [(m.name, m.kind) for m in mloop.list_monitors()] == [("fresh", "freshness"), ("gone", "sentiment")]
    results = {r.monitor: r for r in mloop.run_monitors(at=at(60))}
    assert set(results) == {"fresh", "gone"}  # one broken monitor does not stop the others
    assert results["gone"].summary.startswith("monitor is broken: monitor 'gone': unknown kind 'sentiment'")
