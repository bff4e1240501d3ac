"""The pipeline the UI tests browse: four steps that print, log params and a loss per epoch, and
can fail on request."""

from __future__ import annotations

import mloop
from mloop import pipeline, step


@step
def load(rows: int = 50) -> list[int]:
    print(f"loading {rows} rows")
    return list(range(rows))


@step
def prepare(data: list[int]) -> list[float]:
    for index in range(60):
        print(f"prepare line {index}")
    return [x / 10 for x in data]


@step
def train(data: list[float], lr: float = 0.1, epochs: int = 5, model: str = "xgb") -> dict:
    mloop.log_params({"lr": lr, "model": model})
    for epoch in range(epochs):
        mloop.log_metric("loss", 1.0 / (1 + lr * 10 * (epoch + 1)), step=epoch)
    mloop.log_metric("auc", 0.8 + lr)
    mloop.set_tag("team", "risk")
    return {"weights": [lr] * 3}


@step
def evaluate(model: dict, fail: bool = False) -> float:
    if fail:
        raise RuntimeError("evaluation data is missing")
    print("evaluated")
    return 0.9


@pipeline(name="ui-training")
def training(lr: float = 0.1, fail: bool = False, model: str = "xgb"):
    evaluate(train(prepare(load()), lr=lr, model=model), fail=fail)
