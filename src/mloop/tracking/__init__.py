"""Experiment tracking: what a step or a notebook run logs, and searching it afterwards.

Layer: domain service (imports core, stores, pipeline). The public names are re-exported by `mloop`.
"""

from mloop.tracking.active import ActiveRun, start_run
from mloop.tracking.autolog import autolog
from mloop.tracking.buffer import flush
from mloop.tracking.filters import parse_field, parse_filter
from mloop.tracking.log import log_artifact, log_metric, log_metrics, log_param, log_params, set_tag, set_tags
from mloop.tracking.search import (
    RunData,
    best_run,
    compare_runs,
    count_runs,
    get_metric_history,
    get_run_data,
    search_runs,
)

__all__ = [
    "ActiveRun",
    "RunData",
    "autolog",
    "best_run",
    "compare_runs",
    "count_runs",
    "flush",
    "get_metric_history",
    "get_run_data",
    "log_artifact",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "parse_field",
    "parse_filter",
    "search_runs",
    "set_tag",
    "set_tags",
    "start_run",
]
