"""Headless chromium through the runs and monitor pages as a user takes them: search the runs,
click into one, see its DAG and metric charts, compare runs, open a monitor and resolve an alert.
Screenshots go to $MLOOP_SCREENSHOTS (default: the test's tmp_path)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from ui_workspace import UiWorld


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MLOOP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _clean(events: Any) -> None:
    assert events.console_errors == [] and events.page_errors == [], [u for u in events.requests if "static" not in u]


def test_search_runs_open_one_and_compare(ui_world: UiWorld, browser_page: Any, page_events: Any, shots: Path) -> None:
    page = browser_page
    page.goto(f"{ui_world.url}/runs")
    assert page.locator("#runs tbody tr").count() == 5
    page.fill("input[name=q]", "params.lr = 0.1 and status = 'succeeded'")
    page.click("#run-search button[type=submit]")
    page.wait_for_url("**/runs?q=*")
    listed = page.locator("#runs tbody tr").evaluate_all("rows => rows.map(r => r.dataset.run)")
    assert sorted(listed) == sorted([ui_world.first, ui_world.cached])
    page.goto(f"{ui_world.url}/runs")
    page.screenshot(path=str(shots / "runs.png"), full_page=True)

    page.click(f"#runs a[href='/runs/{ui_world.first}']")
    page.wait_for_url(f"**/runs/{ui_world.first}")
    nodes = page.locator("#dag svg.graph g.node")
    assert nodes.count() == 4
    assert page.locator("#dag g.node.succeeded").count() == 4
    assert page.locator("#metric-charts svg.chart").count() == 2  # auc and loss
    assert page.locator("#metric-charts path.series").count() == 1  # loss has 5 points; auc one dot
    page.click("#dag a[href='#step-train']")
    assert page.evaluate("location.hash") == "#step-train"
    assert page.locator("#step-prepare pre.log").inner_text().strip().endswith("prepare line 59")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "run.png"), full_page=True)

    page.goto(f"{ui_world.url}/runs")
    for run_id in ui_world.compared:
        page.check(f"input[name=runs][value='{run_id}']")
    page.click("#compare-form button[type=submit]")
    page.wait_for_url("**/compare?*")
    assert page.locator("#compare thead th a.id").count() == 3
    assert page.locator("#overlay-chart path.series").count() == 3
    assert page.locator("#parallel-chart path.pc-line").count() == 3
    assert page.locator("#scatter-chart circle").count() == 3
    assert page.locator("#compare tr[data-field='params.lr'] td.differs").count() == 3
    page.screenshot(path=str(shots / "compare.png"), full_page=True)
    _clean(page_events)


def test_monitor_page_and_resolving_an_alert(ui_world: UiWorld, browser_page: Any, page_events: Any,
                                             shots: Path) -> None:
    page = browser_page
    page.goto(f"{ui_world.url}/monitors")
    page.click("#monitors a[href='/monitors/fraud-volume']")
    page.wait_for_url("**/monitors/fraud-volume")
    main = page.locator("#monitor-charts svg.chart").first
    assert main.locator("circle").count() == 5  # one measurement per run of the monitor
    assert main.locator("line.threshold").count() == 1
    assert page.locator("#monitor-alerts tbody tr").count() == 2
    page.screenshot(path=str(shots / "monitor.png"), full_page=True)

    page.goto(f"{ui_world.url}/alerts")
    assert page.locator(f"#open-alerts tr[data-alert='{ui_world.open_alert}']").count() == 1
    page.click(f"#alert-{ui_world.open_alert} form.resolve button")
    page.wait_for_load_state()
    assert page.locator(f"#open-alerts tr[data-alert='{ui_world.open_alert}']").count() == 0
    assert page.locator(f"#resolved-alerts tr[data-alert='{ui_world.open_alert}']").count() == 1
    _clean(page_events)
