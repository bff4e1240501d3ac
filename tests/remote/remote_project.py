"""A small project the remote-mode tests run through a server: a seeded data step, a training step
that logs metrics per epoch, and the pipeline of both (steps at module level: found by name)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import mloop
from mloop import pipeline, step


def frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": (x.sum(axis=1) > 0).astype(int)})


@step
def make_data(n: int = 200) -> pd.DataFrame:
    print(f"making {n} rows")
    return frame(n)


@step
def train(data: pd.DataFrame, c: float = 1.0) -> LogisticRegression:
    model = LogisticRegression(C=c).fit(data[["a", "b"]], data["y"])
    for epoch in range(3):
        mloop.log_metric("loss", 1.0 / (epoch + 1), step=epoch)
    mloop.log_metrics({"accuracy": float(model.score(data[["a", "b"]], data["y"]))})
    return model


@pipeline(name="remote-training")
def training(n: int = 200, c: float = 1.0) -> None:
    train(make_data(n), c=c)
