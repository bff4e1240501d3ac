"""The small workspace the registry/artifact/operations UI tests read: a pipeline run (a table, a
model, a drift report), two registered versions (1 blessed and champion, 2 refused by its
blessing), a model card, a feature view applied and materialized, a deployment with a swap and
logged predictions, and a schedule. Steps live at module level so runs find them by reference."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import mloop
from mloop import pipeline, step

ROWS = 240


def transactions(n: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    amount = rng.gamma(2.0, 50.0, n).round(2)
    age = rng.integers(18, 80, n)
    y = (0.02 * amount - 0.04 * age + rng.normal(0.0, 1.0, n) > -1).astype(int)
    return pd.DataFrame({"txn": [f"t{i:05d}" for i in range(n)], "amount": amount, "age": age, "y": y})


@step
def ingest(n: int = ROWS) -> pd.DataFrame:
    return transactions(n)


@step(outputs=["train", "test"])
def split(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    cut = int(len(df) * 0.7)
    return df.iloc[:cut].reset_index(drop=True), df.iloc[cut:].reset_index(drop=True)


@step
def train(train: pd.DataFrame, c: float = 1.0) -> LogisticRegression:
    model = LogisticRegression(C=c, max_iter=500).fit(train[["amount", "age"]], train["y"])
    mloop.log_metric("train_accuracy", float(model.score(train[["amount", "age"]], train["y"])))
    return model


@step
def drift(train: pd.DataFrame, test: pd.DataFrame) -> Any:
    return mloop.detect_drift(train[["amount", "age"]], test[["amount", "age"]])


@pipeline(name="ui-fraud")
def training(c: float = 1.0):
    train_df, test_df = split(ingest())
    train(train_df, c=c)
    drift(train_df, test_df)


@pipeline(name="ui-table")
def table_only(n: int = ROWS):
    ingest(n)


def build(folder: Path) -> dict[str, Any]:
    """Everything the tests look at; returns the ids they need."""
    run = training.run()
    model_artifact = run.output("train")
    table = run.output("ingest")
    v1 = mloop.register_model("uifraud", model_artifact, metrics={"val_auc": 0.81}, description="first")
    eval_data = run.output("split", "test").load()[["amount", "age", "y"]]
    policy = mloop.Blessing(metric="val_auc", min=0.7)
    mloop.bless(v1, policy)
    mloop.promote(v1, "champion", reason="first champion")
    from mloop.registry import evaluate

    evaluate(v1, eval_data, "y")
    v2 = mloop.register_model("uifraud", LogisticRegression(C=0.1).fit(eval_data[["amount", "age"]], eval_data["y"]),
                              metrics={"val_auc": 0.55}, training_data=eval_data, target="y", description="second")
    mloop.bless(v2, policy)
    features(folder)
    deployment, logged_at = deploy(v1, v2)
    mloop.add_schedule("nightly-ui-fraud", "0 3 * * *", pipeline=f"{__file__}:training")
    fire_a_broken_schedule()
    report = run.output("drift")
    return {"run_id": run.id, "table_id": table.id, "model_id": model_artifact.id, "report_id": report.id,
            "deployment_id": deployment, "logged_at": logged_at, "table_first_txn": "t00000", "v1": v1.version, "v2": v2.version}


def amount_share(frame: pd.DataFrame) -> pd.DataFrame:
    """The request's amount as a share of the customer's 7-day spend (vectorised)."""
    return pd.DataFrame({"amount_share": frame["amount"] / frame["amount_7d"].where(frame["amount_7d"] > 0)})


def fire_a_broken_schedule() -> None:
    """A schedule whose job cannot start, fired once by a scheduler on an explicit clock: its
    fire is recorded as failed, with the reason."""
    from mloop.scheduling.scheduler import Scheduler
    from mloop.stores.workspace import get_workspace

    now = datetime.now(timezone.utc).replace(microsecond=0)
    schedule = mloop.add_schedule("minutely-broken", "@every 1m", function="json:no_such_job", start=now)
    scheduler = Scheduler(get_workspace())
    scheduler.tick(schedule.next_due_at + timedelta(milliseconds=100))
    scheduler.stop()


def features(folder: Path) -> None:
    from mloop.features import Entity, Feature, FeatureService, FeatureView, OnDemandFeature, ParquetSource
    from mloop.features.definitions import Float64, Int64

    now = datetime.now(timezone.utc).replace(microsecond=0)
    frame = pd.DataFrame({"customer_id": np.arange(10), "event_time": [now - timedelta(hours=1)] * 10,
                          "amount_7d": np.linspace(10, 100, 10), "tx_7d": np.arange(10)})
    (folder / "stats").mkdir()
    frame.to_parquet(folder / "stats" / "part-0.parquet")
    customer = Entity("customer", join_keys=["customer_id"])
    fresh = FeatureView("customer_stats", entities=[customer], ttl=timedelta(days=1),
                        source=ParquetSource(str(folder / "stats"), timestamp_field="event_time"),
                        schema=[Feature("amount_7d", Float64), Feature("tx_7d", Int64)])
    stale = FeatureView("customer_history", entities=[customer], ttl=timedelta(minutes=5),
                        source=ParquetSource(str(folder / "stats"), timestamp_field="event_time"),
                        schema=[Feature("tx_7d", Int64)])
    share = OnDemandFeature("amount_share", inputs=["customer_stats:amount_7d", "amount"],
                            schema=[Feature("amount_share", Float64)], function=amount_share)
    mloop.apply_features([customer, fresh, stale, share,
                          FeatureService("uifraud_v1", features=["customer_stats", "amount_share"])])
    mloop.apply_features([FeatureView("customer_history", entities=[customer], ttl=timedelta(minutes=5),
                                      source=stale.source, schema=stale.schema, description="version 2")])
    mloop.materialize_features(None)


def deploy(v1: mloop.ModelVersion, v2: mloop.ModelVersion) -> tuple[str, datetime]:
    """A deployment record as `mloop serve` writes it, a swap from v1 to v2, and 90 logged requests
    at now, a minute and two minutes ago (30 each, latencies 1..90 ms); its id and that now."""
    from mloop.serving import PredictionBatch, PredictionLogger
    from mloop.serving.deployments import record_swap, start_deployment
    from mloop.serving.router import SwapEvent

    deployment_id = start_deployment("uifraud", "uifraud@champion", v1.ref, mode="online",
                                     url="http://127.0.0.1:8080",
                                     traffic={"canary": {"ref": "uifraud/2", "percent": 10.0}})
    record_swap(deployment_id, SwapEvent(datetime.now(timezone.utc).isoformat(), "primary", "uifraud@champion",
                                         v1.ref, v2.ref, True, "champion moved"))
    frame = transactions(90, seed=3)[["amount", "age"]]
    now = datetime.now(timezone.utc)
    times = [now - timedelta(minutes=int(i % 3)) for i in range(90)]
    with PredictionLogger(flush_seconds=60) as logger:
        logger.log(PredictionBatch(request_ids=[f"r{i}" for i in range(90)], model="uifraud", version=1,
                                   inputs=frame, outputs={"prediction": np.zeros(90, dtype=int)},
                                   time=times, latency_ms=[float(i + 1) for i in range(90)],
                                   deployment=deployment_id, role="primary"))
    return deployment_id, now
