"""A feature-store project for the serving tests: customer stats of the last days (fresh, so
online values are within their TTL now), a ratio computed on demand from the request's amount,
and a model trained on a point-in-time training set of them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

import mloop
from mloop import pipeline, step
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

FEATURES = ["amount", "amount_7d", "tx_7d", "amount_ratio"]


def amount_ratio(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"amount_ratio": frame["amount"] / frame["amount_7d"]})


def write_project(folder: Path, customers: int = 40, days: int = 6) -> None:
    """Stats files, labels, and the definitions applied; values materialized into the online store."""
    now = utcnow().replace(microsecond=0)
    rng = np.random.default_rng(0)
    ids, day = np.repeat(np.arange(customers), days), np.tile(np.arange(days), customers)
    times = [now - timedelta(days=days - int(d)) for d in day]
    (folder / "stats").mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"customer_id": ids, "event_time": times, "amount_7d": rng.gamma(2.0, 50.0, len(ids)) + 1.0,
                  "tx_7d": rng.integers(0, 30, len(ids))}).to_parquet(folder / "stats" / "part-0.parquet")
    customer = Entity("customer", join_keys=["customer_id"])
    stats = FeatureView("customer_stats", entities=[customer], ttl=timedelta(days=3),
                        source=ParquetSource(str(folder / "stats"), timestamp_field="event_time"),
                        schema=[Feature("amount_7d", Float64), Feature("tx_7d", Int64)])
    ratio = OnDemandFeature("amount_ratio", inputs=["customer_stats:amount_7d", "amount"],
                            schema=[Feature("amount_ratio", Float64)], function=amount_ratio)
    mloop.apply_features([customer, stats, ratio, FeatureService("fraud_v1", features=["customer_stats", "amount_ratio"])])
    mloop.materialize_features(None)


@step
def labels(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    now = utcnow()
    return pd.DataFrame({"customer_id": rng.integers(0, 40, n), "amount": rng.gamma(2.0, 30.0, n),
                         "event_timestamp": [now - timedelta(hours=float(h)) for h in rng.uniform(1, 60, n)],
                         "is_fraud": rng.integers(0, 2, n)})


@step
def fit(frame: pd.DataFrame) -> object:
    from sklearn.linear_model import LogisticRegression

    clean = frame.dropna(subset=FEATURES)
    return LogisticRegression().fit(clean[FEATURES], clean["is_fraud"])


@pipeline(name="feature-serving")
def training() -> None:
    fit(mloop.training_set_step("fraud_v1")(labels()))
