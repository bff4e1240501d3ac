"""Headless Debian chromium for tests, driven by Playwright without a browser download. The root
conftest loads this module as a plugin, so every test can ask for its fixtures:

    def test_page(browser_page, page_events):
        browser_page.goto(url)
        assert page_events.console_errors == []

`chromium` (session) is the browser; `browser_page` a fresh page (1280×900, light scheme) in a
context of its own; `page_events` what that page requested, logged as errors and raised, and the
dialogs it opened (dismissed). Without chromium or Playwright the tests are skipped locally and
fail when CI=true: `scripts/services.sh` installs chromium (apt-get install chromium).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

CHROMIUM = os.environ.get("MLOOP_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 900}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class PageEvents:
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("playwright is not installed; install the dev extras: pip install -e '.[dev]'")
    if not os.path.exists(CHROMIUM):
        _unavailable(f"chromium is not installed at {CHROMIUM}; install it with: apt-get install -y chromium "
                     "(or run scripts/services.sh as root)")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        except Error as exc:
            _unavailable(f"chromium at {CHROMIUM} does not start: {str(exc).splitlines()[0]}")
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport=VIEWPORT, device_scale_factor=1, color_scheme="light")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def page_events(browser_page: Any) -> PageEvents:
    events = PageEvents()
    browser_page.on("request", lambda request: events.requests.append(request.url))
    browser_page.on("console", lambda message: events.console_errors.append(message.text)
                    if message.type == "error" else None)
    browser_page.on("pageerror", lambda error: events.page_errors.append(str(error)))

    def dismiss(dialog: Any) -> None:
        events.dialogs.append(dialog.message)
        dialog.dismiss()

    browser_page.on("dialog", dismiss)
    return events
