"""Rendering a page: one Jinja2 environment (autoescape on), the base layout, the response headers
every page carries (a Content-Security-Policy that allows only this server's own scripts and styles)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from mloop.ui import TEMPLATES_DIR

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
NAV = (("Runs", "/runs"), ("Pipelines", "/pipelines"), ("Models", "/models"), ("Features", "/features"),
       ("Deployments", "/deployments"), ("Monitors", "/monitors"), ("Alerts", "/alerts"),
       ("Schedules", "/schedules"))


@lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    from mloop.ui import filters

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters.update(filters.FILTERS)
    env.globals["nav"] = NAV
    return env


def render(request: Any, template: str, *, status_code: int = 200, **context: Any) -> Any:
    """The HTML response of `template` with `context`; `request` gives the current path (nav) and
    the principal and CSRF token set by mloop.server.security on `request.state`, if any."""
    from fastapi.responses import HTMLResponse

    from mloop import __version__

    state = request.state
    html = environment().get_template(template).render(
        request=request, path=request.url.path, version=__version__,
        principal=getattr(state, "principal", None), csrf_token=getattr(state, "csrf_token", ""), **context)
    return HTMLResponse(html, status_code=status_code, headers={"Content-Security-Policy": CSP,
                                                                "X-Content-Type-Options": "nosniff",
                                                                "Referrer-Policy": "same-origin"})
