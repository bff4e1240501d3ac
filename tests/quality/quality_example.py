"""A small project that validates its training data in the pipeline, trains, registers and
checks drift against the model's training data. Steps are importable by 'module:function'."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import mloop
from mloop import pipeline, step

SUITE = mloop.Suite("transactions", checks=[
    {"check": "not_null", "column": "amount"},
    {"check": "range", "column": "amount", "min": 0, "max": 10_000},
    {"check": "allowed_values", "column": "country", "values": ["DE", "FR", "US"]},
    {"check": "range", "column": "age", "min": 18, "max": 100, "severity": "warn"},
])


def transactions(n: int = 400, seed: int = 0, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    amount = rng.gamma(2.0, 50.0, n) * (1 + shift)
    age = rng.integers(18, 80, n)
    country = rng.choice(["DE", "FR", "US"], n)
    y = ((0.02 * amount - 0.04 * age + rng.normal(0, 1, n)) > -1).astype(int)
    return pd.DataFrame({"amount": amount, "age": age, "country": country, "y": y})


@step
def ingest(n: int = 400, seed: int = 0, bad_rows: int = 0, young: int = 0) -> pd.DataFrame:
    frame = transactions(n, seed)
    frame.loc[: bad_rows - 1, "amount"] = -1.0  # bad_rows negative amounts (an error-severity failure)
    frame.loc[: young - 1, "age"] = 12  # young rows under 18 (a warning)
    return frame


@step
def train(df: pd.DataFrame) -> LogisticRegression:
    return LogisticRegression(max_iter=500).fit(df[["amount", "age"]], df["y"])


check = mloop.validation_step(SUITE)


@pipeline(name="validated-training")
def validated_training(bad_rows: int = 0, young: int = 0):
    data, _ = check(ingest(bad_rows=bad_rows, young=young))
    train(data)


@step
def lenient_check(df: pd.DataFrame) -> mloop.ValidationReport:
    """A user's own validation step that returns its report without failing."""
    return mloop.validate(df, SUITE)


@pipeline(name="lenient-training")
def lenient_training(bad_rows: int = 0):
    frame = ingest(bad_rows=bad_rows)
    lenient_check(frame)
    train(frame)


@step
def recent(n: int = 400, shift: float = 0.0) -> pd.DataFrame:
    return transactions(n, seed=7, shift=shift)


def monitoring(reference: str, fail_on_drift: bool):
    watch = mloop.drift_step(reference, fail_on_drift=fail_on_drift, columns=["amount", "age", "country"],
                             thresholds={"share": 0.3})

    @pipeline(name="drift-watch")
    def watch_pipeline(shift: float = 0.0):
        return watch(recent(shift=shift))

    return watch_pipeline


profiled = mloop.profile_step(name="profile_training_data")


@pipeline(name="profiled")
def profiled_pipeline(n: int = 400):
    return profiled(ingest(n=n))
