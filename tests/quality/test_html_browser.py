"""The three HTML reports as a person sees them in headless chromium: the verdict banner and its
colour, the charts drawn with the right number of bars, a table that sorts when its header is
clicked, nothing fetched, no console error, a hostile column name shown as text.

MLOOP_UPDATE_DOCS_IMAGES=1 also writes docs/images/{validation,drift}-report.png for the README."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from html_examples import SCRIPT_NAME, drift_report, profile_report, validation_report, wide_drift_report

from browser import PageEvents
from mloop.quality.html import render_drift, render_profile, render_validation, write_html

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


@pytest.fixture(scope="module")
def report_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reports")
    return {
        "validation": write_html(folder / "validation.html", render_validation(validation_report())),
        "profile": write_html(folder / "profile.html", render_profile(profile_report())),
        "drift": write_html(folder / "drift.html", render_drift(drift_report())),
    }


def _rgb(css: str) -> tuple[int, int, int]:
    found = re.match(r"rgba?\((\d+), (\d+), (\d+)", css)
    assert found, css
    return int(found[1]), int(found[2]), int(found[3])


def _luminance(rgb: tuple[int, int, int]) -> float:
    channels = [c / 255 for c in rgb]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _open(page: Any, path: Path) -> str:
    url = path.as_uri()
    page.goto(url)
    return url


def _banner(page: Any) -> tuple[str, tuple[int, int, int], tuple[int, int, int]]:
    banner = page.locator(".verdict")
    styles = banner.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]")
    return banner.inner_text(), _rgb(styles[0]), _rgb(styles[1])


def _assert_clean(events: PageEvents, url: str) -> None:
    assert events.requests == [url]  # the file itself, nothing from the network or disk
    assert events.console_errors == []
    assert events.page_errors == []
    assert events.dialogs == []


def _open_all_details(page: Any) -> None:
    closed = page.locator("details.item:not([open]) > summary")
    while closed.count():
        closed.first.click()


def _chart_boxes(page: Any) -> list[dict[str, float]]:
    return page.eval_on_selector_all("svg.chart", "charts => charts.map(c => c.getBoundingClientRect().toJSON())")


def _subpaths(page: Any, selector: str) -> int:
    return page.locator(selector).get_attribute("d").count("M")


def _screenshot(page: Any, tmp_path: Path, name: str, docs: bool) -> Path:
    shot = page.screenshot(path=tmp_path / f"{name}.png", full_page=True)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    if docs and os.environ.get("MLOOP_UPDATE_DOCS_IMAGES") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=DOCS_IMAGES / f"{name}.png", full_page=True)
    return tmp_path / f"{name}.png"


def test_validation_report_in_the_browser(browser_page: Any, page_events: PageEvents, report_files: dict[str, Path],
                                          tmp_path: Path) -> None:
    page = browser_page
    url = _open(page, report_files["validation"])
    text, background, color = _banner(page)
    assert "Validation failed" in text and "2 of 7 checks failed" in text
    assert background[0] > background[1] + 20 and background[0] > background[2] + 20  # red
    assert _contrast(background, color) >= 4.5
    # the failed checks come first, the error before the warning
    assert page.locator(".finding h3").all_inner_texts() == ["amount_in_range", "country_known"]
    sample = page.locator(".finding").first.locator("details.sample")
    assert not sample.locator("table").is_visible()
    sample.locator("summary").click()
    assert sample.locator("tbody tr").count() == 5
    assert "-12.5" in sample.locator("tbody").inner_text()
    # the hostile column name is text, not a script
    assert page.get_by_text(SCRIPT_NAME, exact=True).count() == 1
    assert page.evaluate("document.scripts.length") == 1
    _screenshot(page, tmp_path, "validation-report", docs=True)
    _assert_clean(page_events, url)


def test_a_table_sorts_when_its_header_is_clicked(browser_page: Any, page_events: PageEvents,
                                                  report_files: dict[str, Path]) -> None:
    page = browser_page
    url = _open(page, report_files["validation"])
    table = page.locator("#checks-table")

    def column(index: int) -> list[str]:
        return table.locator(f"tbody tr td:nth-child({index})").all_inner_texts()

    table.get_by_role("button", name="Failing rows").click()
    assert column(8) == ["0", "0", "0", "37", "212", "—", "—"]  # numeric order, missing values last
    assert table.locator("th", has_text="Failing rows").get_attribute("aria-sort") == "ascending"
    table.get_by_role("button", name="Failing rows").click()
    assert column(8) == ["212", "37", "0", "0", "0", "—", "—"]
    table.get_by_role("button", name="Check").click()
    assert column(2) == sorted(column(2))
    _assert_clean(page_events, url)


def test_drift_report_in_the_browser(browser_page: Any, page_events: PageEvents, report_files: dict[str, Path],
                                     tmp_path: Path) -> None:
    page = browser_page
    url = _open(page, report_files["drift"])
    text, background, color = _banner(page)
    assert "Drift detected" in text and "2 of 5 compared columns drifted (40%)" in text
    assert background[0] > background[2] + 40 and background[1] > background[2]  # orange, not red or green
    assert _contrast(background, color) >= 4.5
    # drifted columns first in the table, their details open with their charts drawn
    names = page.locator("#columns-table tbody tr td:nth-child(2)").all_inner_texts()
    assert names[:2] == ["country", "age"]
    assert page.locator("details.item[open]").count() == 2
    _screenshot(page, tmp_path, "drift-report", docs=True)
    _open_all_details(page)
    boxes = _chart_boxes(page)
    assert len(boxes) == 5
    assert all(box["width"] > 200 and box["height"] > 100 for box in boxes)
    report = drift_report()
    age = report["columns"][0]
    age_chart = "#col-0 svg.chart"
    assert _subpaths(page, f"{age_chart} path.bars.ref") == sum(1 for c in age["reference_histogram"]["counts"] if c)
    assert _subpaths(page, f"{age_chart} path.bars.cur") == sum(1 for c in age["current_histogram"]["counts"] if c)
    bars_box = page.locator(f"{age_chart} path.bars.cur").bounding_box()
    assert bars_box["width"] > 100 and bars_box["height"] > 50
    assert page.locator(f"{age_chart} .axis.x text").count() >= 3
    assert page.locator(f"{age_chart} .legend text").all_text_contents() == ["reference", "current"]
    # the categorical column: one bar per category and series, BR marked new
    country = page.locator("#col-1 svg.chart")
    assert country.locator(".series.ref rect").count() == 5 and country.locator(".series.cur rect").count() == 5
    assert "BR new" in country.locator(".labels").text_content()
    assert page.get_by_text(SCRIPT_NAME, exact=True).count() == 3  # table, details title, chart axis
    assert page.locator(".verdict").inner_text() == text
    _assert_clean(page_events, url)


def test_profile_report_in_the_browser(browser_page: Any, page_events: PageEvents, report_files: dict[str, Path],
                                       tmp_path: Path) -> None:
    page = browser_page
    url = _open(page, report_files["profile"])
    text, background, color = _banner(page)
    assert "Profile of customers.parquet" in text and "20,000 rows × 6 columns" in text
    assert background[2] > background[0]  # blue: information, not a verdict
    assert _contrast(background, color) >= 4.5
    assert page.locator("details.item").count() == 6
    _open_all_details(page)
    boxes = _chart_boxes(page)
    assert len(boxes) == 5  # notes has no distribution
    assert all(box["width"] > 200 and box["height"] > 50 for box in boxes)
    age = profile_report()["columns"][0]
    assert _subpaths(page, "#col-0 path.bars.one") == sum(1 for c in age["histogram"]["counts"] if c)
    assert page.locator("#col-2 svg.chart .series.one rect").count() == 5  # DE FR IT ES NL
    assert "2025" in page.locator("#col-3 .axis.x").text_content()  # datetime axis labelled with dates
    _screenshot(page, tmp_path, "profile-report", docs=False)
    _assert_clean(page_events, url)


@pytest.mark.parametrize("name", ["validation", "drift", "profile"])
def test_reports_read_in_the_dark_and_print_light(browser_page: Any, page_events: PageEvents,
                                                  report_files: dict[str, Path], name: str) -> None:
    page = browser_page
    page.emulate_media(color_scheme="dark")
    url = _open(page, report_files[name])
    body = page.evaluate("[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]")
    assert _luminance(_rgb(body[0])) < 0.05 and _contrast(_rgb(body[0]), _rgb(body[1])) >= 7
    _, background, color = _banner(page)
    assert _contrast(background, color) >= 4.5
    page.emulate_media(media="print")
    paper = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert _rgb(paper) == (255, 255, 255)
    _assert_clean(page_events, url)


def test_the_filter_box_hides_other_columns(browser_page: Any, page_events: PageEvents, tmp_path: Path) -> None:
    page = browser_page
    url = _open(page, write_html(tmp_path / "wide.html", render_drift(wide_drift_report(40))))
    rows = page.locator("#columns-table tbody tr")
    assert rows.count() == 40
    page.get_by_placeholder("name contains…").fill("feature_1")
    visible = page.locator("#columns-table tbody tr:visible td:nth-child(2)").all_inner_texts()
    assert sorted(visible) == sorted(f"feature_{i}" for i in [1, 10, 11, 12, 13, 15, 16, 17, 18])
    # a link in the table opens that column's details
    page.get_by_role("link", name="feature_13", exact=True).click()
    assert page.locator("#col-13").get_attribute("open") is not None
    _assert_clean(page_events, url)
