"""The pages of pipelines, runs, a run, a metric, compare, monitors and alerts as served HTML:
what each must show (and mark) for the workspace of the UI tests, and the error pages."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest
from ui_html import section, tags
from ui_workspace import UiWorld

import mloop
from mloop.ui import run_views


def _runs_listed(html: str) -> list[str]:
    return [row["data-run"] for row in tags(section(html, "runs"), "tr") if "data-run" in row]


def test_pipelines_page(ui_world: UiWorld, api: httpx.Client) -> None:
    html = api.get("/pipelines").text
    [row] = tags(html, "tr", data_pipeline="ui-training")
    assert row
    assert f'href="/runs/{ui_world.failed}"' in section(html, "pipelines")
    assert re.search(r'<td class="num">5</td>', html)


def test_runs_page_searches_filters_sorts_and_pages(ui_world: UiWorld, api: httpx.Client,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    html = api.get("/runs").text
    assert len(_runs_listed(html)) == 5 and '<span class="muted" id="total">5 runs</span>' in html
    assert len(tags(html, "input", type="checkbox", name="runs")) == 5
    assert tags(html, "form", id="compare-form", action="/compare", method="get")
    searched = api.get("/runs", params={"q": "params.model = 'lgbm'"}).text
    assert _runs_listed(searched) == [ui_world.others[0]]
    assert tags(searched, "input", name="q", value="params.model = 'lgbm'")  # the query stays in the box
    assert _runs_listed(api.get("/runs", params={"status": "failed"}).text) == [ui_world.failed]
    by_auc = api.get("/runs", params={"sort": "metrics.auc", "desc": "1"}).text
    assert _runs_listed(by_auc)[:3] == [ui_world.others[1], ui_world.others[0], ui_world.first]
    assert tags(by_auc, "th", aria_sort="descending")

    monkeypatch.setattr(run_views, "PAGE_SIZE", 2)
    second = api.get("/runs", params={"page": 2}).text
    newest_first = _runs_listed(html)
    assert _runs_listed(second) == newest_first[2:4] and "page 2 of 3" in second
    assert tags(second, "a", rel="prev") and tags(second, "a", rel="next")


@pytest.mark.parametrize(("query", "message"), [
    ("metrics.auc >", "metrics.auc >"),
    ("colour = 'red'", "colour"),
    ("params.lr = 0.1 and (", "("),
])
def test_a_bad_search_is_a_400_page_with_the_message(api: httpx.Client, query: str, message: str) -> None:
    response = api.get("/runs", params={"q": query})
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    [line] = re.findall(r'<p class="error-message"[^>]*>(.*?)</p>', response.text)
    assert line and "\n" not in line and mloop.ValidationError.__name__ not in line
    with pytest.raises(mloop.ValidationError) as raised:
        mloop.search_runs(query)
    assert unescape(line) == str(raised.value).splitlines()[0]
    assert tags(response.text, "input", name="q", value=query)  # kept in the box, to be fixed there


def test_run_page_draws_the_dag_steps_logs_and_charts(ui_world: UiWorld, api: httpx.Client) -> None:
    html = api.get(f"/runs/{ui_world.first}").text
    dag = section(html, "dag")
    nodes = tags(dag, "g", cls="node")
    assert [n["data-node"] for n in nodes] == ["load", "prepare", "train", "evaluate"]
    assert all("succeeded" in n["class"].split() for n in nodes)
    assert [a["href"] for a in tags(dag, "a")] == ["#step-load", "#step-prepare", "#step-train", "#step-evaluate"]
    assert len(tags(dag, "path", cls="edge")) == 3
    for step in ("load", "prepare", "train", "evaluate"):
        assert tags(html, "section", id=f"step-{step}")
    prepare = section(html, "step-prepare")
    assert "prepare line 59" in prepare and "prepare line 19" not in prepare  # the tail: last 40 lines
    assert "20 earlier left out" in prepare
    assert tags(prepare, "a", href=f"/runs/{ui_world.first}/logs/prepare")
    loaded = api.get(f"/api/v1/runs/{ui_world.first}").json()["steps"][0]["outputs"]["output"]["id"]
    assert tags(prepare, "a", cls="artifact", href=f"/artifacts/{loaded}")
    charts = section(html, "metric-charts")
    assert [c["aria-label"] for c in tags(charts, "svg", cls="chart")] == ["auc", "loss"]
    assert len(tags(charts, "circle")) == 6  # one auc value, five loss epochs
    assert "xgb" in section(html, "params") and "risk" in section(html, "tags")
    assert "python" in section(html, "environment")


def test_run_page_caps_inline_logs_but_never_for_failed_steps(ui_world: UiWorld, api: httpx.Client,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_views, "MAX_INLINE_LOGS", 0)
    html = api.get(f"/runs/{ui_world.first}").text
    assert "<pre" not in html and tags(section(html, "step-prepare"), "a", href=f"/runs/{ui_world.first}/logs/prepare")
    failed = api.get(f"/runs/{ui_world.failed}").text
    assert "evaluation data is missing" in section(failed, "step-evaluate")
    assert len(re.findall(r'<pre class="log">', failed)) == 1


def test_cached_and_failed_runs_are_marked(ui_world: UiWorld, api: httpx.Client) -> None:
    cached_page = api.get(f"/runs/{ui_world.cached}").text
    cached = section(cached_page, "dag")
    assert [n["class"] for n in tags(cached, "g", cls="node")] == ["node cached"] * 4
    assert [a["href"] for a in tags(cached_page, "a", cls="cached-from")] == [
        f"/runs/{ui_world.first}#step-{step}" for step in ("load", "prepare", "train", "evaluate")]
    failed = api.get(f"/runs/{ui_world.failed}").text
    statuses = {n["data-node"]: n["class"].split()[1] for n in tags(section(failed, "dag"), "g", cls="node")}
    assert statuses == {"load": "cached", "prepare": "cached", "train": "cached", "evaluate": "failed"}
    assert "evaluation data is missing" in section(failed, "step-evaluate")


def test_unknown_things_are_404_pages(ui_world: UiWorld, api: httpx.Client) -> None:
    for path in ("/runs/nosuchrun", f"/runs/{ui_world.first}/logs/nosuchstep", "/monitors/nosuchmonitor",
                 f"/runs/{ui_world.first}/metrics/nosuchmetric", f"/compare?runs={ui_world.first}&metric=nosuch"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert re.search(r'<p class="error-message">[^<]*nosuch', response.text), path
    assert api.get("/compare").status_code == 400


def test_full_step_log_is_plain_text(ui_world: UiWorld, api: httpx.Client) -> None:
    response = api.get(f"/runs/{ui_world.first}/logs/prepare")
    assert response.headers["content-type"].startswith("text/plain")
    assert len(response.text.splitlines()) == 60


def test_metric_page_lists_every_point(ui_world: UiWorld, api: httpx.Client) -> None:
    html = api.get(f"/runs/{ui_world.first}/metrics/loss").text
    assert len(tags(section(html, "points"), "tr")) == 6  # the header and five epochs
    assert len(tags(section(html, "metric-chart"), "path", cls="series")) == 1


def test_compare_marks_differences_and_overlays_runs(ui_world: UiWorld, api: httpx.Client) -> None:
    ids = ui_world.compared
    html = api.get("/compare", params={"runs": ",".join(ids)}).text
    table = section(html, "compare")
    assert [a["href"] for a in tags(table, "a", cls="id")] == [f"/runs/{i}" for i in ids]
    differs = {row["data-field"] for row in tags(table, "tr", cls="diff")}
    assert {"params.lr", "params.model", "metrics.auc", "metrics.loss"} <= differs
    assert not {"params.fail", "tags.team", "pipeline", "status"} & differs
    lr_row = table.split('data-field="params.lr"')[1].split("</tr>")[0]
    assert lr_row.count('class="differs') == 3
    overlay = section(html, "overlay-chart")
    assert sorted(p["data-series"] for p in tags(overlay, "path", cls="series")) == sorted(i[:12] for i in ids)
    assert len(tags(section(html, "scatter-chart"), "circle")) == 3
    assert len(tags(section(html, "parallel-chart"), "path", cls="pc-line")) == 3
    chosen = api.get("/compare", params=[("runs", ids[0]), ("runs", ids[1]), ("metric", "auc"), ("param", "lr")]).text
    assert tags(chosen, "option", selected="") and "auc vs lr" in chosen


def test_monitor_pages_and_alerts(ui_world: UiWorld, api: httpx.Client) -> None:
    listing = api.get("/monitors").text
    [row] = tags(listing, "tr", data_monitor="fraud-volume")
    assert row and '<span class="status failed">failed</span>' in section(listing, "monitors")
    html = api.get("/monitors/fraud-volume").text
    main = section(html, "monitor-charts")
    assert len(tags(main, "line", cls="threshold")) == 1
    assert len(tags(main, "circle")) == 5
    assert len(tags(section(html, "monitor-alerts"), "tr")) == 3  # the header, one open, one resolved
    assert len(tags(section(html, "monitor-results"), "tr")) == 6
    [retrain] = tags(section(html, "decisions"), "li", cls="retrain")
    assert retrain is not None and f'href="/runs/{ui_world.others[1]}"' in section(html, "decisions")
    assert "retrain-on-volume" in section(html, "decisions")
    alert = mloop.raise_alert("manual:page-test", "nightly export late")
    open_alerts = section(api.get("/alerts").text, "open-alerts")
    [form] = tags(open_alerts, "form", cls="resolve", action=f"/alerts/{alert.id}/resolve")
    assert form["method"] == "post"
    assert "manual:page-test</td>" in open_alerts  # not a monitor: no link to a monitor page
    assert len(tags(open_alerts, "input", type="hidden", name="csrf_token")) == len(tags(open_alerts, "form"))
    mloop.resolve_alert(alert.source, "done")


def test_the_resolve_form_resolves_and_redirects(api: httpx.Client) -> None:
    alert = mloop.raise_alert("manual:form-test", "queue stuck")
    forged = api.post(f"/alerts/{alert.id}/resolve", data={"csrf_token": "x"})
    assert forged.status_code == 403 and mloop.get_alert(alert.id).status != "resolved"
    [field] = tags(api.get("/alerts").text, "input", type="hidden", name="csrf_token")[:1]
    response = api.post(f"/alerts/{alert.id}/resolve", data={"csrf_token": field["value"]})
    assert response.status_code == 303 and response.headers["location"] == "/alerts"
    assert mloop.get_alert(alert.id).status == "resolved"
    again = api.post(f"/alerts/{alert.id}/resolve", data={"csrf_token": field["value"]})
    assert again.status_code == 409 and "already resolved" in again.text
