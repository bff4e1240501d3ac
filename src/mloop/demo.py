"""The demo: a churn model trained by a real pipeline on embedded defaults, run as a user would.

`mloop demo` generates a customer table (scikit-learn's make_classification), then runs the
pipeline three times: a first execution, which registers the model, blesses it and makes it
the champion; a fully cached rerun; and a rerun with a worse learning rate, which re-executes
only what that parameter touches and whose model the blessing gate refuses, so the champion
stays. It ends with the champion's lineage back to the exact data file bytes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import mloop
from mloop import Data, pipeline, step

FEATURES = ["tenure_months", "monthly_charges", "support_calls", "usage_gb", "late_payments", "discount"]


@step(description="Read the raw customer table and check it is usable")
def ingest(raw: Path) -> Any:
    import pandas as pd

    frame = pd.read_parquet(raw)
    missing = set(FEATURES + ["churned"]) - set(frame.columns)
    if missing:
        raise ValueError(f"raw data lacks columns {sorted(missing)}")
    print(f"read {len(frame)} customers with {frame['churned'].mean():.1%} churn")
    return frame


@step(outputs=["train", "test"], description="Split customers into train and test sets, stratified by churn")
def split(frame: Any, test_size: float = 0.25, seed: int = 7) -> tuple[Any, Any]:
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=test_size, random_state=seed, stratify=frame["churned"])
    return train.reset_index(drop=True), test.reset_index(drop=True)


@step(description="Fit a gradient-boosted classifier", resources={"cpu": 1, "memory": "1Gi"}, retries=1)
def train(train: Any, learning_rate: float = 0.1, max_iter: int = 100) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(learning_rate=learning_rate, max_iter=max_iter, random_state=0)
    model.fit(train[FEATURES], train["churned"])
    return model


@step(description="Score the model on the held-out customers")
def evaluate(model: Any, test: Any) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, roc_auc_score

    scores = model.predict_proba(test[FEATURES])[:, 1]
    metrics = {
        "auc": round(float(roc_auc_score(test["churned"], scores)), 4),
        "accuracy": round(float(accuracy_score(test["churned"], scores > 0.5)), 4),
    }
    mloop.log_metrics({f"val_{name}": value for name, value in metrics.items()})
    print(f"evaluation: {metrics}")
    return metrics


# The gate: register the model, compare it with the champion on the same test customers,
# and make it the champion only if it is at least as good.
POLICY = mloop.Blessing(metric="val_auc", min=0.80, must_beat="champion", tolerance=0.002,
                        max_feature_importance_share=0.8)
gate = mloop.bless_step("churn", POLICY, target="churned", slice_by="late_payments", promote="champion")


@pipeline(name="churn-training")
def churn_training(data: str = "data/customers.parquet", learning_rate: float = 0.1, max_iter: int = 100) -> None:
    """Train and evaluate a churn classifier from the raw customer table."""
    frame = ingest(Data(data))
    train_set, test_set = split(frame)
    model = train(train_set, learning_rate=learning_rate, max_iter=max_iter)
    evaluate(model, test_set)
    gate(model, test_set)


def make_customers(path: Path, rows: int = 20_000, seed: int = 42) -> Path:
    """A synthetic but realistic customer table (numbers shaped like a churn dataset)."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=rows, n_features=len(FEATURES), n_informative=4, n_redundant=1,
                               weights=[0.8], flip_y=0.03, random_state=seed)
    frame = pd.DataFrame(x, columns=FEATURES)
    frame["tenure_months"] = np.clip((frame["tenure_months"] * 12 + 30).round(), 0, 120).astype("int64")
    frame["support_calls"] = np.clip((frame["support_calls"] * 2 + 3).round(), 0, None).astype("int64")
    frame["late_payments"] = np.clip((frame["late_payments"] + 1).round(), 0, None).astype("int64")
    frame["monthly_charges"] = (frame["monthly_charges"] * 20 + 70).round(2)
    frame["churned"] = y.astype("int64")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path


def run_demo(folder: Path, console: Any) -> None:
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    os.chdir(folder)
    os.environ.setdefault("MLOOP_HOME", str(folder))
    from mloop.core.config import write_default_config

    write_default_config(folder)
    data = folder / "data" / "customers.parquet"
    if not data.exists():
        make_customers(data)
        console.print(f"generated {data.relative_to(folder)} (20,000 customers)")

    from mloop.cli.runs import print_run

    console.rule("1. first run: every step executes; the model becomes the champion")
    first = churn_training.run()
    print_run(first)
    console.print(f"metrics: {first.output('evaluate').load()}")
    console.print(f"gate: {first.output('bless').load()['summary']}")

    console.rule("2. same inputs again: every step is reused from cache; the gate checks again")
    second = churn_training.run()
    print_run(second)

    console.rule("3. plan, then run with learning_rate=0.02: the gate refuses the worse model")
    plan = churn_training.plan(learning_rate=0.02)
    for item in plan.steps:
        console.print(f"  {item.node:<10} {item.action:<7} {item.reason}")
    third = churn_training.run(learning_rate=0.02)
    print_run(third)
    console.print(f"metrics: {third.output('evaluate').load()}")
    console.print(f"gate: {third.output('bless').load()['summary']}")

    console.rule("4. the champion and its lineage")
    champion = mloop.load_model("churn@champion")
    console.print(f"serving churn@champion = version {champion.version.version}; "
                  f"best runs: {mloop.search_runs('metrics.val_auc > 0.9', order_by='metrics.val_auc', descending=True, limit=3)[['run_id', 'metrics.val_auc']].to_dict('records')}")
    model = first.output("train")
    for node in model.lineage().upstream:
        if node.kind == "artifact" and node.detail.get("kind") == "data":
            console.print(f"model {model.id[:12]} was trained from {node.detail['source']} "
                          f"(sha256 {node.id[:12]}, {node.detail['size']} bytes)")
    console.print(f"\nstate is in {folder / '.mloop'}; try: cd {folder} && mloop runs list && "
                  f"mloop models show churn@champion && mloop artifacts lineage {model.id[:12]}")


__all__ = ["churn_training", "make_customers", "mloop", "run_demo"]
