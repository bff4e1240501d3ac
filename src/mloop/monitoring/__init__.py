"""Monitoring: monitors on logged predictions and data sources, their results as time series,
and the alerts they raise.
"""

from __future__ import annotations

from mloop.monitoring.model import Measurement, Monitor, MonitorResult

__all__ = ["Measurement", "Monitor", "MonitorResult"]
