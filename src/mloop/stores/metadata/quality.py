"""QualityStore: whose data profile is which artifact, and a summary row per quality report.

Contract:
- each method is one transaction;
- `link_profile` is idempotent: linking a subject again replaces its profile;
- `profiles_of` returns only the subjects it knows (a miss is absent, never an error);
- reports are listed newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class QualityReportRecord:
    id: str
    #: "validation", "drift" or "profile"
    kind: str
    #: the report artifact
    artifact_id: str
    #: what was checked: a data name, a data artifact or a model reference
    subject: str
    #: None for a profile (nothing to pass)
    passed: bool | None
    summary: dict[str, Any]
    run_id: str | None
    step_run_id: str | None
    created_at: datetime


class QualityStore(Protocol):
    def link_profile(self, subject: str, profile_id: str) -> None: ...
    def profiles_of(self, subjects: Sequence[str]) -> dict[str, str]: ...
    def add_report(self, report: QualityReportRecord) -> None: ...
    def list_reports(self, *, kind: str | None = None, run_id: str | None = None, subject: str | None = None,
                     limit: int = 100) -> list[QualityReportRecord]: ...
