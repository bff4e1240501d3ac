"""A small feature project: customer spending stats loaded into Parquet (with a late batch), a
ratio computed on demand, and a service. Importable, so functions resolve by reference."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from mloop.features.definitions import (
    Entity,
    Feature,
    FeatureService,
    FeatureView,
    Float64,
    Int64,
    OnDemandFeature,
    ParquetSource,
)

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def write_stats(folder: Path, customers: int = 50, days: int = 10, seed: int = 0) -> Path:
    """One row per customer per day: amount_7d, tx_7d; loaded (created) an hour after the day."""
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(customers), days)
    day = np.tile(np.arange(days), customers)
    frame = pd.DataFrame({
        "customer_id": ids, "event_time": [T0 + int(d) * DAY for d in day],
        "loaded_at": [T0 + int(d) * DAY + timedelta(hours=1) for d in day],
        "amount_7d": rng.gamma(2.0, 50.0, len(ids)).round(2), "tx_7d": rng.integers(0, 30, len(ids)),
    })
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / "part-0.parquet")
    return folder


def amount_ratio(frame: pd.DataFrame) -> pd.DataFrame:
    """The request's amount relative to the customer's 7-day spend (vectorised)."""
    return pd.DataFrame({"amount_ratio": frame["amount"] / frame["amount_7d"].where(frame["amount_7d"] > 0)})


def definitions(folder: Path) -> dict[str, object]:
    customer = Entity("customer", join_keys=["customer_id"])
    stats = FeatureView("customer_stats", entities=[customer], ttl=timedelta(days=3),
                        source=ParquetSource(str(folder), timestamp_field="event_time",
                                             created_timestamp_field="loaded_at"),
                        schema=[Feature("amount_7d", Float64), Feature("tx_7d", Int64)])
    ratio = OnDemandFeature("amount_ratio", inputs=["customer_stats:amount_7d", "amount"],
                            schema=[Feature("amount_ratio", Float64)], function=amount_ratio)
    service = FeatureService("fraud_v1", features=["customer_stats", "amount_ratio"])
    return {"customer": customer, "stats": stats, "ratio": ratio, "service": service}


def pipeline_parts(split: bool = False):  # noqa: ANN201 - built lazily: the steps need mloop's pipeline decorators
    import mloop
    from mloop import pipeline, step

    @step
    def load_labels(n: int = 30) -> pd.DataFrame:
        rng = np.random.default_rng(1)
        return pd.DataFrame({"customer_id": rng.integers(0, 50, n), "amount": rng.gamma(2.0, 10.0, n),
                             "event_timestamp": [T0 + timedelta(days=float(x)) for x in rng.uniform(1, 9, n)],
                             "is_fraud": rng.integers(0, 2, n)})

    @step
    def fit(frame: pd.DataFrame) -> object:
        from sklearn.linear_model import LogisticRegression

        clean = frame.dropna(subset=["amount_7d", "tx_7d"])
        return LogisticRegression().fit(clean[["amount_7d", "tx_7d"]], clean["is_fraud"])

    @step(outputs=["train", "test"])
    def halves(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        return frame.iloc[: len(frame) // 2], frame.iloc[len(frame) // 2:]

    build = mloop.training_set_step("fraud_v1")

    @pipeline(name="feature-training")
    def training():
        frame = build(load_labels())
        fit(halves(frame)[0] if split else frame)

    return training
