"""The web UI: server-rendered pages (Jinja2 templates, autoescaped) with static CSS/JS shipped in
the package, so nothing is built at install. Pages call the public API only; charts and graphs are
inline SVG drawn on the server (mloop.ui.charts, mloop.ui.graph), the small scripts only add
hover details and sorting."""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"
