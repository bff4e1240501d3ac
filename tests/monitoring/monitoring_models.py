"""A small classifier registered with its training data, and a logger writing its predictions as
the server does (PredictionBatch -> PredictionLogger -> database rows and Parquet segments)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd

import mloop
from mloop.serving.prediction_batch import PredictionBatch
from mloop.serving.prediction_log import PredictionLogger

FEATURES = ["x0", "x1", "x2", "x3"]
START = datetime(2026, 12, 1, tzinfo=timezone.utc)


def frame(n: int, seed: int, shift: dict[str, float] | None = None) -> pd.DataFrame:
    """x0..x3 standard normal (plus `shift` in std units), a country, and y drawn from the true
    logistic probability (so a model fitted on it is close to calibrated)."""
    rng = np.random.default_rng(seed)
    data = {name: rng.normal((shift or {}).get(name, 0.0), 1.0, n) for name in FEATURES}
    data["country"] = rng.choice(["DE", "FR", "US"], n, p=[0.5, 0.3, 0.2])
    out = pd.DataFrame(data)
    out["y"] = (rng.uniform(size=n) < true_probability(out)).astype(int)
    return out


def true_probability(data: pd.DataFrame) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(1.2 * data["x0"] - 0.8 * data["x1"] + 0.5 * data["x2"]).to_numpy()))


def register(name: str = "clf", n: int = 3000, seed: int = 0) -> mloop.ModelVersion:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    train = frame(n, seed)
    model = LogisticRegression().fit(train[FEATURES], train["y"])
    holdout = frame(2000, seed + 100)
    auc = roc_auc_score(holdout["y"], model.predict_proba(holdout[FEATURES])[:, 1])
    accuracy = float((model.predict(holdout[FEATURES]) == holdout["y"]).mean())
    version = mloop.register_model(name, model, training_data=train.drop(columns="y"),
                                   metrics={"val_auc": float(auc), "accuracy": accuracy})
    version.__dict__["estimator"] = model
    return version


def log(version: mloop.ModelVersion, data: pd.DataFrame, *, start: datetime = START, spill_rows: int = 1000,
        batch: int = 500, probabilities: np.ndarray | None = None) -> list[str]:
    """Predict `data` with the version's model and log it in batches of `batch`, one per minute
    from `start`; the request ids."""
    model = version.__dict__["estimator"]
    inputs = data[[*FEATURES, "country"]]
    proba = model.predict_proba(data[FEATURES]) if probabilities is None else probabilities
    ids = [f"{version.name}-{start:%H%M}-{i}" for i in range(len(data))]
    with PredictionLogger(spill_rows=spill_rows, flush_rows=10**9, flush_seconds=3600) as logger:
        for number, first in enumerate(range(0, len(data), batch)):
            part = slice(first, first + batch)
            logger.log(PredictionBatch(
                request_ids=ids[part], model=version.name, version=version.version,
                inputs=inputs.iloc[part].reset_index(drop=True),
                outputs={"prediction": proba[part].argmax(axis=1), "probabilities": proba[part]},
                classes=[0, 1], time=start + timedelta(minutes=number), latency_ms=1.0))
            if number % 4 == 3:
                logger.flush()
    return ids


def stored_alike(measurement: Any) -> bool:
    """Whether the measurement's values survive JSON (the runner stores them so) unchanged."""
    return bool(json.loads(json.dumps(measurement.values)) == measurement.values)
