"""Steps that log, importable by worker processes (the process executor)."""

from __future__ import annotations

import os

import mloop
from mloop import pipeline, step


@step(cache=False)
def train(epochs: int = 3, model: str = "xgb") -> dict:
    mloop.log_params({"model": model, "lr": 0.1})
    for epoch in range(epochs):
        mloop.log_metric("loss", 1.0 / (epoch + 1), step=epoch)
    mloop.log_metrics({"val_auc": 0.9, "val_loss": 0.2})
    mloop.set_tag("team", "risk")
    mloop.log_artifact({"weights": [1, 2, 3]}, name="weights")
    return {"pid": os.getpid()}


@step(cache=False)
def evaluate(result: dict) -> float:
    mloop.log_metric("test_auc", 0.85)
    return 0.85


@pipeline(name="tracked")
def tracked(epochs: int = 3, model: str = "xgb"):
    evaluate(train(epochs=epochs, model=model))


@step(cache=False)
def explode(points: int = 5) -> int:
    for index in range(points):
        mloop.log_metric("progress", index)
    mloop.set_tag("state", "about to fail")
    raise RuntimeError("boom after logging")


@pipeline(name="exploding")
def exploding(points: int = 5):
    explode(points=points)
