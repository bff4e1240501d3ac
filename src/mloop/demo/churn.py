"""The first demo: a churn model trained by a real pipeline on embedded defaults, run as a user would.

`mloop demo` generates a customer table (scikit-learn's make_classification), then runs the
pipeline three times: a first execution, which validates the data, registers the model,
blesses it and makes it the champion; a fully cached rerun; and a rerun with a worse learning
rate, which re-executes only what that parameter touches and whose model the blessing gate
refuses, so the champion stays. Then a month of new customers is compared with the champion's
stored training-data profile (drift, with an HTML report), and it ends with the champion's
lineage back to the exact data file bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mloop
from mloop import Data, Workspace, pipeline, step
from mloop.demo.workspace import demo_workspace

POPULATION = 25_000
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


# The data must pass these checks before anything trains on it.
SUITE = mloop.Suite("customers", checks=[
    *({"check": "not_null", "column": name} for name in [*FEATURES, "churned"]),
    {"check": "range", "column": "tenure_months", "min": 0, "max": 120},
    {"check": "range", "column": "monthly_charges", "min": 0},
    {"check": "allowed_values", "column": "churned", "values": [0, 1]},
    {"check": "row_count", "min": 1000},
])
validate = mloop.validation_step(SUITE)

# The gate: register the model, compare it with the champion on the same test customers,
# and make it the champion only if it is at least as good and its data passed validation.
POLICY = mloop.Blessing(metric="val_auc", min=0.80, must_beat="champion", tolerance=0.002,
                        max_feature_importance_share=0.8, require=("data_validation",))
gate = mloop.bless_step("churn", POLICY, target="churned", slice_by="late_payments", promote="champion")


@pipeline(name="churn-training")
def churn_training(data: str = "data/customers.parquet", learning_rate: float = 0.1, max_iter: int = 100) -> None:
    """Train and evaluate a churn classifier from the raw customer table."""
    frame, _ = validate(ingest(Data(data)))
    train_set, test_set = split(frame)
    model = train(train_set, learning_rate=learning_rate, max_iter=max_iter)
    evaluate(model, test_set)
    gate(model, test_set)


def make_customers(path: Path, rows: int = 20_000, seed: int = 42, price_rise: float = 0.0, skip: int = 0) -> Path:
    """A synthetic but realistic customer table (numbers shaped like a churn dataset): `rows`
    customers after the first `skip` of one population; `price_rise` raises monthly charges by
    that fraction (a shift drift detection should see)."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_classification

    # one population, however many rows are taken from it (make_classification's clusters
    # depend on how many samples it draws)
    x, y = make_classification(n_samples=max(POPULATION, skip + rows), n_features=len(FEATURES), n_informative=4,
                               n_redundant=1, weights=[0.8], flip_y=0.03, random_state=seed)
    x, y = x[skip:skip + rows], y[skip:skip + rows]
    frame = pd.DataFrame(x, columns=FEATURES)
    frame["tenure_months"] = np.clip((frame["tenure_months"] * 12 + 30).round(), 0, 120).astype("int64")
    frame["support_calls"] = np.clip((frame["support_calls"] * 2 + 3).round(), 0, None).astype("int64")
    frame["late_payments"] = np.clip((frame["late_payments"] + 1).round(), 0, None).astype("int64")
    frame["monthly_charges"] = (np.clip(frame["monthly_charges"] * 20 + 70, 5, None) * (1 + price_rise)).round(2)
    frame["churned"] = y.astype("int64")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path


@dataclass
class DemoStage:
    """One stage of the demo: what it set out to show, and the runs it made."""

    number: int
    goal: str
    runs: list[Any] = field(default_factory=list)
    plan: Any = None

    @property
    def executed(self) -> int:
        return sum(1 for run in self.runs for s in run.steps if s.status == "succeeded")

    @property
    def cached(self) -> int:
        return sum(1 for run in self.runs for s in run.steps if s.status == "cached")


@dataclass
class DemoResult:
    folder: Path
    workspace: Workspace
    generated_data: bool
    stages: list[DemoStage]
    champion_version: int
    best_runs: list[dict[str, Any]]
    model_id: str
    #: the raw data files the champion's model was trained from: (path, sha256, size in bytes)
    data_sources: list[tuple[str, str, int]]
    #: new customers compared with the champion's training data, and the HTML report of it
    drift: Any = None
    drift_report: Path | None = None


def run_demo(folder: Path, on_stage: Callable[[DemoStage], None] | None = None,
             on_start: Callable[[int, str], None] | None = None,
             on_progress: Callable[[str, str], None] | None = None) -> DemoResult:
    """Run the demo in `folder` (created if needed). `on_start(number, goal)` is called as each
    stage starts and `on_stage(stage)` as it ends, so a caller can show them as they happen;
    `on_progress(node, status)` on every step change."""
    folder = folder.resolve()
    mloop.init_project(folder)
    workspace = demo_workspace(folder)
    data = folder / "data" / "customers.parquet"
    generated = not data.exists()
    if generated:
        make_customers(data)
    options: dict[str, Any] = {"workspace": workspace, "on_progress": on_progress, "data": str(data)}
    stages: list[DemoStage] = []

    def stage(goal: str, work: Callable[[], list[Any]]) -> DemoStage:
        done = DemoStage(len(stages) + 1, goal)
        if on_start is not None:
            on_start(done.number, goal)
        for item in work():
            if isinstance(item, mloop.Plan):
                done.plan = item
            else:
                done.runs.append(item)
        stages.append(done)
        if on_stage is not None:
            on_stage(done)
        return done

    first = stage("train, evaluate and bless a churn model; a blessed model becomes the champion",
                  lambda: [churn_training.run(**options)]).runs[0]
    stage("the same inputs again: unchanged steps are reused from cache; the gate checks again",
          lambda: [churn_training.run(**options)])
    stage("plan, then run with learning_rate=0.02: the gate refuses a worse model",
          lambda: [churn_training.plan(learning_rate=0.02, workspace=workspace, data=str(data)),
                   churn_training.run(**options, learning_rate=0.02)])
    champion = mloop.load_model("churn@champion", workspace=workspace)
    drift, report = _new_customers(folder, workspace, on_start, len(stages) + 1)
    best = mloop.search_runs("metrics.val_auc > 0.9", order_by="metrics.val_auc", descending=True, limit=3,
                             workspace=workspace)
    model = first.output("train")
    sources = [(node.detail["source"], node.id, node.detail["size"]) for node in model.lineage().upstream
               if node.kind == "artifact" and node.detail.get("kind") == "data"]
    return DemoResult(folder, workspace, generated, stages, champion.version.version,
                      best[["run_id", "metrics.val_auc"]].to_dict("records"), model.id, sources, drift, report)


def _new_customers(folder: Path, workspace: Workspace, on_start: Callable[[int, str], None] | None,
                   number: int) -> tuple[Any, Path]:
    """A month later: new customers (charges up 8%) against the champion's training-data profile,
    stored when the model was registered, so the training data is not read again."""
    if on_start is not None:
        on_start(number, "a month later: new customers compared with the champion's training data (drift)")
    new = folder / "data" / "customers-next-month.parquet"
    if not new.exists():
        make_customers(new, rows=5_000, skip=20_000, price_rise=0.08)  # the same population, pricier
    profile = mloop.training_profile("churn@champion", workspace=workspace)
    drift = mloop.detect_drift(profile, str(new), columns=FEATURES)
    return drift, mloop.write_report(drift, folder / "drift-report.html")


__all__ = ["DemoResult", "DemoStage", "churn_training", "make_customers", "run_demo"]
