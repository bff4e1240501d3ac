"""The data of bench_monitoring.py, written as mloop writes it in production: a model registered
with its training data (its profile stored then), and its predictions logged by the server's path
(PredictionBatch -> PredictionLogger -> Parquet segments), in the current MLOOP_HOME.

- `drift_log`: a classifier on 20 numeric inputs x0..x19 trained on 100,000 rows; N logged
  predictions in batches of 10,000, one per second from START, x0..x4 shifted by 0.3 std;
- `skew_log`: a feature-store project (C customers × 10 days of 5 stats, one view, an on-demand
  ratio, a FeatureService) and a model trained on a point-in-time training set of it; N requests
  enriched from the online store and logged with their entity keys.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

import mloop
from mloop import pipeline, step

START = datetime(2026, 12, 1, tzinfo=timezone.utc)
COLUMNS = [f"x{i}" for i in range(20)]
SHIFTED = COLUMNS[:5]
TRAINING_ROWS = 100_000
BATCH = 10_000


def training_frame(rows: int = TRAINING_ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.normal(0.0, 1.0, rows) for name in COLUMNS})
    frame["y"] = (frame["x0"] - frame["x1"] + rng.normal(0.0, 1.0, rows) > 0).astype(int)
    return frame


def drift_log(rows: int, model: str = "drift") -> tuple[mloop.ModelVersion, pd.DataFrame]:
    """Register the model (its training profile stored) and log `rows` predictions; the version
    and the training frame."""
    from sklearn.linear_model import LogisticRegression

    from mloop.serving.prediction_batch import PredictionBatch
    from mloop.serving.prediction_log import PredictionLogger

    train = training_frame()
    estimator = LogisticRegression(max_iter=200).fit(train[COLUMNS], train["y"])
    version = mloop.register_model(model, estimator, training_data=train.drop(columns="y"),
                                   metrics={"val_auc": 0.84})
    rng = np.random.default_rng(1)
    with PredictionLogger(flush_rows=100_000, flush_seconds=3600) as logger:
        for number, first in enumerate(range(0, rows, BATCH)):
            size = min(BATCH, rows - first)
            inputs = pd.DataFrame({name: rng.normal(0.3 if name in SHIFTED else 0.0, 1.0, size)
                                   for name in COLUMNS})
            proba = estimator.predict_proba(inputs)
            logger.log(PredictionBatch(
                request_ids=[f"d{first + i}" for i in range(size)], model=model, version=version.version,
                inputs=inputs, outputs={"prediction": proba.argmax(axis=1), "probabilities": proba},
                classes=[0, 1], time=START + timedelta(seconds=number), latency_ms=1.0,
                training_fingerprint=version.training_fingerprint))
            if (number + 1) % 10 == 0:
                logger.flush()
    return version, train


# ---------------------------------------------------------------- skew

SKEW_FEATURES = ["amount", "amount_7d", "tx_7d", "spend_30d", "visits_7d", "refunds_30d", "amount_ratio"]


def _ratio(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"amount_ratio": frame["amount"] / frame["amount_7d"]})


def write_feature_project(folder: Path, customers: int, days: int = 10) -> None:
    from mloop.core.clock import utcnow
    from mloop.features import (
        Entity,
        Feature,
        FeatureService,
        FeatureView,
        Float64,
        Int64,
        OnDemandFeature,
        ParquetSource,
    )

    now = utcnow().replace(microsecond=0)
    rng = np.random.default_rng(0)
    ids, day = np.repeat(np.arange(customers), days), np.tile(np.arange(days), customers)
    n = len(ids)
    (folder / "stats").mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"customer_id": ids, "event_time": pd.to_datetime(now) - pd.to_timedelta(days - day, unit="D"),
                  "amount_7d": rng.gamma(2.0, 50.0, n) + 1.0, "tx_7d": rng.integers(0, 30, n),
                  "spend_30d": rng.gamma(3.0, 80.0, n), "visits_7d": rng.integers(0, 20, n),
                  "refunds_30d": rng.integers(0, 3, n)}).to_parquet(folder / "stats" / "part-0.parquet")
    customer = Entity("customer", join_keys=["customer_id"])
    stats = FeatureView("customer_stats", entities=[customer], ttl=timedelta(days=3),
                        source=ParquetSource(str(folder / "stats"), timestamp_field="event_time"),
                        schema=[Feature("amount_7d", Float64), Feature("tx_7d", Int64), Feature("spend_30d", Float64),
                                Feature("visits_7d", Int64), Feature("refunds_30d", Int64)])
    ratio = OnDemandFeature("amount_ratio", inputs=["customer_stats:amount_7d", "amount"],
                            schema=[Feature("amount_ratio", Float64)], function=_ratio)
    mloop.apply_features([customer, stats, ratio, FeatureService("bench_v1", features=["customer_stats", "amount_ratio"])])
    mloop.materialize_features(None)


@step
def skew_labels(customers: int = 1000, n: int = 5000) -> pd.DataFrame:
    from mloop.core.clock import utcnow

    rng = np.random.default_rng(1)
    now = utcnow()
    return pd.DataFrame({"customer_id": rng.integers(0, customers, n), "amount": rng.gamma(2.0, 30.0, n),
                         "event_timestamp": now - pd.to_timedelta(rng.uniform(1, 60, n), unit="h"),
                         "is_fraud": rng.integers(0, 2, n)})


@step
def skew_fit(frame: pd.DataFrame) -> object:
    from sklearn.linear_model import LogisticRegression

    clean = frame.dropna(subset=SKEW_FEATURES)
    return LogisticRegression(max_iter=500).fit(clean[SKEW_FEATURES], clean["is_fraud"])


@pipeline(name="bench-skew")
def skew_training(customers: int = 1000) -> None:
    skew_fit(mloop.training_set_step("bench_v1")(skew_labels(customers=customers)))


def skew_log(folder: Path, requests: int, customers: int, batch: int = 1000) -> tuple[mloop.ModelVersion, pd.DataFrame]:
    """The project, the model, and `requests` logged as the server logs them (enriched from the
    online store in batches of `batch`); the version and the entity rows (for the plain join)."""
    from mloop.core.clock import utcnow
    from mloop.serving.enrichment import Enrichment
    from mloop.serving.prediction_batch import PredictionBatch
    from mloop.serving.prediction_log import PredictionLogger
    from mloop.stores.workspace import get_workspace

    write_feature_project(folder, customers)
    version = mloop.register_model("skew", skew_training.run(customers=customers).output("skew_fit"))
    enrichment = Enrichment.of(version, get_workspace())
    assert enrichment is not None
    model = version.load().model
    rng = np.random.default_rng(2)
    keys, amounts = rng.integers(0, customers, requests), rng.gamma(2.0, 30.0, requests)
    times: list[datetime] = []
    with PredictionLogger(flush_rows=100_000, flush_seconds=3600) as logger:
        for first in range(0, requests, batch):
            part = slice(first, first + batch)
            records = [{"customer_id": int(k), "amount": float(a)} for k, a in zip(keys[part], amounts[part],
                                                                                    strict=True)]
            inputs = enrichment.frame(records)
            proba = model.predict_proba(inputs)
            now = utcnow()
            times += [now] * len(records)
            logger.log(PredictionBatch(
                request_ids=[f"s{first + i}" for i in range(len(records))], model="skew", version=version.version,
                inputs=inputs, outputs={"prediction": proba.argmax(axis=1), "probabilities": proba}, classes=[0, 1],
                time=now, entity_keys={"customer_id": keys[part]}))
    entities = pd.DataFrame({"customer_id": keys, "amount": amounts, "event_timestamp": pd.to_datetime(times, utc=True)})
    return version, entities
