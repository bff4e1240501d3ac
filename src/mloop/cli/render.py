"""Formatting records for the terminal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

STATUS_STYLE = {
    "succeeded": "green", "cached": "cyan", "running": "yellow", "pending": "dim", "failed": "red",
    "skipped": "dim", "interrupted": "magenta", "retrying": "yellow",
}


def status(value: str) -> str:
    return f"[{STATUS_STYLE.get(value, 'white')}]{value}[/]"


def when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else ""


def seconds(value: float | None) -> str:
    if value is None:
        return ""
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.1f} s"
    return f"{value / 60:.1f} min"


def size(value: int) -> str:
    step = 1024.0
    number = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if number < step:
            return f"{number:.0f} {unit}" if unit == "B" else f"{number:.1f} {unit}"
        number /= step
    return f"{number:.1f} TiB"


def short(value: Any, width: int = 12) -> str:
    return str(value)[:width] if value else ""


def summary(data: dict[str, Any]) -> str:
    from rich.markup import escape

    return escape(_summary(data))


def _summary(data: dict[str, Any]) -> str:
    if "shape" in data:
        columns = data.get("columns") or {}
        names = ", ".join(list(columns)[:3]) + (", …" if len(columns) > 3 else "")
        return f"{data['shape'][0]}×{data['shape'][1]}" + (f" [{names}]" if names else "")
    if "value" in data:
        return repr(data["value"])
    if "estimator" in data:
        return str(data["estimator"])
    return ", ".join(f"{k}={v}" for k, v in list(data.items())[:3])
