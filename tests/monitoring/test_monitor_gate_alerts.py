"""A candidate refused by its blessing gate raises the loop's alert (the champion stays); the next
blessed candidate resolves it — on the scheduler's tick."""

from __future__ import annotations

from pathlib import Path

import monitoring_models as mm

import mloop
from mloop.scheduling.scheduler import Scheduler
from mloop.stores.workspace import get_workspace


def test_a_refused_candidate_raises_the_gate_alert_and_a_blessed_one_resolves_it(workspace: Path) -> None:
    champion = mm.register("clf", seed=0)
    mloop.promote(champion, force=True)
    scheduler = Scheduler(get_workspace())
    scheduler.tick()  # the first tick starts reading blessing reports from now
    candidate = mm.register("clf", seed=1)
    report = mloop.bless(candidate, mloop.Blessing(metric="val_auc", min=0.999))
    assert not report.passed

    scheduler.tick()

    [alert] = mloop.list_alerts(status="open", source="gate:clf")
    assert alert.summary.startswith(f"clf/{candidate.version} refused by its blessing gate: val_auc")
    assert alert.summary.endswith("the champion stays")
    assert mloop.model_aliases("clf")["clf"]["champion"] == champion.version
    scheduler.tick()
    assert mloop.get_alert(alert.id).failures == 1  # a report is read once

    better = mm.register("clf", seed=2)
    assert mloop.bless(better, mloop.Blessing(metric="val_auc", min=0.5)).passed
    scheduler.tick()
    scheduler.stop()
    assert mloop.get_alert(alert.id).status == "resolved"
