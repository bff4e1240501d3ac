from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import monitoring_models as mm
import numpy as np
import pytest

from mloop.core.errors import ValidationError
from mloop.monitoring.kinds import kind_function
from mloop.monitoring.model import Monitor
from mloop.stores.workspace import get_workspace

HOUR = timedelta(hours=1)


def _scores(n: int, seed: int, centre: float) -> np.ndarray:
    p = 1.0 / (1.0 + np.exp(-np.random.default_rng(seed).normal(centre, 1.0, n)))
    return np.c_[1 - p, p]


def test_a_shifted_score_distribution_drifts_against_the_first_window(sqlite_workspace: Path) -> None:
    version = mm.register()
    mm.log(version, mm.frame(1500, seed=1), probabilities=_scores(1500, 1, 0.0))  # the first hour
    mm.log(version, mm.frame(1500, seed=2), probabilities=_scores(1500, 2, 0.0), start=mm.START + 2 * HOUR)
    mm.log(version, mm.frame(1500, seed=3), probabilities=_scores(1500, 3, 0.8), start=mm.START + 4 * HOUR)
    evaluate = kind_function("prediction_drift")
    monitor = Monitor(name="scores", kind="prediction_drift", model="clf")

    stable = evaluate(monitor, get_workspace(), mm.START + 2 * HOUR, mm.START + 3 * HOUR)
    shifted = evaluate(monitor, get_workspace(), mm.START + 4 * HOUR, mm.START + 5 * HOUR)
    filling = evaluate(monitor, get_workspace(), mm.START + HOUR / 2, mm.START + 3 * HOUR / 2)

    assert stable.status == "passed" and stable.values["drifted"] == []
    assert stable.values["reference"]["rows"] == 1500
    assert shifted.status == "failed" and shifted.values["drifted"] == ["probability_1"]
    assert shifted.value > 0.3 and "probability_1 (wasserstein/std" in shifted.summary
    assert filling.status == "no_data"
    assert mm.stored_alike(shifted) and mm.stored_alike(filling)


def test_reference_option_compares_with_the_same_window_earlier(sqlite_workspace: Path) -> None:
    version = mm.register()
    mm.log(version, mm.frame(1000, seed=1), probabilities=_scores(1000, 1, -0.6))
    mm.log(version, mm.frame(1000, seed=2), probabilities=_scores(1000, 2, -0.6), start=mm.START + 24 * HOUR)
    window = (mm.START + 24 * HOUR, mm.START + 25 * HOUR)

    result = kind_function("prediction_drift")(
        Monitor(name="scores", kind="prediction_drift", model="clf", options={"reference": "1d"}),
        get_workspace(), *window)

    assert result.status == "passed" and result.values["reference"]["rows"] == 1000
    with pytest.raises(ValidationError, match="shorter than the window"):
        kind_function("prediction_drift")(
            Monitor(name="scores", kind="prediction_drift", model="clf", options={"reference": "10m"}),
            get_workspace(), *window)
