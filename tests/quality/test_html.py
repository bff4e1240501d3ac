"""The HTML reports without a browser: every user string escaped, nothing fetched, one section per
column, the failing things first, numbers formatted, 1,000 columns within the size budget."""

from __future__ import annotations

import re
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest
from html_examples import (
    SCRIPT_NAME,
    drift_report,
    profile_report,
    validation_report,
    wide_drift_report,
    wide_profile_report,
)

from mloop.core.errors import ValidationError
from mloop.quality.html import (
    Series,
    category_bars,
    histogram,
    render_drift,
    render_profile,
    render_validation,
    write_html,
)
from mloop.quality.html.numbers import number, percent

RENDERERS = {"validation": (render_validation, validation_report), "profile": (render_profile, profile_report),
             "drift": (render_drift, drift_report)}
EXTERNAL = re.compile(r"""(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""",
                      re.IGNORECASE)


@pytest.fixture(params=sorted(RENDERERS))
def rendered(request: pytest.FixtureRequest) -> str:
    render, example = RENDERERS[request.param]
    return render(example())


def test_user_strings_are_escaped(rendered: str) -> None:
    assert SCRIPT_NAME not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert rendered.count("<script>") == 1  # the page's own small script
    assert "<b>yes</b>" not in rendered


def test_reports_are_self_contained(rendered: str) -> None:
    assert EXTERNAL.search(rendered) is None
    assert "<link" not in rendered and "<img" not in rendered and "<iframe" not in rendered
    assert "Content-Security-Policy" in rendered and "default-src 'none'" in rendered
    assert rendered.startswith("<!DOCTYPE html>")


def test_the_header_names_the_times_and_the_version() -> None:
    html = render_validation(validation_report(), generated_at=datetime(2025, 6, 3, 8, 0, tzinfo=timezone.utc))
    assert "created 2025-06-02 09:15:00 UTC · rendered 2025-06-03 08:00:00 UTC · mloop " in html


def test_a_validation_report_puts_the_failed_checks_first() -> None:
    html = render_validation(validation_report())
    assert 'data-state="failed"' in html and "Validation failed" in html
    findings = re.findall(r'<article class="finding( warned)?"><header>.*?<h3>(.*?)</h3>', html)
    assert findings == [("", "amount_in_range"), (" warned", "country_known")]
    table_rows = re.findall(r'<tr(?: class="\w+")?><td data-sort="(\d)"', html)
    assert table_rows == ["0", "1", "2", "2", "2", "2", "2"]
    assert "37 of 48,213 (0.08%)" in html  # failing rows with their share
    assert "min: -12.5, max: 18,250" in html


def test_a_validation_verdict_follows_the_checks() -> None:
    report = validation_report()
    report["checks"] = [check for check in report["checks"] if check["severity"] == "warn"]
    report["passed"] = True
    assert "Passed with warnings" in render_validation(report)
    report["checks"] = [check for check in report["checks"] if check["passed"]]
    html = render_validation(report)
    assert 'data-state="passed"' in html and "All 1 check passed." in html


def test_one_detail_section_per_column() -> None:
    profile = render_profile(profile_report())
    assert re.findall(r'<details class="item" id="(col-\d+)"', profile) == [f"col-{i}" for i in range(6)]
    drift = render_drift(drift_report())
    # drifted columns first, furthest past their threshold first
    assert re.findall(r'<details class="item" id="(col-\d+)"', drift) == ["col-1", "col-0", "col-3", "col-2", "col-4"]
    assert drift.count("<details class=\"item\" id=\"col-1\" open>") == 1


def test_a_drift_report_names_schema_changes_and_new_categories() -> None:
    html = render_drift(drift_report())
    assert "Missing in current:</b> legacy_score" in html and "New in current:</b> promo_code" in html
    assert '<tspan class="tag new"> new</tspan>' in html
    report = drift_report()
    for column in report["columns"]:
        column["drifted"] = False
    report.update(drifted=False, drifted_columns=0, share=0.0)
    assert "No drift detected" in render_drift(report)


@pytest.mark.parametrize(("report", "render", "budget"), [
    (wide_drift_report, render_drift, 4_000_000), (wide_profile_report, render_profile, 3_500_000)])
def test_a_thousand_columns_stay_within_the_size_budget(report, render, budget) -> None:  # type: ignore[no-untyped-def]
    html = render(report(1000, bins=20))
    assert len(html.encode()) < budget
    assert html.count('<details class="item"') == 1000
    assert html.count('<svg class="spark"') == 1000


def test_bad_input_is_one_line_naming_the_gap() -> None:
    with pytest.raises(ValidationError, match=r"the drift report has no 'columns'; pass the report's to_dict\(\)"):
        render_drift({"title": "x"})
    with pytest.raises(ValidationError, match=r"checks\[1\] has no 'name', 'passed'"):
        render_validation({"checks": [{"name": "a", "passed": True}, {}]})
    with pytest.raises(ValidationError, match="must be a dict, not list"):
        render_profile([])


def test_numbers_read_well() -> None:
    assert [number(v) for v in (1234567, 12345.678, 0.012345, 3e-12, 5.0, None, float("nan"))] == \
        ["1,234,567", "12,346", "0.01235", "3e-12", "5", "—", "NaN"]
    assert [percent(v) for v in (0.123, 0.0042, 1, 0.00001, 0)] == ["12.3%", "0.42%", "100%", "<0.01%", "0%"]


def test_a_histogram_draws_one_bar_per_non_empty_bin_with_axes() -> None:
    svg = histogram([Series("reference", "ref", [0, 1, 2, 3], [5, 0, 5]), Series("current", "cur", [0, 1, 2, 3], [1, 2, 3])],
                    title="x <b>")
    bars = dict(re.findall(r'<path class="bars (\w+)" d="([^"]*)"', svg))
    assert bars["ref"].count("M") == 2 and bars["cur"].count("M") == 3
    assert "<title>x &lt;b&gt;</title>" in svg and "reference" in svg and "50%" in svg
    # infinite outer edges become one bin width; dates get a time axis
    assert histogram([Series("rows", "one", [float("-inf"), 0, 1, float("inf")], [1, 2, 3])], title="t").count("M") > 3
    dates = histogram([Series("rows", "one", ["2020-01-01", "2022-01-01", "2024-01-01"], [3, 4])], title="t")
    assert ">2020<" in dates and ">2022<" in dates
    assert "No histogram recorded" in histogram([Series("rows", "one", [0, 1], [1, 2])], title="t")


def test_category_bars_show_the_top_values_and_the_rest() -> None:
    shares = {f"v{i}": 0.05 for i in range(20)}
    svg = category_bars([Series("current", "one", shares=shares)], title="t", top=5)
    assert svg.count("<rect") == 6 and "(other)" in svg and "75%" in svg


def test_write_html_replaces_the_file_atomically(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "drift.html"
    write_html(target, "old")
    write_html(target, "<p>new</p>")
    assert target.read_text() == "<p>new</p>"
    assert [path.name for path in target.parent.iterdir()] == ["drift.html"]
    assert target.stat().st_mode & stat.S_IROTH
