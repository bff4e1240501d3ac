"""The REST routes of pipelines, runs, metrics, logs, monitors and alerts, over real HTTP against
the server of the UI test workspace."""

from __future__ import annotations

import httpx
import pytest
from ui_workspace import UiWorld

import mloop


def test_pipelines_count_runs_by_status_and_name_the_newest(ui_world: UiWorld, api: httpx.Client) -> None:
    [pipeline] = api.get("/api/v1/pipelines").json()
    assert pipeline["name"] == "ui-training"
    assert pipeline["runs"] == 5 and pipeline["by_status"] == {"succeeded": 4, "failed": 1}
    assert (pipeline["last_run_id"], pipeline["last_status"]) == (ui_world.failed, "failed")


def test_runs_are_searched_filtered_and_paged(ui_world: UiWorld, api: httpx.Client) -> None:
    everything = api.get("/api/v1/runs").json()
    assert everything["total"] == 5 and len(everything["runs"]) == 5
    pages = [api.get("/api/v1/runs", params={"limit": 2, "offset": offset}).json() for offset in (0, 2, 4)]
    assert [len(p["runs"]) for p in pages] == [2, 2, 1] and {p["total"] for p in pages} == {5}
    assert [r["run_id"] for p in pages for r in p["runs"]] == [r["run_id"] for r in everything["runs"]]

    found = api.get("/api/v1/runs", params={"q": "metrics.auc >= 1 and params.model = 'lgbm'"}).json()
    assert [r["run_id"] for r in found["runs"]] == [ui_world.others[0]] and found["total"] == 1
    row = found["runs"][0]
    assert row["params"]["lr"] == "0.2" and row["metrics"]["auc"] == pytest.approx(1.0) and row["tags"] == {"team": "risk"}
    failed = api.get("/api/v1/runs", params={"status": "failed", "pipeline": "ui-training"}).json()
    assert [r["run_id"] for r in failed["runs"]] == [ui_world.failed]
    ordered = api.get("/api/v1/runs", params={"order_by": "metrics.auc", "descending": "true", "limit": 3}).json()
    assert [r["metrics"]["auc"] for r in ordered["runs"]] == pytest.approx([1.1, 1.0, 0.9])
    body = api.post("/api/v1/runs/search", json={"filter": "params.lr = 0.1", "limit": 10}).json()
    assert body["total"] == 3 and ui_world.failed in {r["run_id"] for r in body["runs"]}


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"q": "metrics.auc >"}, 422, "filter"),
    ({"q": "colour = 'red'"}, 422, "colour"),
    ({"status": "exploded"}, 422, "unknown run status 'exploded'"),
    ({"limit": 0}, 422, ""),
    ({"order_by": "metrics."}, 422, ""),
])
def test_bad_searches_are_4xx_with_one_line(api: httpx.Client, params: dict[str, object], status: int,
                                            message: str) -> None:
    response = api.get("/api/v1/runs", params=params)
    assert response.status_code == status
    if message:
        assert message in response.json()["error"]["message"]


def test_a_run_with_its_steps_edges_and_artifacts(ui_world: UiWorld, api: httpx.Client) -> None:
    run = api.get(f"/api/v1/runs/{ui_world.first}").json()
    assert [(s["node"], s["status"]) for s in run["steps"]] == [
        ("load", "succeeded"), ("prepare", "succeeded"), ("train", "succeeded"), ("evaluate", "succeeded")]
    assert run["edges"] == [["load", "prepare"], ["prepare", "train"], ["train", "evaluate"]]
    steps = {s["node"]: s for s in run["steps"]}
    assert steps["prepare"]["inputs"]["data"]["id"] == steps["load"]["outputs"]["output"]["id"]
    assert run["params"]["lr"] == "0.1" and set(run["metrics"]) == {"auc", "loss"}
    cached = api.get(f"/api/v1/runs/{ui_world.cached}").json()
    assert {s["status"] for s in cached["steps"]} == {"cached"}
    assert {s["cached_from"] for s in cached["steps"]} == {s["id"] for s in run["steps"]}
    failed = api.get(f"/api/v1/runs/{ui_world.failed}").json()
    assert failed["status"] == "failed"
    assert "evaluation data is missing" in {s["node"]: s for s in failed["steps"]}["evaluate"]["error"]
    missing = api.get("/api/v1/runs/nosuchrun")
    assert missing.status_code == 404 and "nosuchrun" in missing.json()["error"]["message"]


def test_metric_history_and_step_logs(ui_world: UiWorld, api: httpx.Client) -> None:
    points = api.get(f"/api/v1/runs/{ui_world.others[1]}/metrics/loss").json()
    assert [p["step"] for p in points] == [0, 1, 2, 3, 4]
    assert [p["value"] for p in points] == pytest.approx([1 / (1 + 3 * (e + 1)) for e in range(5)])
    missing = api.get(f"/api/v1/runs/{ui_world.first}/metrics/accuracy")
    assert missing.status_code == 404 and "its metrics: auc, loss" in missing.json()["error"]["message"]
    log = api.get(f"/api/v1/runs/{ui_world.first}/logs/prepare")
    assert log.headers["content-type"].startswith("text/plain")
    assert log.text.splitlines()[0] == "prepare line 0" and log.text.splitlines()[-1] == "prepare line 59"
    assert api.get(f"/api/v1/runs/{ui_world.first}/logs/nosuchstep").status_code == 404
    assert api.get(f"/api/v1/runs/{ui_world.first}/logs/prepare", params={"attempt": 3}).status_code == 404


def test_monitors_results_and_alerts(ui_world: UiWorld, api: httpx.Client) -> None:
    [monitor] = api.get("/api/v1/monitors").json()
    assert (monitor["name"], monitor["kind"], monitor["last_status"], monitor["last_value"]) == (
        "fraud-volume", "volume", "failed", 0)
    results = api.get("/api/v1/monitors/fraud-volume/results").json()
    assert [r["value"] for r in results] == [0, 6, 4, 1, 5]  # newest first
    assert [r["status"] for r in results] == ["failed", "passed", "passed", "failed", "passed"]
    assert api.get("/api/v1/monitors/nope/results").status_code == 404
    alerts = api.get("/api/v1/alerts", params={"source": "fraud-volume"}).json()
    assert sorted(a["status"] for a in alerts) == ["open", "resolved"]
    assert api.get("/api/v1/alerts", params={"status": "snoozed"}).status_code == 422


def test_resolving_an_alert_once(api: httpx.Client) -> None:
    alert = mloop.raise_alert("manual:api-test", "disk almost full")
    resolved = api.post(f"/api/v1/alerts/{alert.id}/resolve")
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert mloop.get_alert(alert.id).status == "resolved"
    again = api.post(f"/api/v1/alerts/{alert.id}/resolve")
    assert again.status_code == 409 and "already resolved" in again.json()["error"]["message"]
    assert api.post("/api/v1/alerts/zzzzzzzz/resolve").status_code == 404


def test_openapi_documents_every_route_with_a_summary(api: httpx.Client) -> None:
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    expected = {("/api/v1/pipelines", "get"), ("/api/v1/runs", "get"), ("/api/v1/runs/search", "post"),
                ("/api/v1/runs/{run_id}", "get"), ("/api/v1/runs/{run_id}/metrics/{key}", "get"),
                ("/api/v1/runs/{run_id}/logs/{step}", "get"), ("/api/v1/monitors", "get"),
                ("/api/v1/monitors/{name}/results", "get"), ("/api/v1/alerts", "get"),
                ("/api/v1/alerts/{alert_id}/resolve", "post")}
    for path, method in expected:
        assert paths[path][method]["summary"], (path, method)
    assert not any(path.startswith(("/runs", "/compare", "/monitors", "/alerts")) for path in paths)
