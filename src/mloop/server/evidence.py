"""What a promotion's audit entry links to: the blessing report of the promoted version and the
model's latest drift evidence (the newest result of each of its monitors, its open alerts). Kept
small: ids, verdicts and headline numbers; the reports themselves are a click away in the UI."""

from __future__ import annotations

from typing import Any

PROMOTION_WORDS = ("promote", "rollback", "alias", "stage")
MAX_METRICS = 20
MAX_MONITORS = 10


def is_promotion(action: str, detail: dict[str, Any]) -> bool:
    return (any(word in action for word in PROMOTION_WORDS) and "model" in detail
            and isinstance(detail.get("version"), int) and not isinstance(detail.get("version"), bool))


def promotion_evidence(model: str, version: int) -> dict[str, Any]:
    return {"blessing": blessing_evidence(model, version), "drift": drift_evidence(model)}


def blessing_evidence(model: str, version: int) -> dict[str, Any] | None:
    import mloop

    reports = mloop.get_workspace().registry.blessing_reports(model, version)
    if not reports:
        return None
    report = reports[-1]
    return {"id": report.id, "passed": report.passed, "forced": report.forced,
            "created_at": report.created_at.isoformat(), "created_by": report.created_by,
            "metrics": headline_numbers(report.evaluation)}


def drift_evidence(model: str) -> dict[str, Any]:
    import mloop

    monitors = [m for m in mloop.list_monitors() if m.model == model][:MAX_MONITORS]
    latest = []
    for monitor in monitors:
        results = mloop.monitor_results(monitor.name, limit=1)
        if results:
            r = results[0]
            latest.append({"monitor": r.monitor, "kind": r.kind, "status": str(r.status), "value": r.value,
                           "threshold": r.threshold, "time": r.time.isoformat(), "result": r.id})
    names = {m.name for m in monitors}
    alerts = [a.id for a in mloop.list_alerts("open") if a.source in names]
    return {"monitors": latest, "open_alerts": alerts}


def headline_numbers(evaluation: dict[str, Any]) -> dict[str, float]:
    """The numbers of an evaluation, one level of nesting flattened with dots, at most MAX_METRICS."""
    numbers: dict[str, float] = {}
    for key, value in evaluation.items():
        items = value.items() if isinstance(value, dict) else [("", value)]
        for sub, number in items:
            if isinstance(number, int | float) and not isinstance(number, bool):
                numbers[f"{key}.{sub}" if sub else str(key)] = float(number)
            if len(numbers) >= MAX_METRICS:
                return numbers
    return numbers
