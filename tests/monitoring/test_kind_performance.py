from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import monitoring_models as mm
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import mloop
from mloop.monitoring.kinds import kind_function
from mloop.monitoring.model import Monitor
from mloop.stores.workspace import get_workspace

END = mm.START + timedelta(hours=1)


def _calibrated(n: int, seed: int, spread: float) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and labels drawn from them: calibrated by construction."""
    rng = np.random.default_rng(seed)
    p = 1.0 / (1.0 + np.exp(-rng.normal(0.0, spread, n)))
    return np.c_[1 - p, p], (rng.uniform(size=n) < p).astype(int)


def test_auc_with_labels_equals_sklearn_and_a_drop_fails(workspace: Path) -> None:
    version = mm.register()
    data = mm.frame(2000, seed=3)
    ids = mm.log(version, data)
    rng = np.random.default_rng(0)
    labels = data["y"].to_numpy().copy()
    flip = rng.uniform(size=len(labels)) < 0.3  # noisy ground truth: worse than at registration
    labels[flip] = 1 - labels[flip]
    mloop.log_labels(pd.DataFrame({"request_id": ids[:1500], "label": labels[:1500]}))

    result = kind_function("performance")(Monitor(name="perf", kind="performance", model="clf"),
                                          get_workspace(), mm.START, END)

    proba = version.__dict__["estimator"].predict_proba(data[mm.FEATURES])[:1500, 1]
    assert result.value == pytest.approx(roc_auc_score(labels[:1500], proba), abs=1e-12)
    assert result.values["labelled"] == 1500 and result.rows == 2000
    assert result.values["baseline"] == version.metrics["val_auc"]
    assert result.status == "failed" and "registration (val_auc)" in result.summary
    assert mm.stored_alike(result)


def test_too_few_labels_is_no_data(workspace: Path) -> None:
    version = mm.register()
    ids = mm.log(version, mm.frame(200, seed=3), spill_rows=10**6)
    mloop.log_labels(pd.DataFrame({"request_id": ids[:10], "label": [1] * 10}))

    result = kind_function("performance")(Monitor(name="perf", kind="performance", model="clf"),
                                          get_workspace(), mm.START, END)

    assert result.status == "no_data" and result.values["labelled"] == 10


def test_estimate_is_close_to_realized_on_calibrated_scores(sqlite_workspace: Path) -> None:
    version = mm.register()
    data = mm.frame(4000, seed=4)
    probabilities, labels = _calibrated(4000, seed=1, spread=1.5)
    ids = mm.log(version, data, probabilities=probabilities)
    mloop.log_labels(pd.DataFrame({"request_id": ids, "label": labels}))

    result = kind_function("estimated_performance")(
        Monitor(name="cbpe", kind="estimated_performance", model="clf", threshold=0.5), get_workspace(),
        mm.START, END)

    assert result.value == pytest.approx(roc_auc_score(labels, probabilities[:, 1]), abs=0.02)
    assert result.values["estimates"]["accuracy"] == pytest.approx(
        np.mean(probabilities.argmax(axis=1) == labels), abs=0.02)
    assert result.values["realized"]["auc"] == pytest.approx(roc_auc_score(labels, probabilities[:, 1]))
    assert "assumes calibrated probabilities" in result.summary and result.status == "passed"
    assert mm.stored_alike(result)


def test_estimate_drops_when_the_data_shifts_to_uncertain_rows(sqlite_workspace: Path) -> None:
    version = mm.register()
    # the inputs move where the model is unsure (x0, x1, x2 near 0): probabilities near 0.5
    data = mm.frame(3000, seed=6)
    data[["x0", "x1", "x2"]] *= 0.15
    monitor = Monitor(name="cbpe", kind="estimated_performance", model="clf")

    mm.log(version, mm.frame(3000, seed=5))
    before = kind_function("estimated_performance")(monitor, get_workspace(), mm.START, END)
    mm.log(version, data, start=END)
    after = kind_function("estimated_performance")(monitor, get_workspace(), END, END + timedelta(hours=1))

    assert before.status == "passed"
    assert before.value == pytest.approx(version.metrics["val_auc"], abs=0.03)
    assert after.status == "failed" and after.value < before.value - 0.1


def test_regressor_rmse_and_mae_and_a_rise_in_error_fails(sqlite_workspace: Path) -> None:
    from sklearn.linear_model import LinearRegression

    from mloop.serving.prediction_batch import PredictionBatch
    from mloop.serving.prediction_log import PredictionLogger

    train = mm.frame(1000, seed=0)
    model = LinearRegression().fit(train[mm.FEATURES], train["x3"] * 2.0)
    mloop.register_model("reg", model, training_data=train[mm.FEATURES], metrics={"rmse": 0.01})
    data = mm.frame(600, seed=9)
    predicted = model.predict(data[mm.FEATURES])
    truth = data["x3"].to_numpy() * 2.0 + np.random.default_rng(0).normal(0.0, 0.5, 600)
    with PredictionLogger(spill_rows=300) as logger:
        for first in (0, 300):
            logger.log(PredictionBatch(request_ids=[f"r{i}" for i in range(first, first + 300)], model="reg",
                                       version=1, inputs=data[mm.FEATURES].iloc[first:first + 300],
                                       outputs={"prediction": predicted[first:first + 300]}, time=mm.START))
            logger.flush()
    mloop.log_labels(pd.DataFrame({"request_id": [f"r{i}" for i in range(600)], "label": truth}))

    result = kind_function("performance")(Monitor(name="perf", kind="performance", model="reg"), get_workspace(),
                                          mm.START, END)

    assert result.values["metric"] == "rmse"
    assert result.value == pytest.approx(np.sqrt(np.mean((predicted - truth) ** 2)))
    assert result.values["metrics"]["mae"] == pytest.approx(np.mean(np.abs(predicted - truth)))
    assert result.status == "failed" and result.values["drop"] == pytest.approx(result.value - 0.01)


def test_calibrating_on_earlier_labels_corrects_an_overconfident_model(sqlite_workspace: Path) -> None:
    version = mm.register()
    true_before, labels_before = _calibrated(3000, seed=2, spread=1.0)
    true_now, labels_now = _calibrated(3000, seed=3, spread=1.0)

    def overconfident(p: np.ndarray) -> np.ndarray:  # the same ranking, pushed towards 0 and 1
        logit = np.log(p[:, 1] / p[:, 0]) * 3.0
        q = 1.0 / (1.0 + np.exp(-logit))
        return np.c_[1 - q, q]

    earlier = mm.log(version, mm.frame(3000, seed=1), probabilities=overconfident(true_before))
    mloop.log_labels(pd.DataFrame({"request_id": earlier, "label": labels_before}))
    mm.log(version, mm.frame(3000, seed=2), probabilities=overconfident(true_now), start=END)
    window = (END, END + timedelta(hours=1))
    realized = roc_auc_score(labels_now, true_now[:, 1])
    evaluate = kind_function("estimated_performance")

    plain = evaluate(Monitor(name="cbpe", kind="estimated_performance", model="clf"), get_workspace(), *window)
    calibrated = evaluate(Monitor(name="cbpe", kind="estimated_performance", model="clf",
                                  options={"calibrate": True}), get_workspace(), *window)

    assert abs(plain.value - realized) > 0.05  # taken at its word, the overconfident model looks better
    assert calibrated.value == pytest.approx(realized, abs=0.02)
    assert calibrated.values["estimates"]["accuracy"] == pytest.approx(
        np.mean(true_now.argmax(axis=1) == labels_now), abs=0.02)
    assert "calibrated on 3000 labelled predictions before the window" in calibrated.summary


def test_a_window_across_a_promotion_judges_the_version_answering_last(workspace: Path) -> None:
    first, second = mm.register(seed=0), mm.register(seed=1)
    old, new = mm.frame(600, seed=3), mm.frame(600, seed=4)
    rng = np.random.default_rng(0)
    noise = rng.uniform(size=600)  # the first version answered at random: its AUC is ~0.5
    ids = mm.log(first, old, probabilities=np.c_[1 - noise, noise])
    ids += mm.log(second, new, start=mm.START + timedelta(minutes=20))
    mloop.log_labels(pd.DataFrame({"request_id": ids, "label": [*old["y"], *new["y"]]}))
    monitor = Monitor(name="perf", kind="performance", model="clf")

    result = kind_function("performance")(monitor, get_workspace(), mm.START, END)
    estimated = kind_function("estimated_performance")(monitor, get_workspace(), mm.START, END)

    proba = second.__dict__["estimator"].predict_proba(new[mm.FEATURES])[:, 1]
    assert result.value == pytest.approx(roc_auc_score(new["y"], proba), abs=1e-12)  # the second version's rows only
    assert result.status == "passed" and "of clf/2 (600 rows of other versions left out)" in result.summary
    assert "of clf/2 (600 rows of other versions left out)" in estimated.summary
