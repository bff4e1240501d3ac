"""Helpers of the prediction-log tests: real predictions of a registered version, as batches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd
import serving_models

import mloop
from mloop.serving import PredictionBatch

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def predict_batch(version: mloop.ModelVersion, ids: Sequence[str], *, seed: int = 1, time: Any = None,
                  role: str = "primary", deployment: str | None = "fraud-online",
                  entity_keys: Any = None) -> tuple[PredictionBatch, pd.DataFrame]:
    """A batch of the version's real answers to len(ids) transactions, and the frame it answered
    (with request_id, prediction and probability_1 columns added, to compare with the log)."""
    frame = serving_models.transactions(len(ids), seed).drop(columns="y")
    model = version.load()
    predicted = model.predict(frame)
    probabilities = model.predict_proba(frame)
    batch = PredictionBatch(
        request_ids=list(ids), model=version.name, version=version.version, inputs=frame,
        outputs={"prediction": predicted, "probabilities": probabilities}, classes=[0, 1],
        time=time if time is not None else at(0), latency_ms=[0.5] * len(ids),
        training_fingerprint=version.training_fingerprint, deployment=deployment, role=role,
        entity_keys=entity_keys)
    expected = frame.assign(request_id=list(ids), prediction=predicted, probability_1=probabilities[:, 1])
    return batch, expected
