"""Quality reports as one self-contained HTML file: the report objects mapped onto the page
builders of `mloop.quality.html`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mloop.core.errors import ValidationError

_QUANTILES = {"p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}


def write_report(report: Any, path: str | Path) -> Path:
    """Write a ValidationReport, DriftReport or Profile as a self-contained HTML page (atomic)."""
    from mloop.quality import html

    html_text = render_report(report)
    target = Path(path)
    html.write_html(target, html_text)
    return target


def render_report(report: Any) -> str:
    from mloop.quality import html
    from mloop.quality.drift import DriftReport
    from mloop.quality.profile import Profile

    if isinstance(report, DriftReport):
        return str(html.render_drift(drift_page(report)))
    if isinstance(report, Profile):
        return str(html.render_profile(profile_page(report)))
    if type(report).__name__ == "ValidationReport":
        return str(html.render_validation(validation_page(report)))
    raise ValidationError(f"cannot render a {type(report).__name__} as a report; give a ValidationReport, "
                          "DriftReport or Profile")


def profile_page(profile: Any) -> dict[str, Any]:
    columns = []
    for column in profile.columns:
        entry: dict[str, Any] = {"name": column.name, "kind": column.kind, "type": column.type,
                                 "count": column.count, "nulls": column.nulls, "distinct": column.distinct,
                                 "mean": column.mean, "std": column.std, "min": column.min, "max": column.max,
                                 "quantiles": None, "histogram": None, "top": []}
        if column.kind == "numeric" and column.quantiles is not None:
            entry["quantiles"] = {name: column.quantile(p) for name, p in _QUANTILES.items()}
            edges, counts = column.histogram()
            entry["histogram"] = {"edges": edges, "counts": counts}
        if column.kind == "categorical":
            entry["top"] = [[value, count] for value, count in zip(column.values, column.value_counts, strict=False)]
            if column.other:
                entry["top"].append(["(other)", column.other])
        columns.append(entry)
    return {"title": f"Profile of {profile.name}", "data_name": profile.name, "rows": profile.rows,
            "created_at": profile.created_at.isoformat() if profile.created_at else None, "columns": columns}


def drift_page(report: Any) -> dict[str, Any]:
    data = report.to_dict()
    columns = []
    for column in data["columns"]:
        plot = column.get("plot") or {}
        entry = {key: column.get(key) for key in ("name", "kind", "method", "statistic", "threshold", "p_value",
                                                  "drifted", "note")}
        entry["stats"] = {key: column.get(key) for key in (
            "ks", "ks_pvalue", "wasserstein", "wasserstein_norm", "psi", "chi2", "chi2_pvalue", "js",
            "reference_null_fraction", "current_null_fraction") if column.get(key) is not None}
        if column.get("new_categories"):
            entry["stats"]["new categories"] = ", ".join(map(str, column["new_categories"][:10]))
        if column.get("missing_categories"):
            entry["stats"]["missing categories"] = ", ".join(map(str, column["missing_categories"][:10]))
        entry["reference_histogram"] = entry["current_histogram"] = None
        entry["reference_shares"] = entry["current_shares"] = None
        if "edges" in plot:
            entry["reference_histogram"] = {"edges": plot["edges"], "counts": plot["reference"]}
            entry["current_histogram"] = {"edges": plot["edges"], "counts": plot["current"]}
        elif "values" in plot:
            entry["reference_shares"] = dict(zip(map(str, plot["values"]), plot["reference"], strict=False))
            entry["current_shares"] = dict(zip(map(str, plot["values"]), plot["current"], strict=False))
        columns.append(entry)
    return {"title": f"Drift: {data['current']} vs {data['reference']}", "reference_name": data["reference"],
            "current_name": data["current"], "reference_rows": data["reference_rows"],
            "current_rows": data["current_rows"], "created_at": data["created_at"], "drifted": data["drifted"],
            "drifted_columns": data["drifted_count"], "share": data["share"], "thresholds": data["thresholds"],
            "exact": data["exact"], "note": data["criteria"] + ("; " + "; ".join(data["notes"]) if data["notes"] else ""),
            "columns": columns, "missing_columns": data["only_in_reference"], "new_columns": data["only_in_current"]}


def validation_page(report: Any) -> dict[str, Any]:
    data = report.to_dict()
    checks = []
    for result in data["results"]:
        columns = result.get("columns") or []
        checks.append({"name": result["name"], "kind": result["check"], "column": ", ".join(map(str, columns)) or None,
                       "severity": result["severity"], "passed": result["passed"], "observed": result["observed"],
                       "expected": result.get("expectation") or result["expected"], "failing": result.get("failing"),
                       "message": result.get("message") or "", "sample": result.get("sample") or []})
    return {"title": f"Validation of {data['data']} ({data['suite']})", "data_name": data["data"],
            "rows": data["rows"], "created_at": data["created_at"], "passed": data["passed"],
            "summary": data["summary"], "checks": checks}
