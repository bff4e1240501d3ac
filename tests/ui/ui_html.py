"""Reading served pages in tests: the start tags of a page (stdlib html.parser), picked by tag,
class and attributes, and the text inside an element with an id."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def tags(html: str, tag: str, cls: str | None = None, **attrs: str) -> list[dict[str, str]]:
    """Attributes of every `tag` whose class list has `cls` and whose attributes equal `attrs`
    (write data_run for data-run)."""
    parser = _Tags()
    parser.feed(html)
    wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
    return [found for name, found in parser.found if name == tag
            and (cls is None or cls in found.get("class", "").split())
            and all(found.get(key) == value for key, value in wanted.items())]


def section(html: str, element_id: str) -> str:
    """The markup from the element with `element_id` to the end of the next element closing it (same tag)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"', html)
    assert match, f"no element with id {element_id!r}"
    tag, depth, position = match.group(1), 0, match.start()
    for piece in re.finditer(rf"<(/?){tag}\b[^>]*>", html[position:]):
        depth += -1 if piece.group(1) else 1
        if depth == 0:
            return html[position:position + piece.end()]
    return html[position:]
