"""Which monitor kinds exist and what each watches: plain data, read when a Monitor is checked
(mloop.monitoring.kinds imports the functions behind them on first use)."""

from __future__ import annotations

#: kind name -> "module:function"
KINDS: dict[str, str] = {
    "freshness": "mloop.monitoring.kinds.freshness:evaluate",
    "volume": "mloop.monitoring.kinds.volume:evaluate",
    "error_rate": "mloop.monitoring.kinds.error_rate:evaluate",
    # over the prediction log (see each module's docstring for its value, threshold and direction)
    "data_drift": "mloop.monitoring.kinds.data_drift:evaluate",
    "prediction_drift": "mloop.monitoring.kinds.prediction_drift:evaluate",
    "skew": "mloop.monitoring.kinds.skew:evaluate",
    "estimated_performance": "mloop.monitoring.kinds.estimated_performance:evaluate",
    "performance": "mloop.monitoring.kinds.performance:evaluate",
    # the continuous-training loop: a new champion against the version it replaced
    "champion_watch": "mloop.monitoring.kinds.champion_watch:evaluate",
}
#: kinds that watch a data source; every other kind watches a model's logged predictions
SOURCE_KINDS = frozenset({"freshness"})
