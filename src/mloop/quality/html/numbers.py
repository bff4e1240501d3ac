"""How numbers, shares, times and JSON values read on a report: thousands separators, four
significant digits, a dash for a missing value."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from typing import Any

MISSING = "—"
_EXPONENT = re.compile(r"e([+-])0*(\d)")


def number(value: Any) -> str:
    """`1,234,567`, `1,235`, `0.01235`, `3.1e-7`: integers in full, other numbers to four significant
    digits (never fewer than the integer part), tiny and huge ones in scientific notation."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    size = abs(value)
    if size == 0:
        return "0"
    if size < 1e-4 or size >= 1e15:
        return _EXPONENT.sub(lambda m: "e" + ("-" if m[1] == "-" else "") + m[2], f"{value:.3g}")
    decimals = max(0, 3 - math.floor(math.log10(size)))
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(share: Any) -> str:
    """A share in [0, 1] as `12.3%`, `0.42%`, `<0.01%`, `100%`."""
    if share is None or not isinstance(share, (int, float)) or math.isnan(share):
        return MISSING
    value = float(share) * 100
    if value == 0:
        return "0%"
    if 0 < abs(value) < 0.01:
        return "<0.01%"
    text = f"{value:.1f}" if abs(value) >= 1 else f"{value:.2f}"
    return text.rstrip("0").rstrip(".") + "%"


def timestamp(value: Any) -> str:
    """A datetime or ISO string as `2025-06-01 14:03:12 UTC`; anything else as its text."""
    if value is None or value == "":
        return MISSING
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if not isinstance(moment, datetime):
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def moment_text(value: Any) -> Any:
    """An ISO datetime string as `2024-05-01` (midnight) or `2024-05-01 13:05:00`; other values as they are."""
    if not isinstance(value, str) or len(value) < 10 or value[4:5] != "-":
        return value
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None and (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return moment.strftime("%Y-%m-%d")
    return timestamp(moment)


def value_text(value: Any, *, limit: int = 160) -> str:
    """Any JSON value in one short line: numbers formatted, lists and objects inline, long text cut."""
    if isinstance(value, str):
        text = value
    elif value is None or isinstance(value, (bool, int, float)):
        text = number(value)
    elif isinstance(value, dict):
        text = ", ".join(f"{key}: {value_text(item, limit=limit)}" for key, item in value.items())
    elif isinstance(value, (list, tuple)):
        shown = ", ".join(value_text(item, limit=limit) for item in value[:12])
        more = f", … +{len(value) - 12:,} more" if len(value) > 12 else ""
        text = f"[{shown}{more}]"
    else:
        try:
            text = json.dumps(value, default=str)
        except (TypeError, ValueError):
            text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sort_key(value: Any) -> str | None:
    """The `data-sort` value of a numeric cell (None when the value is not a finite number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return repr(value) if math.isfinite(value) else None


def counted(amount: int, noun: str, plural: str = "") -> str:
    """`1 check`, `2,048 checks`."""
    return f"{amount:,} {noun if amount == 1 else plural or noun + 's'}"
