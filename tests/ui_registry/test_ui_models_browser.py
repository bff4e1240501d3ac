"""The registry, artifact, deployment, feature and report pages in headless chromium, as a person
clicks through them; screenshots go to $MLOOP_SCREENSHOTS (default: the test's tmp_path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _clean(events: Any, page: Any) -> None:
    """No script error, and no failed request but the browser's own favicon probe (no page asks
    for one; the 404 it gets is the one console error chromium logs for it)."""
    assert events.page_errors == []
    failed = page.evaluate("() => performance.getEntriesByType('resource').filter(e => e.responseStatus >= 400)"
                           ".map(e => e.name)")
    assert failed == []
    assert all("404" in message for message in events.console_errors)


def test_open_models_click_into_one_and_see_aliases_and_a_blessing_report(
        server: str, browser_page: Any, page_events: Any, screenshots: Path) -> None:
    page = browser_page
    page.goto(f"{server}/models")
    page.click("table.models a:text('uifraud')")
    page.wait_for_url(f"{server}/models/uifraud")

    assert page.locator(".alias-card .label:not(.moved)").all_inner_texts() == ["champion"]
    assert page.locator(".alias-card .moved").inner_text().startswith("by ")  # who moved it, and when
    assert page.locator(".alias-card .value").inner_text() == "uifraud/1"
    reports = page.locator(".blessing-report")
    assert reports.count() == 2
    assert "uifraud/2 is not blessed" in reports.first.locator(".summary").inner_text()
    assert "val_auc" in reports.first.locator("table.rules").inner_text()
    page.screenshot(path=str(screenshots / "model.png"), full_page=True)
    _clean(page_events, page)


def test_an_artifact_page_draws_the_lineage_svg_and_the_table_head(
        server: str, built: dict[str, Any], browser_page: Any, page_events: Any, screenshots: Path) -> None:
    page = browser_page
    page.goto(f"{server}/artifacts/{built['table_id']}")

    graph = page.locator(".lineage svg.graph")
    assert graph.is_visible()
    kinds = set(graph.locator("g.node").evaluate_all("nodes => nodes.map(n => n.getAttribute('class'))"))
    assert {"node step", "node model", "node deployment"} <= kinds
    assert page.locator("table.preview tbody tr").first.locator("td").first.inner_text() == "t00000"
    page.screenshot(path=str(screenshots / "artifact.png"), full_page=True)
    page.locator(".lineage g.node[data-node='model:uifraud/1']").click()  # the model version node links to its card
    page.wait_for_url(f"{server}/models/uifraud/1")
    assert page.locator("table.signature").is_visible()
    _clean(page_events, page)


def test_the_deployments_page_lists_the_deployment_and_its_page_shows_traffic(
        server: str, built: dict[str, Any], browser_page: Any, page_events: Any, screenshots: Path) -> None:
    page = browser_page
    page.goto(f"{server}/deployments")
    assert "90% primary · 10% canary" in page.locator("table.deployments td.traffic").inner_text()
    page.screenshot(path=str(screenshots / "deployments.png"), full_page=True)
    page.click(f"a:text('{built['deployment_id'][:12]}')")
    assert page.locator(".live .requests").inner_text() == "90"
    assert page.locator("svg.chart").is_visible()
    assert page.locator("table.swaps tr.event-swap").count() == 1
    _clean(page_events, page)


def test_the_features_page_marks_the_stale_view(server: str, browser_page: Any, page_events: Any,
                                                screenshots: Path) -> None:
    page = browser_page
    page.goto(f"{server}/features")
    assert page.locator(".feature-view[data-view='customer_history'] .freshness").inner_text() == "stale"
    assert page.locator(".feature-view[data-view='customer_stats'] .freshness").inner_text() == "fresh"
    page.screenshot(path=str(screenshots / "features.png"), full_page=True)
    _clean(page_events, page)


def test_a_drift_report_opens_inline_in_a_sandboxed_frame(
        server: str, built: dict[str, Any], browser_page: Any, page_events: Any, screenshots: Path) -> None:
    page = browser_page
    page.goto(f"{server}/artifacts/{built['report_id']}")
    page.click("a.open-report")
    page.wait_for_url(f"{server}/reports/{built['report_id']}/view")

    frame = page.frame_locator("iframe.report")
    assert "drift" in frame.locator("body").inner_text().lower()
    assert page.locator("iframe.report").get_attribute("sandbox") == "allow-scripts"
    page.screenshot(path=str(screenshots / "report.png"), full_page=True)
    _clean(page_events, page)
