"""A tiny fraud-detection project the registry tests train, register and bless.

Steps live at module level of an importable module: runs and child processes find them again by
'module:function'. Data is synthetic and seeded, so every run is reproducible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from mloop import Blessing, bless_step, log_metric, pipeline, step

COUNTRIES = ["DE", "FR", "US"]


def transactions(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """amount (float, some missing), age (int), country (3 values), hour (int) and the label y."""
    rng = np.random.default_rng(seed)
    amount = rng.gamma(2.0, 50.0, n)
    age = rng.integers(18, 80, n)
    country = rng.choice(COUNTRIES, n)
    hour = rng.integers(0, 24, n)
    logit = 0.02 * amount - 0.04 * age + 1.5 * (country == "US") + 0.05 * hour - 0.5
    y = (logit + rng.normal(0.0, 1.0, n) > 0).astype(int)
    amount[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame({"amount": amount, "age": age, "country": country, "hour": hour, "y": y})


def balanced(n: int = 800, seed: int = 0, leak: bool = False) -> pd.DataFrame:
    """Four equally useful features; with `leak`, a fifth column that is the label plus noise."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n, 4))
    y = (features.sum(axis=1) + rng.normal(0.0, 1.0, n) > 0).astype(int)
    frame = pd.DataFrame(features, columns=["x1", "x2", "x3", "x4"])
    if leak:
        frame["leak"] = y + rng.normal(0.0, 0.05, n)
    return frame.assign(y=y)


def fraud_model(c: float = 1.0) -> Pipeline:
    numeric = ["amount", "age", "hour"]
    prepare = ColumnTransformer([("country", OneHotEncoder(handle_unknown="ignore"), ["country"]),
                                 ("numbers", "passthrough", numeric)])
    return Pipeline([("prepare", prepare), ("model", LogisticRegression(C=c, max_iter=1000))])


def fit_fraud(frame: pd.DataFrame, c: float = 1.0) -> Pipeline:
    clean = frame.assign(amount=frame["amount"].fillna(frame["amount"].median()))
    return fraud_model(c).fit(clean.drop(columns="y"), clean["y"])


@step
def ingest(n: int = 600, seed: int = 0) -> pd.DataFrame:
    return transactions(n, seed).assign(amount=lambda f: f["amount"].fillna(0.0))


@step(outputs=["train", "test"])
def split(df: pd.DataFrame, test_size: float = 0.3) -> tuple[pd.DataFrame, pd.DataFrame]:
    cut = int(len(df) * (1 - test_size))
    return df.iloc[:cut].reset_index(drop=True), df.iloc[cut:].reset_index(drop=True)


@step
def train(train: pd.DataFrame, c: float = 1.0) -> Pipeline:
    model = fraud_model(c).fit(train.drop(columns="y"), train["y"])
    log_metric("train_accuracy", float(model.score(train.drop(columns="y"), train["y"])))
    return model


@step
def data_validation(df: pd.DataFrame, fail: bool = False) -> dict:
    return {"passed": bool(df["amount"].notna().all()) and not fail, "rows": len(df)}


@pipeline(name="fraud-training")
def training(n: int = 600, seed: int = 0, c: float = 1.0, fail_validation: bool = False):
    train_df, _ = split(ingest(n, seed))
    train(train_df, c=c)
    data_validation(train_df, fail=fail_validation)


POLICY = Blessing(metric="val_auc", min=0.6, max=0.999, must_beat="champion", tolerance=0.01,
                  require=["data_validation"])
gate = bless_step("fraud", POLICY, target="y", slice_by="country", promote="champion")


@pipeline(name="fraud-gated")
def gated_training(seed: int = 0, c: float = 1.0, fail_validation: bool = False):
    train_df, test_df = split(ingest(600, seed))
    model = train(train_df, c=c)
    report = data_validation(train_df, fail=fail_validation)
    gate(model, test_df, checks=report)
