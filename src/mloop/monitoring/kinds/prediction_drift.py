"""prediction_drift: the distribution of a window's predictions against a reference window of
the same model's logged predictions.

What is compared: the class probabilities of a classifier (a binary one: the probability of its
positive class only, the other is its complement), or the prediction of a regressor, of the newest
version in the window (or `monitor.version`). The reference, in order:
- `options.reference` as a duration ("7d"): the same window that much earlier, [start - 7d, end - 7d)
  (the same hours of another day or week: no seasonality mistaken for drift);
- by default, the version's first window after it started serving: [first, first + window), first
  being its earliest logged prediction. Its predictions on its training or evaluation data would be
  a better reference, but the registry does not store them; the first window of serving is the
  honest stand-in (and what the model was blessed to do is judged by the performance kinds).
While the current window overlaps the reference one, the result is no_data.

Statistics are `detect_drift`'s (Wasserstein / reference std for numbers, Jensen–Shannon for
categories, each also significant after Bonferroni); `threshold` (default 0.1) is the distance
above which a column drifts. Value: the largest distance; the monitor fails when a column drifts.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from mloop.core.durations import parse_duration
from mloop.core.errors import ValidationError
from mloop.monitoring.kinds.verdicts import column_values, drifted_text, no_data
from mloop.monitoring.logged import logged_predictions
from mloop.monitoring.model import Measurement, Monitor

if TYPE_CHECKING:
    import pyarrow as pa

    from mloop.stores.workspace import Workspace

DEFAULT_THRESHOLD = 0.1
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def evaluate(monitor: Monitor, workspace: Workspace, start: datetime, end: datetime) -> Measurement:
    import pyarrow.compute as pc

    from mloop.quality.drift import detect_drift

    threshold = DEFAULT_THRESHOLD if monitor.threshold is None else monitor.threshold
    current = logged_predictions(monitor, workspace, start, end, parts=("outputs",), leading=("version",))
    if current.num_rows == 0:
        return no_data(f"no predictions of {monitor.model} logged in the window", threshold)
    number = monitor.version if monitor.version is not None else int(pc.max(current["version"]).as_py())
    current = current.filter(pc.equal(current["version"], number))
    window = _reference_window(monitor, workspace, number, start, end)
    if isinstance(window, Measurement):
        return window
    reference = logged_predictions(monitor, workspace, *window, parts=("outputs",), version=number,
                                   leading=("version",))
    if reference.num_rows == 0:
        return no_data(f"no predictions of {monitor.model}/{number} in the reference window "
                       f"{_span(window)}", threshold, rows=current.num_rows)
    names = _compared(current)
    missing = [n for n in names if n not in reference.column_names]
    if missing:
        return no_data(f"the reference window {_span(window)} logged no {', '.join(missing)}", threshold,
                       rows=current.num_rows)
    plain = [n.removeprefix("output.") for n in names]
    limits = {"wasserstein": threshold, "js": threshold, **monitor.options.get("thresholds", {})}
    report = detect_drift(reference.select(names).rename_columns(plain), current.select(names).rename_columns(plain),
                          thresholds=limits)
    columns = column_values(report)
    value = max((c["statistic"] for c in columns if c["statistic"] is not None), default=0.0)
    drifted = [c["name"] for c in columns if c["drifted"]]
    head = f"{monitor.model}/{number}: " + (f"predictions drifted: {drifted_text(columns)}" if drifted
                                            else f"predictions stable (largest distance {value:.2g})")
    return Measurement(status="failed" if drifted else "passed", value=value, threshold=threshold,
                       summary=f"{head}; {current.num_rows} vs {reference.num_rows} predictions of {_span(window)}",
                       rows=current.num_rows,
                       values={"version": number, "drifted": drifted, "columns": columns,
                               "reference": {"start": window[0].isoformat(), "end": window[1].isoformat(),
                                             "rows": reference.num_rows}})


def _reference_window(monitor: Monitor, workspace: Workspace, number: int, start: datetime,
                      end: datetime) -> tuple[datetime, datetime] | Measurement:
    import pyarrow.compute as pc

    threshold = DEFAULT_THRESHOLD if monitor.threshold is None else monitor.threshold
    option = monitor.options.get("reference")
    if option is not None:
        try:
            back = parse_duration(str(option))
        except ValueError as exc:
            raise ValidationError(f"monitor {monitor.name!r}: options.reference {exc}; give a duration such "
                                  "as '7d' (the same window that much earlier)") from None
        if back < end - start:
            raise ValidationError(f"monitor {monitor.name!r}: options.reference {option!r} is shorter than the "
                                  "window, so the two would overlap; give at least the window's length")
        return start - back, end - back
    history = logged_predictions(monitor, workspace, _EPOCH, end, parts=(), version=number, leading=("time",))
    first = pc.min(history["time"]).as_py()
    length = end - start
    if first + length > start:
        return no_data(f"{monitor.model}/{number} started serving at {first:%Y-%m-%d %H:%M}; its first window "
                       f"(the reference) is complete at {first + length:%Y-%m-%d %H:%M}", threshold)
    return first, first + length


def _compared(table: pa.Table) -> list[str]:
    probabilities = [n for n in table.column_names if n.startswith("output.probability_")]
    if len(probabilities) == 2:
        return probabilities[1:]
    return probabilities or ["output.prediction"]


def _span(window: tuple[datetime, datetime]) -> str:
    return f"[{window[0]:%Y-%m-%d %H:%M}, {window[1]:%Y-%m-%d %H:%M})"
