"""The demo's project: feature definitions, the data checks, and the training pipeline that ends
in the blessing gate — what a team would keep in its repository.

    validate → training set (point in time, from the feature store) → split by time → train
    → evaluate → bless against the champion on the newest data → register → promote
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import mloop
from mloop import Data, pipeline, step
from mloop.demo.data import MODEL_FEATURES
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

MODEL = "fraud"
SERVICE = "fraud_features"


def amount_ratio(frame: Any) -> Any:
    import pandas as pd

    return pd.DataFrame({"amount_ratio": frame["amount"] / frame["amount_7d"]})


def feature_definitions(folder: Path) -> list[Any]:
    card = Entity("card", join_keys=["card_id"])
    stats = FeatureView("card_stats", entities=[card], ttl=timedelta(days=30),
                        source=ParquetSource(str(folder / "data" / "card_stats"), timestamp_field="event_time"),
                        schema=[Feature("amount_7d", Float64), Feature("tx_24h", Int64)],
                        description="each card's mean spend over 7 days and its transactions in the last 24 hours")
    ratio = OnDemandFeature("amount_ratio", inputs=["card_stats:amount_7d", "amount"],
                            schema=[Feature("amount_ratio", Float64)], function=amount_ratio,
                            description="how unusual a purchase is for the card")
    return [card, stats, ratio, FeatureService(SERVICE, features=["card_stats", "amount_ratio"])]


@step(description="Read the labelled transactions of the last `window_days` days of data")
def ingest(raw: Path, window_days: int = 21) -> Any:
    import pandas as pd

    frame = pd.read_parquet(raw)
    newest = frame["event_timestamp"].max()
    recent = frame[frame["event_timestamp"] > newest - pd.Timedelta(days=window_days)].reset_index(drop=True)
    print(f"read {len(frame):,} transactions; training on the {len(recent):,} of the last {window_days} days "
          f"({recent['is_fraud'].mean():.1%} fraud)")
    return recent


SUITE = mloop.Suite("transactions", checks=[
    *({"check": "not_null", "column": name} for name in ["card_id", "event_timestamp", "amount", "is_fraud"]),
    {"check": "range", "column": "amount", "min": 0},
    {"check": "range", "column": "hour", "min": 0, "max": 23},
    {"check": "allowed_values", "column": "is_fraud", "values": [0, 1]},
    {"check": "row_count", "min": 1000},
])
validate = mloop.validation_step(SUITE)
training_set = mloop.training_set_step(SERVICE)


@step(outputs=["train", "test"], description="Split by time: the newest quarter is the test set")
def split(frame: Any, test_share: float = 0.25) -> tuple[Any, Any]:
    ordered = frame.sort_values("event_timestamp", ignore_index=True)
    cut = int(len(ordered) * (1 - test_share))
    return ordered.iloc[:cut].reset_index(drop=True), ordered.iloc[cut:].reset_index(drop=True)


@step(description="Fit a gradient-boosted fraud classifier", resources={"cpu": 1, "memory": "1Gi"})
def train(train: Any) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=0).fit(train[MODEL_FEATURES], train["is_fraud"])


@step(description="Score the model on the newest transactions")
def evaluate(model: Any, test: Any) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, roc_auc_score

    scores = model.predict_proba(test[MODEL_FEATURES])[:, 1]
    metrics = {"auc": round(float(roc_auc_score(test["is_fraud"], scores)), 4),
               "accuracy": round(float(accuracy_score(test["is_fraud"], scores > 0.5)), 4)}
    mloop.log_metrics({f"val_{name}": value for name, value in metrics.items()})
    return metrics


# The gate: the candidate is scored beside the champion on the same newest transactions and
# replaces it only if at least as good, on data that passed its checks.
POLICY = mloop.Blessing(metric="val_auc", min=0.75, must_beat="champion", require=("data_validation",))
gate = mloop.bless_step(MODEL, POLICY, target="is_fraud", promote="champion")


@pipeline(name="fraud-training")
def fraud_training(data: str = "data/transactions", window_days: int = 21) -> None:
    """Validate the newest labelled transactions, train, and bless against the champion."""
    rows, report = validate(ingest(Data(data), window_days=window_days))
    train_set, test_set = split(training_set(rows))
    model = train(train_set)
    evaluate(model, test_set)
    gate(model, test_set, checks=report)
