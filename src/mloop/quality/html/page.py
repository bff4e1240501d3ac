"""The page shell every report shares: one self-contained HTML document (inline CSS and a small
inline script, a Content-Security-Policy that forbids any fetch), a header with the verdict
banner, key numbers as cards, the report's and the page's times and the mloop version."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from mloop.quality.html.assets import SCRIPT, STYLE
from mloop.quality.html.markup import Html, escape
from mloop.quality.html.numbers import number, timestamp

State = Literal["passed", "failed", "warning", "drifted", "info"]
_TONES = {"passed": ("pass", "✓"), "failed": ("fail", "✗"), "warning": ("warn", "!"), "drifted": ("drift", "≠"),
          "info": ("info", "i")}
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


@dataclass(frozen=True)
class Verdict:
    """The banner under the title: its state sets colour and icon, `headline` says it in words."""

    state: State
    headline: str
    detail: str = ""


@dataclass(frozen=True)
class Card:
    """One key number. `tone` ("fail", "warn", "drift", "pass") marks it as needing attention."""

    label: str
    value: Any
    tone: str = ""
    note: str = ""


@dataclass(frozen=True)
class Section:
    """A titled block of the page; `count` is shown beside the title, `anchor` is its id."""

    title: str
    body: Html
    anchor: str
    count: int | None = None


def page(title: str, subtitle: str, summary_cards: Sequence[Card], sections: Sequence[Section], *,
         verdict: Verdict, kicker: str = "mloop report", summary: str = "", created_at: Any = None,
         generated_at: datetime | None = None) -> Html:
    """One complete HTML document: header (kicker, title, subtitle, times, version), verdict banner,
    summary text, cards, a table of contents, then the sections in order."""
    from mloop import __version__

    generated = timestamp(generated_at or datetime.now(timezone.utc))
    times = f"rendered {generated}"
    if created_at not in (None, ""):
        times = f"created {timestamp(created_at)} · {times}"
    tone, icon = _TONES[verdict.state]
    banner = (f'<div class="verdict {tone}" role="status" data-state="{verdict.state}">'
              f'<span class="icon" aria-hidden="true">{icon}</span><div><strong>{escape(verdict.headline)}</strong>'
              + (f"<p>{escape(verdict.detail)}</p>" if verdict.detail else "") + "</div></div>")
    cards = "".join(
        f'<div class="card {escape(card.tone)}"><div class="label">{escape(card.label)}</div>'
        f'<div class="value">{escape(card.value if isinstance(card.value, str) else number(card.value))}</div>'
        + (f'<div class="note">{escape(card.note)}</div>' if card.note else "") + "</div>"
        for card in summary_cards)
    toc = "".join(f'<a href="#{escape(section.anchor)}">{escape(section.title)}</a>' for section in sections)
    blocks = "".join(
        f'<section class="block" id="{escape(section.anchor)}"><h2>{escape(section.title)}'
        + (f' <span class="count">{number(section.count)}</span>' if section.count is not None else "")
        + f"</h2>{section.body}</section>"
        for section in sections)
    return Html(
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="color-scheme" content="light dark"><meta name="generator" content="mloop {__version__}">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f'<header><p class="kicker">{escape(kicker)}</p><h1>{escape(title)}</h1>'
        + (f'<p class="subtitle">{escape(subtitle)}</p>' if subtitle else "")
        + f'<p class="meta">{escape(times)} · mloop {escape(__version__)}</p></header>'
        f"<main>{banner}"
        + (f'<p class="summary">{escape(summary)}</p>' if summary else "")
        + f'<div class="cards">{cards}</div>'
        + (f'<nav class="toc" aria-label="Sections">{toc}</nav>' if len(sections) > 1 else "")
        + f"{blocks}</main>"
        f"<footer>Made by mloop {escape(__version__)}. This file is self-contained: it loads nothing "
        f"from the network and reads without JavaScript.</footer>"
        f"<script>{SCRIPT}</script></body></html>\n")


def write_html(path: str | os.PathLike[str], html: str) -> Path:
    """Write `html` to `path` atomically (a temporary file in the same folder, then a rename), so a
    reader sees the old page or the new one, never half of one. Returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(html)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a report is for reading
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
