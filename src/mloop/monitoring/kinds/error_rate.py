"""error_rate: the share of a model's requests that failed in the window.

Servers count the requests their model routes answered and the failures (4xx: the client's,
5xx: the server's or the model's) and write the counts with each heartbeat of their deployment
(every 15 s), so the window is judged to that resolution. By default only 5xx answers count as
failed; `options.count: all` counts 4xx too (a signature mismatch after an upstream schema change
is a 422). The value is failed / requests; the monitor fails above `threshold` (default 0.01).
A window without requests is no_data. `version` narrows it to one version of the model."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from mloop.core.errors import ValidationError
from mloop.monitoring.model import Measurement, Monitor

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace

DEFAULT_THRESHOLD = 0.01


def evaluate(monitor: Monitor, workspace: Workspace, start: datetime, end: datetime) -> Measurement:
    count = monitor.options.get("count", "server")
    if count not in ("server", "all"):
        raise ValidationError(f"monitor {monitor.name!r}: options.count must be 'server' (5xx) or 'all' (4xx and "
                              f"5xx), not {count!r}")
    limit = float(monitor.threshold) if monitor.threshold is not None else DEFAULT_THRESHOLD
    version = f"{monitor.model}/{monitor.version}" if monitor.version is not None else None
    counts = workspace.deployments.request_counts(monitor.model or "", since=start, until=end, version=version)
    failed = counts.server_errors + (counts.client_errors if count == "all" else 0)
    values = {"requests": counts.requests, "client_errors": counts.client_errors,
              "server_errors": counts.server_errors}
    if counts.requests == 0:
        return Measurement("no_data", None, limit, f"no requests to {monitor.model} in the last {monitor.window}",
                           values=values)
    rate = failed / counts.requests
    what = "failed" if count == "all" else "failed with 5xx"
    summary = (f"{rate:.2%} of {counts.requests} requests to {monitor.model} {what} in the last {monitor.window} "
               f"({'over' if rate > limit else 'within'} {limit:.2%})")
    return Measurement("failed" if rate > limit else "passed", rate, limit, summary, values=values,
                       rows=counts.requests)
