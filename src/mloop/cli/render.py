"""Formatting records for the terminal, and for scripts: full-width text when piped, `--json`."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from rich.console import Console, ConsoleDimensions
from rich.table import Table

#: the width of a line when stdout is not a terminal: never wrap or cut, so `grep` sees whole rows
PIPED_WIDTH = 10_000
#: how many characters of an id a terminal table shows (a unique prefix is accepted as input)
ID_PREFIX = 12


class OutConsole(Console):
    """A console that uses the terminal's width, or, when its output is not a terminal, lines as
    long as their content: tables keep every id and name whole."""

    @property
    def piped(self) -> bool:
        isatty = getattr(self.file, "isatty", None)
        try:
            return not (isatty is not None and isatty())
        except ValueError:  # a closed stream
            return True

    @property  # type: ignore[misc]
    def size(self) -> ConsoleDimensions:
        size = super().size
        return ConsoleDimensions(PIPED_WIDTH, size.height) if self.piped else size


def out_console() -> OutConsole:
    return OutConsole(highlight=False)


def run_id(console: Console, value: str) -> str:
    """A run (or alert) id as a table shows it: a prefix in a terminal (any unique prefix of 4+ is
    accepted back), whole when piped (for scripts)."""
    return value if getattr(console, "piped", True) else value[:ID_PREFIX]


def print_json(data: Any) -> None:
    """One JSON document on stdout: times in ISO 8601, NaN as null."""
    sys.stdout.write(json.dumps(_plain(data), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp (NaT compares unequal to itself)
        return None if value != value else value.to_pydatetime().isoformat()
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        return _plain(value.item())
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)

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


def duration(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start and end else None


def escape(text: str) -> str:
    from rich.markup import escape as escape_markup

    return escape_markup(text)


@dataclass
class Column:
    """A table column. `fixed` columns (ids, names, statuses, numbers) are never cut or wrapped;
    the others wrap (folding long words). When a terminal is too narrow, columns are left out,
    highest `drop` first (0: never)."""

    header: str
    fixed: bool = True
    drop: int = 0
    justify: Literal["left", "right"] = "left"
    min_width: int = 12


def fit_table(console: Console, columns: list[Column], rows: list[list[str]], **options: Any) -> tuple[Table, list[str]]:
    """A table of `rows` that fits the console without cutting a fixed cell, and the headers of
    the columns left out to make it fit (none when piped: lines are then as long as needed)."""
    natural = [max([cell_width(c.header), *(cell_width(row[i]) for row in rows)]) for i, c in enumerate(columns)]
    shown = list(range(len(columns)))

    def needed(indexes: list[int]) -> int:
        return 1 + sum(3 + (natural[i] if columns[i].fixed else min(natural[i], columns[i].min_width)) for i in indexes)

    for index in sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: (-columns[i].drop, -i)):
        if needed(shown) <= console.width:
            break
        shown.remove(index)
    widths: dict[int, int] = {}
    flexible = [i for i in shown if not columns[i].fixed]
    if not getattr(console, "piped", False) and flexible:
        spare = console.width - needed([i for i in shown if columns[i].fixed]) - 3 * len(flexible)
        for position, i in enumerate(flexible):  # share what is left, in order, each at least its minimum
            share = spare // (len(flexible) - position)
            widths[i] = max(min(columns[i].min_width, natural[i]), min(natural[i], share))
            spare -= widths[i]
    table = Table(**options)
    fits = needed(shown) <= console.width or getattr(console, "piped", False)
    for i in shown:
        column = columns[i]
        table.add_column(escape(column.header), justify=column.justify, no_wrap=column.fixed and fits,
                         overflow="fold", width=widths.get(i))
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    return table, [columns[i].header for i in range(len(columns)) if i not in shown]


def cell_width(markup: str) -> int:
    from rich.text import Text

    return max((Text.from_markup(line).cell_len for line in markup.splitlines() or [""]), default=0)


def hidden_note(hidden: list[str]) -> str:
    return (f"{len(hidden)} column(s) left out at this width ({', '.join(hidden)}); "
            "see them with a wider terminal, piped, or with --json") if hidden else ""
