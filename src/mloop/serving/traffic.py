"""A deployment's live traffic from the prediction log: requests per minute over a recent window
and the latency percentiles, computed by DuckDB over the log's rows and Parquet segments (one
query each, no Python loop per prediction). The UI's deployment page and the REST API read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from mloop.core.clock import utcnow
from mloop.core.errors import ValidationError
from mloop.serving.prediction_query import Window, open_log, parse_time

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace


@dataclass(frozen=True)
class DeploymentTraffic:
    """What a deployment answered between `since` and `until` (UTC)."""

    deployment: str
    since: datetime
    until: datetime
    requests: int
    #: (minute, requests) for each minute that had any, oldest first
    per_minute: list[tuple[datetime, int]] = field(default_factory=list)
    #: requests by role: primary, canary, shadow
    roles: dict[str, int] = field(default_factory=dict)
    p50_ms: float | None = None
    p99_ms: float | None = None

    @property
    def requests_per_minute(self) -> float:
        minutes = max((self.until - self.since).total_seconds() / 60.0, 1.0)
        return self.requests / minutes

    def to_dict(self) -> dict[str, Any]:
        return {"deployment": self.deployment, "since": self.since.isoformat(), "until": self.until.isoformat(),
                "requests": self.requests, "requests_per_minute": self.requests_per_minute,
                "per_minute": [{"minute": m.isoformat(), "requests": n} for m, n in self.per_minute],
                "roles": self.roles, "p50_ms": self.p50_ms, "p99_ms": self.p99_ms}


def deployment_traffic(deployment_id: str, *, minutes: int = 60, until: datetime | str | None = None,
                       workspace: Workspace | None = None) -> DeploymentTraffic:
    """Requests per minute and p50/p99 latency of deployment `deployment_id` (its full id) over the
    `minutes` before `until` (default now), from the prediction log."""
    from mloop.stores.workspace import get_workspace

    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 7 * 24 * 60:
        raise ValidationError(f"minutes must be a whole number from 1 to 10080 (a week), not {minutes!r}")
    end = parse_time(until, "until") or utcnow()
    start = end - timedelta(minutes=minutes)
    connection = open_log(workspace or get_workspace(), Window(deployment=deployment_id, since=start, until=end))
    try:
        per_minute = connection.execute(
            "SELECT epoch(date_trunc('minute', time)) AS minute, count(*) FROM picked GROUP BY 1 ORDER BY 1").fetchall()
        roles = dict(connection.execute("SELECT role, count(*) FROM picked GROUP BY 1 ORDER BY 1").fetchall())
        total, p50, p99 = connection.execute(
            "SELECT count(*), quantile_cont(latency_ms, 0.5), quantile_cont(latency_ms, 0.99) FROM picked").fetchone()
    finally:
        connection.close()
    return DeploymentTraffic(deployment_id, start, end, int(total), [(datetime.fromtimestamp(m, timezone.utc), int(n)) for m, n in per_minute],
                             {str(k): int(v) for k, v in roles.items()},
                             None if p50 is None else float(p50), None if p99 is None else float(p99))
