"""Durations written as text: '24h', '7d', '90m', '1d12h' (windows, cooldowns, freshness limits)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)", re.IGNORECASE)
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: Any) -> timedelta:
    """'24h', '7d', '90m', '1d12h', '30s', '2w' or a timedelta."""
    if isinstance(value, timedelta):
        return value
    text = str(value).strip().replace(" ", "")
    if isinstance(value, str) and text and _DURATION.sub("", text) == "":
        seconds = sum(float(n) * _UNITS[unit.lower()] for n, unit in _DURATION.findall(text))
        if seconds > 0:
            return timedelta(seconds=seconds)
    raise ValueError(f"must be a duration with a unit, like '24h', '7d', '90m' or '1d12h', not {value!r}")


def format_duration(value: timedelta) -> str:
    """The shortest text parse_duration reads back: 86400 s -> '1d', 5400 s -> '1h30m'."""
    seconds = value.total_seconds()
    if seconds != int(seconds):
        return f"{seconds:g}s"
    rest, parts = int(seconds), []
    for unit in ("d", "h", "m", "s"):
        count, rest = divmod(rest, _UNITS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
