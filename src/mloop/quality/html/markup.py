"""Safe HTML building: a `Html` string is markup already escaped (inserted as is); anything else
is escaped where it is inserted, so a user string can never become markup."""

from __future__ import annotations

import html
from collections.abc import Iterable


class Html(str):
    """Markup that is safe to insert as is."""

    __slots__ = ()


def escape(value: object) -> Html:
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def join(parts: Iterable[object], separator: str = "") -> Html:
    return Html(escape(separator).join(escape(part) for part in parts))


def attributes(**values: object) -> Html:
    """` name="value"` pairs, escaped; a None or False value is left out, True is a bare name.
    A trailing underscore is dropped (`class_`) and other underscores become dashes (`data_sort`)."""
    out = []
    for key, value in values.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        out.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    return Html("".join(out))


def element(tag: str, content: object = "", **values: object) -> Html:
    return Html(f"<{tag}{attributes(**values)}>{escape(content)}</{tag}>")
