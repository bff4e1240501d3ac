"""Axes for the SVG charts: bin edges made finite, nice tick positions and short tick labels, for
numbers and for datetimes (edges given as ISO strings or datetimes)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from mloop.quality.html.numbers import number

_TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600,
               86400, 2 * 86400, 7 * 86400, 14 * 86400)
_DAY = 86400


def edge_values(edges: Sequence[Any]) -> tuple[list[float], bool] | None:
    """Edges as finite floats (seconds since the epoch for datetimes) and whether they are times;
    None when they are not numbers or times. An infinite outer edge becomes one bin width out."""
    values: list[float] = []
    is_time = False
    for edge in edges:
        if isinstance(edge, str):
            try:
                edge = datetime.fromisoformat(edge.replace("Z", "+00:00"))
            except ValueError:
                return None
        if isinstance(edge, datetime):
            is_time = True
            if edge.tzinfo is None:
                edge = edge.replace(tzinfo=timezone.utc)
            values.append(edge.timestamp())
        elif isinstance(edge, (int, float)) and not isinstance(edge, bool) and not math.isnan(edge):
            values.append(float(edge))
        else:
            return None
    if len(values) < 2:
        return None
    finite = [value for value in values if math.isfinite(value)]
    if not finite:
        return None
    width = _typical_width(finite)
    if not math.isfinite(values[0]):
        values[0] = (values[1] if math.isfinite(values[1]) else min(finite)) - width
    if not math.isfinite(values[-1]):
        values[-1] = (values[-2] if math.isfinite(values[-2]) else max(finite)) + width
    for index, value in enumerate(values):
        if not math.isfinite(value):
            values[index] = values[index - 1]
    return values, is_time


def _typical_width(finite: list[float]) -> float:
    gaps = sorted(b - a for a, b in zip(finite, finite[1:], strict=False) if b > a)
    if gaps:
        return gaps[len(gaps) // 2]
    return abs(finite[0]) * 0.1 or 1.0


def number_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round tick positions (1, 2, 2.5, 5 × 10^k apart) inside [low, high], at most `most`."""
    if not high > low:
        return [low]
    raw = (high - low) / max(1, most - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks: list[float] = []
    value = first
    while value <= high + step * 1e-9 and len(ticks) <= most:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value += step
    return ticks


def number_label(value: float, ticks: Sequence[float]) -> str:
    """A tick label as short as the tick spacing allows: 1.5k, 20M, 0.25."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(value) or 1.0
    largest = max(abs(tick) for tick in ticks)
    if value == 0:
        return "0"
    if largest >= 1e4:
        scale, suffix = next(pair for pair in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")) if largest >= pair[0])
        return _decimal(value / scale, step / scale) + suffix
    if largest and largest < 1e-3:
        return number(value)
    return _decimal(value, step)


def _decimal(value: float, step: float) -> str:
    decimals = next((d for d in range(7) if abs(step * 10**d - round(step * 10**d)) < 1e-6 * 10**d), 6)
    return "0" if float(value) == 0 else f"{value:,.{decimals}f}"


def time_ticks(low: float, high: float, most: int = 5) -> tuple[list[float], str]:
    """Tick positions (seconds since the epoch, UTC) on calendar boundaries, and their strftime format."""
    span = max(high - low, 1.0)
    if span >= 2 * 365 * _DAY:
        years = max(1, math.ceil(span / (365.25 * _DAY) / max(1, most - 1)))
        years = next(step for step in (1, 2, 5, 10, 20, 50, 100, years) if step >= years)
        start = datetime.fromtimestamp(low, timezone.utc).year
        return _calendar(low, high, [(year, 1) for year in range(start, start + 10_000, years)]), "%Y"
    if span >= 60 * _DAY:
        months = max(1, math.ceil(span / (30.44 * _DAY) / max(1, most - 1)))
        months = next(step for step in (1, 2, 3, 6, 12) if step >= months)
        begin = datetime.fromtimestamp(low, timezone.utc)
        start = begin.year * 12 + begin.month - 1
        pairs = [(index // 12, index % 12 + 1) for index in range(start, start + 1200, months)]
        return _calendar(low, high, pairs), "%Y-%m"
    raw = span / max(1, most - 1)
    step = next((candidate for candidate in _TIME_STEPS if candidate >= raw), 28 * _DAY)
    first = math.ceil(low / step) * step
    ticks = [float(first + index * step) for index in range(int((high - first) // step) + 1)]
    fmt = "%Y-%m-%d" if step >= _DAY else ("%m-%d %H:%M" if span > _DAY else "%H:%M:%S" if step < 60 else "%H:%M")
    return ticks, fmt


def _calendar(low: float, high: float, year_months: list[tuple[int, int]]) -> list[float]:
    ticks = []
    for year, month in year_months:
        if year > 9999:
            break
        moment = datetime(year, month, 1, tzinfo=timezone.utc).timestamp()
        if moment > high:
            break
        if moment >= low:
            ticks.append(moment)
    return ticks


def time_label(value: float, fmt: str) -> str:
    return datetime.fromtimestamp(value, timezone.utc).strftime(fmt)
