"""Data quality: validation suites and reports, mergeable profiles, drift, HTML reports.

    suite = mloop.infer_suite("reference.parquet")          # then edit suite.yaml
    report = mloop.validate(df, suite)                       # -> ValidationReport
    profile = mloop.profile_data(df)                         # -> Profile (mergeable)
    drift = mloop.detect_drift("fraud@champion", df)         # vs the model's training-data profile
    mloop.write_report(drift, "drift.html")

Heavy work runs in DuckDB and numpy (the `quality` extra); names load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY: dict[str, tuple[str, str]] = {
    "CheckResult": ("mloop.quality.report", "CheckResult"),
    "ColumnDrift": ("mloop.quality.column_drift", "ColumnDrift"),
    "ColumnProfile": ("mloop.quality.profile", "ColumnProfile"),
    "DataValidationError": ("mloop.quality.report", "DataValidationError"),
    "DriftReport": ("mloop.quality.drift", "DriftReport"),
    "DriftThresholds": ("mloop.quality.drift", "DriftThresholds"),
    "Profile": ("mloop.quality.profile", "Profile"),
    "Suite": ("mloop.quality.suite", "Suite"),
    "ValidationReport": ("mloop.quality.report", "ValidationReport"),
    "detect_drift": ("mloop.quality.drift", "detect_drift"),
    "drift_reference": ("mloop.quality.references", "drift_reference"),
    "drift_step": ("mloop.quality.steps", "drift_step"),
    "infer_suite": ("mloop.quality.infer", "infer_suite"),
    "list_quality_reports": ("mloop.quality.recorded", "list_quality_reports"),
    "merge_profiles": ("mloop.quality.profile", "merge_profiles"),
    "profile_data": ("mloop.quality.profile", "profile"),
    "profile_step": ("mloop.quality.steps", "profile_step"),
    "training_profile": ("mloop.quality.references", "training_profile"),
    "validate": ("mloop.quality.validation", "validate"),
    "validation_step": ("mloop.quality.steps", "validation_step"),
    "write_report": ("mloop.quality.reporting", "write_report"),
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    found = _LAZY.get(name)
    if found is None:
        raise AttributeError(f"module 'mloop.quality' has no attribute {name!r}")
    value = getattr(importlib.import_module(found[0]), found[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
