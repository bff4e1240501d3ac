"""DeploymentStore: served models (online, batch, stream), what happened to each, and the
readiness checks of model versions.

Contract:
- each method is one transaction;
- `start` records a new deployment (its id is the caller's); `stop` and `beat` on an unknown id
  do nothing; `stop` is idempotent (the first stop time stays);
- `list_deployments` is newest first; a running deployment whose heartbeat is older than
  `stale_after` seconds is reported with status "lost" (its process died without stopping);
- events of a deployment are in the order they were added;
- `add_counts` records what a deployment answered since its previous count; `request_counts` sums
  the counts of a model (a version such as 'fraud/3' only, if given) timed in [since, until);
- `latest_check` is the newest readiness check of a version (None when there is none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class DeploymentRecord:
    id: str
    #: the model served, and the reference it follows ('fraud@champion' or 'fraud/3')
    model: str
    follows: str
    #: "online", "batch" or "stream"
    mode: str
    #: the version serving now ('fraud/3')
    version: str
    #: {"canary": {"ref", "percent"}, "shadow": {...}} (empty: all traffic to `version`)
    traffic: dict[str, Any]
    #: where it listens or what it reads and writes
    url: str
    host: str
    pid: int | None
    status: str  # running | stopped | lost
    started_at: datetime
    stopped_at: datetime | None
    heartbeat_at: datetime


@dataclass(frozen=True)
class DeploymentEvent:
    deployment_id: str
    time: datetime
    #: "start", "swap", "refused", "stop"
    kind: str
    role: str
    from_version: str | None
    to_version: str | None
    detail: str


@dataclass(frozen=True)
class ReadinessCheck:
    id: str
    model: str
    version: int
    passed: bool
    #: [{"name", "passed", "detail"}] in checklist order
    items: list[dict[str, Any]]
    #: load test figures: {"c1": {"requests_per_second", "p50_ms", "p99_ms"}, "c16": {...}, "peak_rss_mb"}
    load: dict[str, Any]
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class RequestCounts:
    """Requests answered and failed (4xx: the client's, 5xx: the server's or the model's)."""

    requests: int
    client_errors: int
    server_errors: int


class DeploymentStore(Protocol):
    def start(self, deployment: DeploymentRecord) -> None: ...
    def add_event(self, event: DeploymentEvent) -> None: ...
    def set_version(self, deployment_id: str, version: str) -> None: ...
    def beat(self, deployment_id: str, at: datetime) -> None: ...
    def stop(self, deployment_id: str, at: datetime) -> None: ...
    def get_deployment(self, deployment_id: str, *, stale_after: float = 60.0) -> DeploymentRecord | None: ...
    def list_deployments(self, *, model: str | None = None, running_only: bool = False, stale_after: float = 60.0,
                         limit: int = 100) -> list[DeploymentRecord]: ...
    def events(self, deployment_id: str) -> list[DeploymentEvent]: ...
    def add_counts(self, deployment_id: str, model: str, version: str, at: datetime, counts: RequestCounts) -> None: ...
    def request_counts(self, model: str, *, since: datetime, until: datetime,
                       version: str | None = None) -> RequestCounts: ...
    def add_check(self, check: ReadinessCheck) -> None: ...
    def latest_check(self, model: str, version: int) -> ReadinessCheck | None: ...
