"""What validating data against a suite found: one result per check, and the report that holds them.

A report is plain data: `to_dict()` gives JSON types only (times as ISO strings, NaN as "NaN"),
and `ValidationReport.from_dict` reads it back, so it can be stored as an artifact and shown later.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.errors import DataCheckFailed, ValidationError
from mloop.stores.artifacts.records import register_record_type

FORMAT = 1


class DataValidationError(DataCheckFailed):
    """Data failed an error-severity check; `report` is the ValidationReport that says which.
    Raised in a pipeline step, it fails the step at once and the report is still stored."""

    def __init__(self, message: str, *, report: ValidationReport) -> None:
        super().__init__(message, outputs={"report": report})
        self.report = report


@dataclass
class CheckResult:
    name: str
    #: the kind of check: range, not_null, ...
    check: str
    columns: list[str]
    severity: str
    passed: bool
    #: what the data showed, as JSON (e.g. {"failing": 3, "fraction": 0.003, "min": -5, "max": 9000})
    observed: Any
    #: the check's parameters, as JSON (e.g. {"min": 0, "max": 5000})
    expected: dict[str, Any]
    #: the expectation in words: "between 0 and 5000"
    expectation: str
    message: str
    #: how many rows break the check, for checks about rows (None for table-level ones)
    failing: int | None = None
    failing_fraction: float | None = None
    #: a few offending rows, JSON-safe, when the check failed and rows can show why
    sample: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed_error(self) -> bool:
        return not self.passed and self.severity == "error"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "check": self.check, "columns": list(self.columns), "severity": self.severity,
                "passed": self.passed, "observed": json_safe(self.observed), "expected": json_safe(self.expected),
                "expectation": self.expectation, "message": self.message, "failing": self.failing,
                "failing_fraction": json_safe(self.failing_fraction), "sample": json_safe(self.sample)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        fields: dict[str, Any] = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        return cls(**fields)


@dataclass
class ValidationReport:
    suite: str
    #: what was validated: a path, or e.g. "the pandas DataFrame"
    data: str
    rows: int
    results: list[CheckResult]
    #: the time freshness checks measured against
    now: datetime | None
    #: None for a report loaded from the artifact store (its time is the artifact's)
    created_at: datetime | None = field(default_factory=utcnow)

    @property
    def passed(self) -> bool:
        """No error-severity check failed (failed warnings do not fail validation)."""
        return not self.errors

    @property
    def errors(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed and r.severity == "error"]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed and r.severity == "warn"]

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]

    def result(self, name: str) -> CheckResult:
        """The result of the check named `name` (e.g. 'range(amount)')."""
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(f"no check named {name!r}; the checks: {', '.join(r.name for r in self.results)}")

    def summary(self) -> str:
        """'2 of 20 checks failed (1 error, 1 warning)' or 'all 20 checks passed'."""
        total = len(self.results)
        if not self.failed:
            return f"all {total} checks passed on {self.rows:,} rows of {self.data}"
        errors, warnings = len(self.errors), len(self.warnings)
        parts = [f"{errors} error{'s' * (errors != 1)}"] if errors else []
        parts += [f"{warnings} warning{'s' * (warnings != 1)}"] if warnings else []
        return f"{len(self.failed)} of {total} checks failed ({', '.join(parts)}) on {self.rows:,} rows of {self.data}"

    def raise_for_errors(self) -> ValidationReport:
        """Raise DataValidationError (carrying this report) if an error-severity check failed; else self."""
        if self.errors:
            first = self.errors[0]
            more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
            raise DataValidationError(f"data validation failed: {self.summary()}; "
                                      f"{first.name}: {first.message}{more}", report=self)
        return self

    def artifact_summary(self) -> dict[str, Any]:
        """The summary row of a stored report (see mloop.quality.recorded)."""
        return {"quality_report": "validation", "subject": self.data, "suite": self.suite, "passed": self.passed,
                "summary": self.summary(), "checks": len(self.results), "errors": len(self.errors),
                "warnings": len(self.warnings)}

    def artifact_data(self) -> dict[str, Any]:
        """What is stored (and hashed): the report without when it was made, and without the time
        it validated at unless a freshness check used it, so the same data gives the same artifact."""
        data = self.to_dict()
        data.pop("created_at")
        if not any(r.check == "freshness" for r in self.results):
            data.pop("now")
        return data

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "suite": self.suite, "data": self.data, "rows": self.rows,
                "passed": self.passed, "summary": self.summary(), "now": self.now.isoformat() if self.now else None,
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "counts": {"checks": len(self.results), "failed": len(self.failed), "errors": len(self.errors),
                           "warnings": len(self.warnings)},
                "results": [r.to_dict() for r in self.results]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationReport:
        if data.get("format") != FORMAT:
            raise ValidationError(f"not a validation report of format {FORMAT} (format {data.get('format')!r}); "
                                  "give the dict that ValidationReport.to_dict() made")
        return cls(suite=data["suite"], data=data["data"], rows=data["rows"],
                   results=[CheckResult.from_dict(r) for r in data["results"]],
                   now=_time(data.get("now")), created_at=_time(data.get("created_at")))

    def __repr__(self) -> str:
        return f"<ValidationReport {self.suite!r}: {self.summary()}>"


def json_safe(value: Any) -> Any:
    """`value` with only JSON types: times as ISO strings, NaN and infinities as strings, decimals as
    numbers, bytes as base64, maps (DuckDB gives them as pairs) as dicts."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return json_safe(float(value))
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return json_safe(value.item())
    return str(value)



def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


register_record_type(ValidationReport)
