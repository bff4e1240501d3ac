"""Training–serving skew by replay: requests enriched from the online store (as the server does:
Enrichment.frame, then the logger with the entity keys), compared with the offline join."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

import mloop
from mloop.core.clock import utcnow
from mloop.features.materialize import online_store
from mloop.monitoring.kinds import kind_function
from mloop.monitoring.model import Monitor
from mloop.serving.enrichment import Enrichment
from mloop.serving.prediction_batch import PredictionBatch
from mloop.serving.prediction_log import PredictionLogger
from mloop.stores.online.encoding import entity_keys
from mloop.stores.workspace import get_workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serving"))
import serving_features as sf  # noqa: E402


def _serve_and_log(version: mloop.ModelVersion, customers: np.ndarray, spill_rows: int) -> None:
    workspace = get_workspace()
    enrichment = Enrichment.of(version, workspace)
    assert enrichment is not None
    amounts = np.random.default_rng(2).gamma(2.0, 30.0, len(customers))
    records = [{"customer_id": int(c), "amount": float(a)} for c, a in zip(customers, amounts, strict=True)]
    inputs = enrichment.frame(records)
    proba = version.load().model.predict_proba(inputs)
    with PredictionLogger(spill_rows=spill_rows, flush_rows=10**9, flush_seconds=3600) as logger:
        logger.log(PredictionBatch(
            request_ids=[f"q{i}" for i in range(len(records))], model=version.name, version=version.version,
            inputs=inputs, outputs={"prediction": proba.argmax(axis=1), "probabilities": proba}, classes=[0, 1],
            entity_keys={"customer_id": [r["customer_id"] for r in records]}))


def _tamper(customers: list[int]) -> None:
    """A different tx_7d written online for `customers` (amount_7d kept): what a buggy pipeline does."""
    current = mloop.get_online_features([{"customer_id": c} for c in customers], ["customer_stats:amount_7d"])
    amounts = current.to_frame()["amount_7d"].to_numpy()
    online_store(get_workspace()).write_batch(
        "customer_stats", entity_keys([pd.array(customers)]), [utcnow()] * len(customers),
        {"amount_7d": amounts, "tx_7d": np.full(len(customers), 999)})


def test_a_feature_changed_online_mismatches_alone(sqlite_workspace: Path) -> None:
    sf.write_project(sqlite_workspace)
    version = mloop.register_model("fraud", sf.training.run().output("fit"))
    customers = np.arange(40).repeat(5)  # 200 requests, 5 per customer
    _tamper([3, 17])
    _serve_and_log(version, customers, spill_rows=100)  # one typed Parquet segment
    now = utcnow()

    result = kind_function("skew")(Monitor(name="skew", kind="skew", model="fraud"), get_workspace(),
                                   now - timedelta(hours=1), now + timedelta(hours=1))

    features = result.values["features"]
    assert set(features) == {"amount_7d", "tx_7d", "amount_ratio"}
    assert features["tx_7d"]["mismatches"] == 10 and features["tx_7d"]["mismatch_rate"] == 10 / 200
    assert features["amount_7d"]["mismatches"] == 0 and features["amount_ratio"]["mismatches"] == 0
    assert result.values["skewed"] == ["tx_7d"] and result.status == "failed" and result.value == 10 / 200
    assert result.summary.startswith("1 of 3 features differ online vs offline: tx_7d (5.0% of rows")
    assert json.loads(json.dumps(result.values)) == result.values


def test_no_skew_when_online_matches_offline(sqlite_workspace: Path) -> None:
    sf.write_project(sqlite_workspace)
    version = mloop.register_model("fraud", sf.training.run().output("fit"))
    _serve_and_log(version, np.arange(40), spill_rows=10**6)  # database rows: JSON expanded
    now = utcnow()

    result = kind_function("skew")(Monitor(name="skew", kind="skew", model="fraud"), get_workspace(),
                                   now - timedelta(hours=1), now + timedelta(hours=1))

    assert result.status == "passed" and result.value == 0.0 and result.values["replayed"] == 40
