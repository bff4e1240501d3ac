"""A churn model trained by a real pipeline: validation, a time-free split, training, evaluation
and the blessing gate. The README's scale-out section runs it on Dask:

    python -c "from pathlib import Path; from mloop.demo import make_customers; make_customers(Path('data/customers.parquet'))"
    mloop run mloop.demo:churn_training -p data=data/customers.parquet
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mloop
from mloop import Data, pipeline, step

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


__all__ = ["churn_training", "make_customers"]
