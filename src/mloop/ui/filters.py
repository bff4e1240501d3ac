"""Jinja filters shared by every page: times, durations, numbers, short ids (never cut in tables)."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any


def when(value: Any) -> str:
    """A timestamp (datetime, epoch seconds or ISO text) as `2026-12-04 16:05:09` (UTC), '' for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):  # ISO 8601 text, as the JSON views of the API hold times
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def duration(seconds: Any) -> str:
    """Seconds as `850 ms`, `12.3 s`, `4m 05s`, `2h 03m`."""
    if seconds is None:
        return ""
    s = float(seconds)
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)}m {int(s % 60):02d}s"
    return f"{int(s // 3600)}h {int(s % 3600 // 60):02d}m"


def num(value: Any, digits: int = 4) -> str:
    """A number with `digits` significant digits (whole numbers from 10**digits up to 1e15 in full);
    ints as they are; '' for none."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if 10 ** digits <= abs(value) < 1e15:  # a large value keeps its digits: 99,999 and 12,346, not 1e+05
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


FILTERS = {"when": when, "duration": duration, "num": num}
