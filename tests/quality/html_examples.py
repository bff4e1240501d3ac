"""Realistic report dicts for the HTML report tests (the shapes `mloop.quality.html` documents)."""

from __future__ import annotations

from typing import Any

import numpy as np

SCRIPT_NAME = "<script>alert(1)</script>"
CREATED = "2025-06-02T09:15:00+00:00"


def _histogram(values: np.ndarray, edges: np.ndarray) -> dict[str, Any]:
    counts, _ = np.histogram(values, bins=edges)
    return {"edges": [float(edge) for edge in edges], "counts": [int(count) for count in counts]}


def validation_report() -> dict[str, Any]:
    sample = [{"order_id": 90211 + i, "amount": amount, "country": "DE", "customer_id": 5000 + i}
              for i, amount in enumerate([-12.5, 18250.0, -3.0, 12999.99, -0.01])]
    checks = [
        {"name": "amount_in_range", "kind": "between", "column": "amount", "severity": "error", "passed": False,
         "observed": {"min": -12.5, "max": 18250.0}, "expected": {"min": 0, "max": 10000}, "failing": 37,
         "message": "37 rows of 'amount' are outside [0, 10000]", "sample": sample},
        {"name": "country_known", "kind": "in_set", "column": "country", "severity": "warn", "passed": False,
         "observed": ["DE", "FR", "IT", "XX"], "expected": ["DE", "FR", "IT", "ES"], "failing": 212,
         "message": "212 rows have a country outside the known set (XX)",
         "sample": [{"order_id": 90400, "country": "XX"}]},
        {"name": "order_id_unique", "kind": "unique", "column": "order_id", "severity": "error", "passed": True,
         "observed": 0, "expected": 0, "failing": 0, "message": "", "sample": []},
        {"name": "customer_id_not_null", "kind": "not_null", "column": "customer_id", "severity": "error",
         "passed": True, "observed": 0, "expected": 0, "failing": 0, "message": "", "sample": []},
        {"name": "enough_rows", "kind": "row_count", "column": None, "severity": "error", "passed": True,
         "observed": 48213, "expected": ">= 1000", "failing": None, "message": "", "sample": []},
        {"name": "script_column_not_null", "kind": "not_null", "column": SCRIPT_NAME, "severity": "error",
         "passed": True, "observed": 0, "expected": 0, "failing": 0, "message": "", "sample": []},
        {"name": "mean_basket", "kind": "mean_between", "column": "amount", "severity": "warn", "passed": True,
         "observed": 84.31742, "expected": {"min": 50, "max": 120}, "failing": None, "message": "", "sample": []},
    ]
    return {"title": "Validation of orders", "data_name": "orders/2025-06-01.parquet", "rows": 48213,
            "created_at": CREATED, "passed": False,
            "summary": "1 error-level check failed on column amount; 1 warning on country.", "checks": checks}


def profile_report() -> dict[str, Any]:
    rng = np.random.default_rng(7)
    ages = rng.normal(41, 12, 20_000).clip(18, 95)
    incomes = rng.lognormal(10.6, 0.5, 20_000)
    days = rng.integers(0, 400, 20_000)
    day_edges = np.linspace(0, 400, 11)
    start = np.datetime64("2024-05-01T00:00:00")
    iso_edges = [str(start + np.timedelta64(int(day * 86400), "s")) for day in day_edges]
    return {
        "title": "Profile of customers", "data_name": "customers.parquet", "rows": 20_000, "created_at": CREATED,
        "columns": [
            _numeric("age", ages, "BIGINT", nulls=0),
            _numeric("income", incomes, "DOUBLE", nulls=312),
            {"name": "country", "kind": "categorical", "type": "VARCHAR", "count": 19_950, "nulls": 50,
             "distinct": 5, "top": [["DE", 8100], ["FR", 5200], ["IT", 3900], ["ES", 2100], ["NL", 650]]},
            {"name": "signup_at", "kind": "datetime", "type": "TIMESTAMP", "count": 20_000, "nulls": 0,
             "distinct": 19_874, "min": iso_edges[0], "max": iso_edges[-1],
             "histogram": {"edges": iso_edges, "counts": [int(c) for c in np.histogram(days, day_edges)[0]]}},
            {"name": SCRIPT_NAME, "kind": "categorical", "type": "VARCHAR", "count": 20_000, "nulls": 0,
             "distinct": 2, "top": [["<b>yes</b>", 12_000], ["no", 8_000]]},
            {"name": "notes", "kind": "other", "type": "VARCHAR", "count": 1_200, "nulls": 18_800, "distinct": 1_100},
        ],
    }


def _numeric(name: str, values: np.ndarray, sql_type: str, nulls: int) -> dict[str, Any]:
    p05, p25, p50, p75, p95 = (float(q) for q in np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95]))
    return {"name": name, "kind": "numeric", "type": sql_type, "count": int(values.size) - nulls, "nulls": nulls,
            "distinct": int(np.unique(values.round(2)).size), "mean": float(values.mean()),
            "std": float(values.std()), "min": float(values.min()), "max": float(values.max()),
            "quantiles": {"p05": p05, "p25": p25, "p50": p50, "p75": p75, "p95": p95},
            "histogram": _histogram(values, np.linspace(values.min(), values.max(), 21))}


def drift_report() -> dict[str, Any]:
    rng = np.random.default_rng(11)
    age_edges = np.linspace(18, 90, 19)
    income_edges = np.linspace(0, 120_000, 16)
    score_edges = np.linspace(0, 1, 11)
    columns = [
        {"name": "age", "kind": "numeric", "method": "psi", "statistic": 0.3127, "threshold": 0.2, "p_value": None,
         "drifted": True, "stats": {"reference mean": 41.2, "current mean": 49.8}, "note": "",
         "reference_histogram": _histogram(rng.normal(41, 11, 30_000), age_edges),
         "current_histogram": _histogram(rng.normal(50, 12, 12_000), age_edges),
         "reference_shares": None, "current_shares": None},
        {"name": "country", "kind": "categorical", "method": "chi-squared", "statistic": 412.7, "threshold": 0.05,
         "p_value": 1.3e-86, "drifted": True, "stats": {"new categories": 1}, "note": "BR is new in current",
         "reference_histogram": None, "current_histogram": None,
         "reference_shares": {"DE": 0.41, "FR": 0.27, "IT": 0.19, "ES": 0.13},
         "current_shares": {"DE": 0.33, "FR": 0.25, "IT": 0.18, "ES": 0.12, "BR": 0.12}},
        {"name": "income", "kind": "numeric", "method": "ks", "statistic": 0.0123, "threshold": 0.05,
         "p_value": 0.6121, "drifted": False, "stats": {}, "note": "",
         "reference_histogram": _histogram(rng.lognormal(10.6, 0.4, 30_000), income_edges),
         "current_histogram": _histogram(rng.lognormal(10.6, 0.4, 12_000), income_edges),
         "reference_shares": None, "current_shares": None},
        {"name": "plan", "kind": "categorical", "method": "chi-squared", "statistic": 1.92, "threshold": 0.05,
         "p_value": 0.383, "drifted": False, "stats": {}, "note": "",
         "reference_histogram": None, "current_histogram": None,
         "reference_shares": {"free": 0.7, "pro": 0.25, "team": 0.05},
         "current_shares": {"free": 0.69, "pro": 0.26, "team": 0.05}},
        {"name": SCRIPT_NAME, "kind": "numeric", "method": "psi", "statistic": 0.004, "threshold": 0.2,
         "p_value": None, "drifted": False, "stats": {}, "note": "",
         "reference_histogram": _histogram(rng.uniform(0, 1, 30_000), score_edges),
         "current_histogram": _histogram(rng.uniform(0, 1, 12_000), score_edges),
         "reference_shares": None, "current_shares": None},
    ]
    return {"title": "Drift of customers", "reference_name": "customers (training, 2025-05)",
            "current_name": "customers (2025-06-01)", "reference_rows": 30_000, "current_rows": 12_000,
            "created_at": CREATED, "drifted": True, "drifted_columns": 2, "share": 0.4,
            "thresholds": {"share of drifted columns": 0.3, "psi": 0.2, "p-value": 0.05}, "exact": True,
            "note": "Numeric columns use PSI or the KS test, categorical ones the chi-squared test.",
            "columns": columns, "missing_columns": ["legacy_score"], "new_columns": ["promo_code"]}


def wide_drift_report(columns: int, bins: int = 20) -> dict[str, Any]:
    """A drift report over `columns` columns (every tenth drifted, every fifth categorical)."""
    rng = np.random.default_rng(3)
    edges = [float(edge) for edge in np.linspace(0, 100, bins + 1)]
    items = []
    for index in range(columns):
        drifted = index % 10 == 0
        if index % 5 == 4:
            shares = {f"value_{k}": share for k, share in enumerate(rng.dirichlet(np.ones(6)))}
            items.append({"name": f"category_{index}", "kind": "categorical", "method": "chi-squared",
                          "statistic": 3.2, "threshold": 0.05, "p_value": 0.2, "drifted": drifted, "stats": {},
                          "note": "", "reference_histogram": None, "current_histogram": None,
                          "reference_shares": shares, "current_shares": shares})
            continue
        counts = rng.integers(0, 5_000, size=(2, bins))
        items.append({"name": f"feature_{index}", "kind": "numeric", "method": "psi",
                      "statistic": 0.31 if drifted else 0.01, "threshold": 0.2, "p_value": None,
                      "drifted": drifted, "stats": {"reference mean": 50.1, "current mean": 51.7}, "note": "",
                      "reference_histogram": {"edges": edges, "counts": counts[0].tolist()},
                      "current_histogram": {"edges": edges, "counts": counts[1].tolist()},
                      "reference_shares": None, "current_shares": None})
    drifted_count = sum(1 for item in items if item["drifted"])
    return {"title": "Wide drift", "reference_name": "reference", "current_name": "current",
            "reference_rows": 1_000_000, "current_rows": 250_000, "created_at": CREATED, "drifted": True,
            "drifted_columns": drifted_count, "share": drifted_count / columns, "thresholds": {"psi": 0.2},
            "exact": False, "note": "", "columns": items, "missing_columns": [], "new_columns": []}


def wide_profile_report(columns: int, bins: int = 20) -> dict[str, Any]:
    """A profile of `columns` numeric columns."""
    rng = np.random.default_rng(5)
    edges = [float(edge) for edge in np.linspace(0, 100, bins + 1)]
    items = [{"name": f"feature_{index}", "kind": "numeric", "type": "DOUBLE", "count": 99_000, "nulls": 1_000,
              "distinct": 50_000, "mean": 50.2, "std": 28.9, "min": 0.0, "max": 100.0,
              "quantiles": {"p05": 5.0, "p25": 25.0, "p50": 50.0, "p75": 75.0, "p95": 95.0},
              "histogram": {"edges": edges, "counts": rng.integers(0, 10_000, bins).tolist()}}
             for index in range(columns)]
    return {"title": "Wide profile", "data_name": "wide.parquet", "rows": 100_000, "created_at": CREATED,
            "columns": items}
