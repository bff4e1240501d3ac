"""Steps and pipelines the scale-out tests run. Dask workers import this module by name (their
PYTHONPATH holds this folder), exactly as a user's workers import the user's package.

Steps that must leave a trace outside mloop (that they started, in which process) write files
into a folder given as a parameter, so the test sees them whichever worker ran the step.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mloop import Data, pipeline, step


def leave_trace(folder: str, name: str) -> None:
    """Write `<folder>/<name>.<pid>` holding this process id: which process ran the step."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / f"{name}.{os.getpid()}").write_text(str(os.getpid()))


# ------------------------------------------------------------------ one pipeline, three places


@step
def ingest(raw: Path) -> pd.DataFrame:
    return pd.read_csv(raw)


@step
def features(df: pd.DataFrame, scale: float = 1.0) -> pd.DataFrame:
    out = df.copy()
    out["ratio"] = out["amount"] / (out["age"] + 1) * scale
    return out


@step(outputs=["train", "test"])
def split(df: pd.DataFrame, test_share: float = 0.25) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = int(len(df) * (1 - test_share))
    return df.iloc[:n].reset_index(drop=True), df.iloc[n:].reset_index(drop=True)


@step(resources={"cpu": 2, "memory": "2Gi"})  # as the README's quickstart: more than one LocalCluster worker
def train(train: pd.DataFrame) -> dict:
    """A least-squares fit, deterministic to the last bit on every machine with the same numpy."""
    x = np.column_stack([train["amount"], train["ratio"], np.ones(len(train))])
    coefficients, *_ = np.linalg.lstsq(x, train["label"].to_numpy(dtype=float), rcond=None)
    return {"coefficients": [round(float(c), 9) for c in coefficients]}


@step
def evaluate(model: dict, test: pd.DataFrame) -> dict:
    a, b, c = model["coefficients"]
    predicted = (a * test["amount"] + b * test["ratio"] + c) > 0.5
    return {"accuracy": round(float((predicted == test["label"].astype(bool)).mean()), 9), "rows": len(test)}


@step
def matrix(size: int = 64) -> np.ndarray:
    return np.arange(size * size, dtype=np.float64).reshape(size, size) / 7.0


@pipeline(name="scaleout-training")
def training(path: str = "tx.csv", scale: float = 1.0):
    train_df, test_df = split(features(ingest(Data(path)), scale=scale))
    evaluate(train(train_df), test_df)
    matrix()


def write_transactions(path: Path, rows: int = 400) -> Path:
    rng = np.random.default_rng(7)
    amount = rng.gamma(2.0, 30.0, rows).round(2)
    age = rng.integers(18, 80, rows)
    label = (amount / (age + 1) + rng.normal(0, 0.3, rows) > 1.5).astype(int)
    pd.DataFrame({"amount": amount, "age": age, "label": label}).to_csv(path, index=False)
    return path


# ------------------------------------------------------------------------ resources and faults


@step
def touch(trace: str, name: str = "touch") -> str:
    """Leaves a trace and returns where it ran."""
    leave_trace(trace, name)
    return name


@step(resources={"cpu": 2, "memory": "1Gi"})
def two_cpus(trace: str) -> int:
    leave_trace(trace, "two_cpus")
    return 2


@step(resources={"cpu": 64})
def sixty_four_cpus(trace: str) -> int:
    leave_trace(trace, "sixty_four_cpus")
    return 64


@step(resources={"gpu": 1})
def on_a_gpu(trace: str) -> int:
    leave_trace(trace, "on_a_gpu")
    return 1


@pipeline(name="resources-fit")
def fits(trace: str):
    touch(trace, name="first")
    two_cpus(trace)


@pipeline(name="resources-too-big")
def too_big(trace: str):
    touch(trace, name="first")
    sixty_four_cpus(trace)


@pipeline(name="resources-gpu")
def needs_gpu(trace: str):
    touch(trace, name="first")
    on_a_gpu(trace)


@step
def numbers(n: int = 5) -> list:
    return list(range(n))


@step
def slow_double(xs: list, trace: str, seconds: float = 4.0) -> list:
    """Leaves a `started.<pid>` trace, then takes its time: long enough to kill its process."""
    leave_trace(trace, "started")
    time.sleep(seconds)
    return [2 * x for x in xs]


@step
def total(xs: list) -> int:
    return sum(xs)


@pipeline(name="slow-chain")
def slow_chain(trace: str, seconds: float = 4.0):
    total(slow_double(numbers(), trace, seconds=seconds))


@pipeline(name="slow-chain-retried")
def slow_chain_retried(trace: str, seconds: float = 4.0):
    total(slow_double.with_options(retries=1)(numbers(), trace, seconds=seconds))


# ------------------------------------------------------------------------ step environments


@step
def tiny_version(label: str = "") -> dict:
    """What tinypkg this step sees (the package exists only in isolated environments)."""
    import tinypkg

    return {"version": tinypkg.VERSION, "label": label}


@step(isolation="venv", requirements=["tinypkg==2.0"])
def isolated_version(label: str = "") -> dict:
    import tinypkg

    return {"version": tinypkg.VERSION, "label": label}


@step(isolation="venv", requirements=["tinypkg==2.0"])
def isolated_twice(label: str = "") -> dict:
    """Another step with the same requirements: it shares the first one's environment."""
    import tinypkg

    return {"version": tinypkg.VERSION, "twice": label * 2}


@pipeline(name="isolated")
def isolated():
    isolated_version("a")
    isolated_twice("b")  # independent: both start at once and race to build the environment
