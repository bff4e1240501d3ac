"""champion_watch: after an alias moves to a new version, compare it on live signals with the
version it replaced, for `window` after the move; the continuous-training loop rolls the alias
back when this fails (mloop.monitoring.actions).

`options`:
- `alias` (default "champion");
- `signals`: kinds evaluated on each version's own logged predictions (default: "performance",
  "estimated_performance", "error_rate"); a signal with no data for either version is skipped;
- `max_drop` (default 0.05): how much worse the new version may be on a signal where higher is
  better (performance, estimated_performance), and `max_increase` (default 0.02 for error_rate,
  0.25 for data_drift) where lower is better;
- `min_predictions` (default 100): the new version's rows needed before it is judged.

The new version is measured from the move to now; the old one over `window` just before the move
(its recent live record). Value: the largest shortfall of the new version (0 when it
is at least as good everywhere); threshold: 0 — any signal past its limit fails.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mloop.monitoring.model import Measurement, Monitor

if TYPE_CHECKING:
    from mloop.stores.metadata.registry_records import AliasChange
    from mloop.stores.workspace import Workspace

HIGHER_IS_BETTER = {"performance": True, "estimated_performance": True, "error_rate": False, "data_drift": False,
                    "prediction_drift": False}
DEFAULT_SIGNALS = ("performance", "estimated_performance", "error_rate")
LIMITS = {"performance": 0.05, "estimated_performance": 0.05, "error_rate": 0.02, "data_drift": 0.25,
          "prediction_drift": 0.25}


def evaluate(monitor: Monitor, workspace: Workspace, start: datetime, end: datetime) -> Measurement:
    alias = str(monitor.options.get("alias", "champion"))
    move = latest_promotion(workspace, monitor.model or "", alias, start, end)
    if move is None:
        return Measurement("no_data", None, 0.0, f"{monitor.model}@{alias} did not move to a new version "
                                                 f"in the last {monitor.window}: nothing to watch")
    new, old = move.to_version, move.from_version
    assert new is not None and old is not None  # latest_promotion returns moves between two versions
    moved_at = move.changed_at
    before = moved_at - monitor.window_length
    signals: dict[str, Any] = {}
    worst, reasons, rows = 0.0, [], 0
    for signal in monitor.options.get("signals", DEFAULT_SIGNALS):
        if signal not in HIGHER_IS_BETTER:
            from mloop.core.errors import ValidationError

            raise ValidationError(f"monitor {monitor.name!r}: cannot watch signal {signal!r}; use one of: "
                                  f"{', '.join(HIGHER_IS_BETTER)}")
        pair = _measure(monitor, workspace, signal, new, old, moved_at, before, end)
        if pair is None:
            continue
        now_value, then_value, count = pair
        rows = max(rows, count)
        higher = HIGHER_IS_BETTER[signal]
        shortfall = (then_value - now_value) if higher else (now_value - then_value)
        limit = float(monitor.options.get("max_drop" if higher else "max_increase", LIMITS[signal]))
        signals[signal] = {"new": now_value, "old": then_value, "shortfall": round(shortfall, 6), "limit": limit}
        if shortfall > limit:
            worst = max(worst, shortfall)
            reasons.append(f"{signal} {now_value:.4g} vs {then_value:.4g} for v{old}")
    values = {"alias": alias, "from_version": old, "to_version": new, "moved_at": moved_at.isoformat(),
              "signals": signals}
    minimum = int(monitor.options.get("min_predictions", 100))
    if not signals or rows < minimum:
        return Measurement("no_data", None, 0.0, f"v{new} of {monitor.model} has too little live data yet "
                                                 f"({rows} rows, {minimum} needed) to compare with v{old}",
                           values, rows)
    if reasons:
        return Measurement("failed", round(worst, 6), 0.0, f"{monitor.model}/{new} does worse than {monitor.model}/"
                                                         f"{old} since it became {alias}: {'; '.join(reasons)}",
                           values, rows)
    return Measurement("passed", 0.0, 0.0, f"{monitor.model}/{new} does at least as well as {monitor.model}/{old} "
                                           f"on {', '.join(signals)} since it became {alias}", values, rows)


def latest_promotion(workspace: Workspace, model: str, alias: str, start: datetime,
                     end: datetime) -> AliasChange | None:
    """The alias's newest move if it went from one version to another within [start, end) and is
    still in force; None otherwise (a rollback is not watched: it returns to a known version)."""
    history = [c for c in workspace.registry.alias_history(model, alias) if c.changed_at < end]
    if not history:
        return None
    move = max(history, key=lambda c: (c.changed_at, c.id))
    if move.action != "set" or move.changed_at < start or move.from_version is None or move.to_version is None:
        return None
    return move


def _measure(monitor: Monitor, workspace: Workspace, signal: str, new: int, old: int, moved_at: datetime,
             before: datetime, end: datetime) -> tuple[float, float, int] | None:
    from mloop.monitoring.kinds import kind_function

    evaluate = kind_function(signal)
    options = {k: v for k, v in monitor.options.items() if k not in ("alias", "signals", "max_drop", "max_increase")}
    probe = replace(monitor, kind=signal, threshold=None, options=options)
    now = evaluate(replace(probe, version=new), workspace, moved_at, end)
    then = evaluate(replace(probe, version=old), workspace, before, moved_at)
    if now.value is None or then.value is None or now.status == "no_data" or then.status == "no_data":
        return None
    return float(now.value), float(then.value), now.rows
