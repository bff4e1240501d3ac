"""A freshness monitor on a feature view: the newest event time materialized online, judged
against the view's TTL (or the monitor's own limit)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from feature_example import DAY, T0, definitions, write_stats

import mloop
from mloop.features.apply import apply_features
from mloop.features.materialize import materialize_incremental


def test_a_freshness_monitor_on_a_feature_view(workspace: Path, tmp_path: Path) -> None:
    apply_features(definitions(write_stats(tmp_path / "stats")).values())
    materialize_incremental(T0 + 3 * DAY + timedelta(hours=2))  # newest event: day 3
    mloop.apply_monitors([mloop.Monitor("stats-fresh", "freshness", source="customer_stats"),
                          mloop.Monitor("stats-day", "freshness", source="customer_stats", options={"max_age": "1d"})])
    within_ttl = mloop.run_monitor("stats-fresh", at=T0 + 5 * DAY)
    assert (within_ttl.status, within_ttl.value, within_ttl.threshold) == ("passed", 2 * DAY.total_seconds(),
                                                                           3 * DAY.total_seconds())
    assert within_ttl.values == {"newest_event_time": (T0 + 3 * DAY).isoformat()} and within_ttl.rows == 50
    assert mloop.run_monitor("stats-fresh", at=T0 + 7 * DAY).status == "failed"  # older than the 3-day TTL
    assert mloop.run_monitor("stats-day", at=T0 + 5 * DAY).summary == (
        "newest event of customer_stats is 2d old (over 1d)")
