"""What a blessing decided: one result per rule, with the values compared and the reason."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from mloop.stores.metadata.registry_records import BlessingRecord


@dataclass(frozen=True)
class RuleResult:
    rule: str  # "min", "max", "must_beat", "require:<check>", "max_feature_importance_share"
    passed: bool
    reason: str
    value: float | None = None  # the candidate's value
    threshold: float | None = None  # the bound it was held to
    baseline: float | None = None  # the champion's value (must_beat)


@dataclass(frozen=True)
class BlessingReport:
    model: str
    version: int
    passed: bool
    forced: bool
    rules: tuple[RuleResult, ...]
    policy: dict[str, Any]
    evaluation: dict[str, Any]
    id: str = ""
    created_at: datetime | None = None
    created_by: str = ""

    @property
    def blessed(self) -> bool:
        """Whether the version may become champion: every rule passed, or a person forced it."""
        return self.passed or self.forced

    @property
    def failures(self) -> list[RuleResult]:
        return [r for r in self.rules if not r.passed]

    def summary(self) -> str:
        ref = f"{self.model}/{self.version}"
        if self.passed:
            return f"{ref} is blessed: all {len(self.rules)} rule(s) passed"
        reasons = "; ".join(r.reason for r in self.failures)
        verdict = "blessed by force despite" if self.forced else "is not blessed:"
        return f"{ref} {verdict} {reasons}"

    @classmethod
    def from_record(cls, record: BlessingRecord) -> BlessingReport:
        return cls(record.model, record.version, record.passed, record.forced,
                   tuple(RuleResult(**r) for r in record.rules), record.policy, record.evaluation, record.id,
                   record.created_at, record.created_by)

    def to_record(self) -> BlessingRecord:
        assert self.created_at is not None, "only a recorded report has a record"
        return BlessingRecord(id=self.id, model=self.model, version=self.version, policy=self.policy,
                              passed=self.passed, forced=self.forced, rules=[asdict(r) for r in self.rules],
                              evaluation=self.evaluation, created_at=self.created_at, created_by=self.created_by)
