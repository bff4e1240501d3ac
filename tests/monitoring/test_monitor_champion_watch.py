"""The loop's watch window: after a promotion, the new champion is compared with the version it
replaced on live signals; worse beyond the limit rolls the alias back and raises an alert."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import monitoring_models as mm
import numpy as np
import pandas as pd

import mloop

WATCH = mloop.Monitor("clf-watch", "champion_watch", model="clf", window="1h",
                      options={"signals": ["performance", "estimated_performance"], "min_predictions": 200})


def _promote_then_log(second_probabilities: np.ndarray | None) -> tuple[mloop.ModelVersion, mloop.ModelVersion, object]:
    """v1 champion serving for a while, then v2 promoted and serving; labels for every request."""
    first, second = mm.register("clf", seed=0), mm.register("clf", seed=1)
    mloop.promote(first, force=True, reason="first champion")
    moved = mloop.promote(second, force=True, reason="by hand").changed_at
    before, after = mm.frame(1000, seed=5), mm.frame(1000, seed=6)
    ids = mm.log(first, before, start=moved - timedelta(minutes=30))
    ids += mm.log(second, after, start=moved + timedelta(seconds=1), probabilities=second_probabilities)
    mloop.log_labels(pd.DataFrame({"request_id": ids, "label": [*before["y"], *after["y"]]}))
    return first, second, moved


def test_a_worse_new_champion_is_rolled_back_and_an_alert_says_why(workspace: Path) -> None:
    rng = np.random.default_rng(0)
    noise = rng.uniform(size=1000)  # v2 answers at random: its live AUC is ~0.5
    first, second, moved = _promote_then_log(np.c_[1 - noise, noise])
    mloop.apply_monitors([WATCH])

    result = mloop.run_monitor("clf-watch", at=moved + timedelta(minutes=10))

    assert result.status == "failed"
    signal = result.values["signals"]["performance"]
    assert signal["new"] < 0.6 < signal["old"] and signal["shortfall"] > 0.05
    assert f"rolled back clf@champion from {second.version} to {first.version}" in result.summary
    assert mloop.model_aliases("clf")["clf"]["champion"] == first.version
    change = mloop.alias_history("clf", "champion")[-1]
    assert change.action == "rollback" and change.reason.startswith("clf-watch: ")
    alert = mloop.list_alerts(status="open", source="clf-watch")[0]
    assert "rolled back" in alert.summary

    again = mloop.run_monitor("clf-watch", at=moved + timedelta(minutes=11))
    assert again.status == "no_data"  # the newest move is the rollback: nothing left to watch
    assert mloop.model_aliases("clf")["clf"]["champion"] == first.version


def test_a_new_champion_at_least_as_good_stays(workspace: Path) -> None:
    first, second, moved = _promote_then_log(None)
    mloop.apply_monitors([WATCH])

    result = mloop.run_monitor("clf-watch", at=moved + timedelta(minutes=10))

    assert result.status == "passed", result.summary
    assert set(result.values["signals"]) == {"performance", "estimated_performance"}
    assert mloop.model_aliases("clf")["clf"]["champion"] == second.version


def test_no_recent_promotion_means_nothing_to_watch(workspace: Path) -> None:
    first, second, moved = _promote_then_log(None)
    mloop.apply_monitors([WATCH])

    result = mloop.run_monitor("clf-watch", at=moved + timedelta(hours=2))

    assert result.status == "no_data" and "did not move" in result.summary
