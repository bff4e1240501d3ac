"""Feature store: definitions written once in Python, point-in-time-correct training data as it
was known at each row's time, reproducible training sets with manifests, and an online store
(SQLite, Redis) that serves the very values training saw.

    from mloop.features import Entity, Feature, FeatureView, Float64, ParquetSource
    mloop.apply_features("defs.py")                                # versions, diffs, breaking changes refused
    frame = mloop.get_training_frame(labels, "fraud_v1")           # as known at each label's time
    mloop.materialize_features_incremental()                       # latest values into the online store
    mloop.get_online_features([{"customer_id": 7}], "fraud_v1")    # the same values, with their age

Names load on first use (DuckDB and pandas are the `features` extra).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY: dict[str, tuple[str, str]] = {
    "ApplyReport": ("mloop.features.apply", "ApplyReport"),
    "Bool": ("mloop.features.definitions", "Bool"),
    "DataFrameSource": ("mloop.features.definitions", "DataFrameSource"),
    "Entity": ("mloop.features.definitions", "Entity"),
    "Feature": ("mloop.features.definitions", "Feature"),
    "FeatureService": ("mloop.features.definitions", "FeatureService"),
    "FeatureView": ("mloop.features.definitions", "FeatureView"),
    "Float32": ("mloop.features.definitions", "Float32"),
    "Float64": ("mloop.features.definitions", "Float64"),
    "Int32": ("mloop.features.definitions", "Int32"),
    "Int64": ("mloop.features.definitions", "Int64"),
    "OnDemandFeature": ("mloop.features.definitions", "OnDemandFeature"),
    "OnlineFeatures": ("mloop.features.online", "OnlineFeatures"),
    "ParquetSource": ("mloop.features.definitions", "ParquetSource"),
    "SqlSource": ("mloop.features.definitions", "SqlSource"),
    "String": ("mloop.features.definitions", "String"),
    "Timestamp": ("mloop.features.definitions", "Timestamp"),
    "apply_features": ("mloop.features.apply", "apply_features"),
    "feature_freshness": ("mloop.features.online", "feature_freshness"),
    "get_online_features": ("mloop.features.online", "get_online_features"),
    "get_training_frame": ("mloop.features.training", "get_training_frame"),
    "list_feature_definitions": ("mloop.features.apply", "list_feature_definitions"),
    "materialize_features": ("mloop.features.materialize", "materialize"),
    "materialize_features_incremental": ("mloop.features.materialize", "materialize_incremental"),
    "training_set_step": ("mloop.features.steps", "training_set_step"),
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    found = _LAZY.get(name)
    if found is None:
        raise AttributeError(f"module 'mloop.features' has no attribute {name!r}")
    value = getattr(importlib.import_module(found[0]), found[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
