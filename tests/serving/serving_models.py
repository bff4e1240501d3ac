"""Models the serving tests register: a small fraud classifier with a mixed signature (a float
with missing values allowed, integers, a categorical string), trained from a pipeline run so its
version has lineage, and a second version that answers differently (for swaps and canaries).

A module of its own, not conftest.py: `from conftest import` would find whichever conftest.py
another test folder put first on sys.path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

import mloop
from mloop import pipeline, step

COUNTRIES = ["DE", "FR", "US"]
COLUMNS = ["amount", "age", "country", "hour"]


def transactions(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """amount (float), age (int), country (3 values), hour (int) and the label y."""
    rng = np.random.default_rng(seed)
    amount = rng.gamma(2.0, 50.0, n)
    age = rng.integers(18, 80, n)
    country = rng.choice(COUNTRIES, n)
    hour = rng.integers(0, 24, n)
    logit = 0.02 * amount - 0.04 * age + 1.5 * (country == "US") + 0.05 * hour - 0.5
    y = (logit + rng.normal(0.0, 1.0, n) > 0).astype(int)
    return pd.DataFrame({"amount": amount, "age": age, "country": country, "hour": hour, "y": y})


def fraud_model(c: float = 1.0, numbers: tuple[str, ...] = ("amount", "age", "hour")) -> Pipeline:
    prepare = ColumnTransformer([("country", OneHotEncoder(handle_unknown="ignore"), ["country"]),
                                 ("numbers", "passthrough", list(numbers))])
    return Pipeline([("prepare", prepare), ("model", LogisticRegression(C=c, max_iter=1000))])


@step
def ingest(n: int = 600, seed: int = 0) -> pd.DataFrame:
    return transactions(n, seed)


@step
def train(df: pd.DataFrame, c: float = 1.0) -> Pipeline:
    return fraud_model(c).fit(df.drop(columns="y"), df["y"])


@pipeline(name="fraud-serving")
def training(n: int = 600, seed: int = 0, c: float = 1.0) -> None:
    train(ingest(n=n, seed=seed), c=c)


def register_fraud(seed: int = 0, c: float = 1.0, alias: str | None = "champion") -> mloop.ModelVersion:
    """Train from a pipeline run (lineage recorded), register as 'fraud' and point `alias` at it."""
    run = training.run(seed=seed, c=c)
    version = mloop.register_model("fraud", run.output("train"))
    if alias:
        mloop.promote(version.ref, alias, force=True)
    return version


def sample_records(n: int = 5, seed: int = 1) -> list[dict]:
    """Valid request records (no label)."""
    return transactions(n, seed).drop(columns="y").to_dict(orient="records")


def validated_training():  # type: ignore[no-untyped-def]
    """The training pipeline with the data validated first (a suite inferred from a sample)."""
    check = mloop.validation_step(mloop.infer_suite(transactions(600, seed=0), name="transactions"))

    @pipeline(name="fraud-validated")
    def validated(n: int = 600, seed: int = 0) -> None:
        data, _report = check(ingest(n=n, seed=seed))
        train(data)

    return validated


def ready_fraud() -> mloop.ModelVersion:
    """'fraud' trained on validated data, blessed with a model card (evaluation and importance)."""
    version = mloop.register_model("fraud", validated_training().run().output("train"))
    mloop.bless(version.ref, mloop.Blessing(metric="accuracy", min=0.5), eval_data=transactions(300, seed=9),
                target="y")
    mloop.promote(version.ref, "champion")
    return version
