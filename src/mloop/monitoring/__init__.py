"""Monitoring: monitors on logged predictions and data sources, their results as time series,
the alerts they raise, and the webhooks told about alerts and registry events.
"""

from __future__ import annotations

from mloop.monitoring.alerts import (
    Alert,
    alerts_opened_since,
    get_alert,
    list_alerts,
    raise_alert,
    resolve_alert,
)
from mloop.monitoring.definitions import (
    ApplyResult,
    apply_monitors,
    delete_monitor,
    get_monitor,
    list_monitors,
    pause_monitor,
    resume_monitor,
)
from mloop.monitoring.delivery import deliver_pending, list_deliveries
from mloop.monitoring.gate_alerts import watch_blessings
from mloop.monitoring.model import Measurement, Monitor, MonitorResult
from mloop.monitoring.registry_events import collect_registry_events
from mloop.monitoring.runner import latest_results, monitor_results, run_monitor, run_monitors
from mloop.monitoring.status import Status, status
from mloop.monitoring.webhooks import Webhook, add_webhook, list_webhooks, remove_webhook

__all__ = ["Alert", "ApplyResult", "Measurement", "Monitor", "MonitorResult", "Webhook", "add_webhook", "alerts_opened_since",
           "apply_monitors", "collect_registry_events", "delete_monitor", "deliver_pending", "get_alert",
           "get_monitor", "latest_results", "list_alerts", "list_deliveries", "list_monitors", "list_webhooks",
           "monitor_results", "pause_monitor", "raise_alert", "remove_webhook", "resolve_alert",
           "resume_monitor", "run_monitor", "run_monitors", "Status", "status", "watch_blessings"]
