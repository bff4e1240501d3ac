"""The REST routes and pages of the registry, artifacts, features, deployments and schedules,
over HTTP against a real server on a workspace with a run, two model versions, a deployment
with logged requests, a feature store and a schedule (conftest.py, ui_models_example.py)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import numpy as np
import pytest

from mloop.core.errors import NotFoundError
from mloop.ui.artifact_view import check_artifact_id
from mloop.ui.pages_artifacts import REPORT_CSP


def csrf_token(client: httpx.Client) -> str:
    """The CSRF token a page hands this client (its cookie is kept by the client), as a browser gets it."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/models/uifraud").text)
    assert found, "the model page carries no CSRF token"
    return found.group(1)


def form_post(client: httpx.Client, path: str, fields: dict[str, str]) -> httpx.Response:
    """Submit a page's form as a browser does: with the CSRF token of the page."""
    return client.post(path, data={**fields, "csrf_token": csrf_token(client)})



@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def client(server: str) -> Any:
    with httpx.Client(base_url=server, timeout=30) as http:
        yield http


def test_artifact_info_has_the_producer_and_a_lineage_graph_from_data_to_deployment(
        client: httpx.Client, built: dict[str, Any]) -> None:
    info = client.get(f"/api/v1/artifact-info/{built['table_id']}").json()

    assert info["produced_by"]["run_id"] == built["run_id"] and info["produced_by"]["step"].startswith("ingest")
    assert [c["step"].split()[0] for c in info["consumers"]] == ["split"]
    assert info["download"] == f"/api/v1/artifacts/{built['table_id']}"
    nodes = {n["id"]: n for n in info["lineage"]["nodes"]}
    edges = {(e["from"], e["to"]) for e in info["lineage"]["edges"]}
    train_step = next(i for i, n in nodes.items() if n["kind"] == "step" and n["label"].startswith("train"))
    assert nodes[built["model_id"]]["kind"] == "model"
    assert (train_step, built["model_id"]) in edges  # the step made the model artifact
    assert (built["model_id"], "model:uifraud/1") in edges  # registered as version 1
    assert ("model:uifraud/1", f"deployment:{built['deployment_id']}") in edges  # served by the deployment
    assert nodes[f"deployment:{built['deployment_id']}"]["kind"] == "deployment"


def test_the_artifact_page_previews_the_first_rows_schema_and_profile(client: httpx.Client,
                                                                      built: dict[str, Any]) -> None:
    page = client.get(f"/artifacts/{built['table_id']}")

    assert page.status_code == 200
    html = page.text
    assert "t00000" in html and "t00019" in html and "t00020" not in html  # the head: 20 of 240 rows
    assert "first 20 of 240 rows" in html
    assert '<table class="schema">' in html and "large_string" in html
    assert '<table class="profile sortable">' in html
    assert '<svg class="graph"' in html and 'data-node="model:uifraud/1"' in html
    assert f'href="/runs/{built["run_id"]}"' in html


def test_a_model_artifact_page_shows_its_type_and_signature(client: httpx.Client, built: dict[str, Any]) -> None:
    html = client.get(f"/artifacts/{built['model_id']}").text

    assert "sklearn.linear_model._logistic.LogisticRegression" in html
    assert "<h2>Model uifraud/1</h2>" in html
    assert '<table class="signature">' in html and "<td>amount</td>" in html
    assert '<a href="/models/uifraud/1">uifraud/1</a>' in html  # registered as


@pytest.mark.parametrize("bad", ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "%2e%2e%2fsecret.txt",
                                 "zzzz", "abc", "A" * 64, "7c00a910" + "0" * 80])
def test_ids_that_are_not_artifact_ids_are_refused_before_any_store_is_read(
        client: httpx.Client, built: dict[str, Any], bad: str) -> None:
    (built["folder"] / "secret.txt").write_text("TOPSECRET")
    for path in (f"/api/v1/artifact-info/{bad}", f"/artifacts/{bad}", f"/reports/{bad}", f"/reports/{bad}/view"):
        response = client.get(path)
        assert response.status_code in (404, 422), path
        assert "TOPSECRET" not in response.text and "root:" not in response.text


def test_the_artifact_id_check_accepts_hex_ids_and_prefixes_only() -> None:
    assert check_artifact_id("7c00a91081b0") == "7c00a91081b0"
    for bad in ("../x", "7c00/../..", "7C00A910", "7c0", "7c00a910\n", "a" * 65):
        with pytest.raises(NotFoundError):
            check_artifact_id(bad)


def test_models_api_lists_versions_aliases_and_blessing_reports(client: httpx.Client) -> None:
    assert [m["name"] for m in client.get("/api/v1/models").json()] == ["uifraud"]
    model = client.get("/api/v1/models/uifraud").json()

    assert [v["version"] for v in model["versions"]] == [2, 1]
    assert model["aliases"]["champion"] == 1
    assert model["alias_moved"]["champion"]["reason"] == "first champion"
    verdicts = {r["version"]: (r["passed"], r["rules"][0]["threshold"]) for r in model["blessing_reports"]}
    assert verdicts == {1: (True, 0.7), 2: (False, 0.7)}
    version = client.get("/api/v1/models/uifraud/versions/1").json()
    assert [c["name"] for c in version["signature"]["inputs"]] == ["amount", "age"]
    assert {f["name"] for f in version["card"]["importance"]["features"]} == {"amount", "age"}
    assert version["run_id"] and version["metrics"]["val_auc"] == 0.81


def test_promote_through_the_api_moves_the_alias_and_records_who_and_why(client: httpx.Client) -> None:
    moved = client.put("/api/v1/models/uifraud/aliases/staging", json={"version": 2, "reason": "try it"})

    assert moved.status_code == 200 and moved.json()["to_version"] == 2
    assert client.get("/api/v1/models/uifraud").json()["aliases"]["staging"] == 2
    history = client.get("/api/v1/models/uifraud/aliases/staging/history").json()
    assert [(h["to_version"], h["reason"]) for h in history] == [(2, "try it")]
    removed = client.delete("/api/v1/models/uifraud/aliases/staging", params={"reason": "done"})
    assert removed.status_code == 200
    assert "staging" not in client.get("/api/v1/models/uifraud").json()["aliases"]


def test_the_champion_gate_refuses_an_unblessed_version_with_its_reason(client: httpx.Client) -> None:
    refused = client.put("/api/v1/models/uifraud/aliases/champion", json={"version": 2})

    assert refused.status_code in (409, 422)
    assert "not blessed" in refused.json()["error"]["message"]
    assert client.get("/api/v1/models/uifraud").json()["aliases"]["champion"] == 1


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("PUT", "/api/v1/models/uifraud/aliases/staging", {"version": 0}, 422),
    ("PUT", "/api/v1/models/uifraud/aliases/staging", {"version": "two"}, 422),
    ("PUT", "/api/v1/models/uifraud/aliases/staging", {"version": 99}, 404),
    ("PUT", "/api/v1/models/nope/aliases/staging", {"version": 1}, 404),
    ("PUT", "/api/v1/models/uifraud/aliases/bad%20alias", {"version": 1}, 422),
    ("DELETE", "/api/v1/models/uifraud/aliases/never-set", None, 404),
    ("GET", "/api/v1/models/nope", None, 404),
    ("GET", "/api/v1/models/uifraud/versions/7", None, 404),
    ("GET", "/api/v1/models/nope/aliases/champion/history", None, 404),
    ("GET", "/api/v1/deployments/nope", None, 404),
    ("GET", "/api/v1/deployments/x?minutes=0", None, 422),
])
def test_bad_input_is_a_one_line_4xx(client: httpx.Client, method: str, path: str, body: Any, status: int) -> None:
    response = client.request(method, path, json=body)

    assert response.status_code == status, response.text
    payload = response.json()
    if "error" in payload:  # mloop's errors: one line naming the problem
        assert payload["error"]["message"] and "\n" not in payload["error"]["message"]
    else:  # FastAPI's validation of the path, query or body
        assert payload["detail"]


def test_the_promote_form_shows_a_refusal_and_moves_and_rolls_back_an_alias(client: httpx.Client) -> None:
    refused = form_post(client, "/models/uifraud/aliases", {"action": "promote", "alias": "champion", "version": "2"})
    assert refused.status_code == 422
    assert 'class="notice error refusal"' in refused.text and "not blessed" in refused.text

    moved = form_post(client, "/models/uifraud/aliases", {"action": "promote", "alias": "candidate", "version": "2",
                                                         "reason": "from the form"})
    assert moved.status_code == 303
    page = client.get(moved.headers["location"])
    assert "Moved candidate → uifraud/2" in page.text and "from the form" in page.text
    client.put("/api/v1/models/uifraud/aliases/candidate", json={"version": 1})
    back = form_post(client, "/models/uifraud/aliases", {"action": "rollback", "alias": "candidate"})
    assert back.status_code == 303
    assert client.get("/api/v1/models/uifraud").json()["aliases"]["candidate"] == 2


def test_the_model_pages_show_versions_card_and_history(client: httpx.Client, built: dict[str, Any]) -> None:
    model = client.get("/models/uifraud").text
    assert 'name="csrf_token"' in model
    assert "uifraud/2 is not blessed: val_auc 0.55 &lt; min 0.7" in model
    assert f'href="/runs/{built["run_id"]}"' in model
    card = client.get("/models/uifraud/1").text
    assert "Explainability" in card and "<td>amount</td>" in card and "<td>age</td>" in card
    assert "accuracy" in card  # the evaluation metrics of the card


def test_unknown_pages_are_a_one_line_404_page(client: httpx.Client) -> None:
    for path in ("/models/nope", "/models/uifraud/9", "/models/uifraud/latest", "/deployments/zzzzzz"):
        page = client.get(path)
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html")
        assert '<p class="error-message">' in page.text


def test_a_deployment_shows_split_swaps_and_live_rate_and_latency(client: httpx.Client,
                                                                   built: dict[str, Any]) -> None:
    listed = client.get("/api/v1/deployments").json()
    assert [(d["id"], d["canary_percent"], d["primary_percent"]) for d in listed] == \
        [(built["deployment_id"], 10.0, 90.0)]
    detail = client.get(f"/api/v1/deployments/{built['deployment_id']}").json()

    live = detail["live"]
    assert live["requests"] == 90 and sum(m["requests"] for m in live["per_minute"]) == 90
    assert live["p50_ms"] == pytest.approx(45.5) and live["p99_ms"] == pytest.approx(89.11)
    assert live["roles"] == {"primary": 90}
    assert [(s["kind"], s["from_version"], s["to_version"]) for s in detail["swaps"]] == \
        [("swap", "uifraud/1", "uifraud/2")]
    page = client.get(f"/deployments/{built['deployment_id']}").text
    assert '<svg class="chart"' in page and "canary 10%" in page and 'class="event-swap"' in page


def test_deployment_traffic_counts_only_the_window_asked_for(built: dict[str, Any]) -> None:
    import mloop
    from mloop.core.errors import ValidationError

    until = built["logged_at"] + timedelta(seconds=1)
    last_minute = mloop.deployment_traffic(built["deployment_id"], minutes=1, until=until)
    assert last_minute.requests == 30  # the rows logged a minute and two minutes earlier are outside
    assert last_minute.p50_ms == pytest.approx(float(np.median(np.arange(1, 91)[::3])))
    whole = mloop.deployment_traffic(built["deployment_id"], minutes=5, until=until)
    assert [n for _, n in whole.per_minute] == [30, 30, 30] and whole.requests_per_minute == pytest.approx(18.0)
    assert mloop.deployment_traffic("another", minutes=5, until=until).requests == 0
    with pytest.raises(ValidationError):
        mloop.deployment_traffic(built["deployment_id"], minutes=0)


def test_features_show_definitions_and_which_view_is_stale(client: httpx.Client) -> None:
    features = client.get("/api/v1/features").json()
    views = {v["name"]: v for v in features["view"]}

    assert views["customer_stats"]["freshness"]["stale"] is False
    assert views["customer_history"]["freshness"]["stale"] is True  # TTL 5 minutes, newest value an hour old
    assert [h["version"] for h in views["customer_history"]["versions"]] == [1, 2]
    assert views["customer_history"]["spec"]["description"] == "version 2"
    assert [f["name"] for f in views["customer_stats"]["spec"]["schema"]] == ["amount_7d", "tx_7d"]
    assert [s["spec"]["features"] for s in features["service"]] == [["customer_stats", "amount_share"]]
    assert [(d["name"], d["spec"]["inputs"]) for d in features["on_demand"]] == \
        [("amount_share", ["customer_stats:amount_7d", "amount"])]
    page = client.get("/features").text
    assert 'class="panel feature-view stale" data-view="customer_history"' in page


def test_schedules_list_their_next_runs(client: httpx.Client) -> None:
    overview = client.get("/api/v1/schedules").json()
    schedules = {s["name"]: s for s in overview["schedules"]}
    schedule = schedules["nightly-ui-fraud"]

    runs = [datetime.fromisoformat(t) for t in schedule["next_runs"]]
    assert len(runs) == 3 and all((t.hour, t.minute) == (3, 0) for t in runs)
    assert runs == sorted(runs) and (runs[1] - runs[0]).days == 1
    assert schedule["last_fire"] is None
    broken = schedules["minutely-broken"]
    assert [(f["outcome"], "json:no_such_job" in f["error"]) for f in broken["recent_fires"]] == [("failed", True)]
    assert broken["last_fire"] == broken["recent_fires"][0]
    page = client.get("/schedules").text
    assert "nightly-ui-fraud" in page and runs[0].strftime("%Y-%m-%d %H:%M:%S") in page
    assert '<table class="fires" data-schedule="minutely-broken">' in page and 'class="fire-failed"' in page


def test_a_report_is_served_with_its_own_csp_and_shown_in_a_sandboxed_frame(client: httpx.Client,
                                                                           built: dict[str, Any]) -> None:
    document = client.get(f"/reports/{built['report_id']}")

    assert document.status_code == 200 and document.headers["content-security-policy"] == REPORT_CSP
    assert document.text.lstrip().lower().startswith("<!doctype html")
    page = client.get(f"/reports/{built['report_id']}/view").text
    assert f'<iframe class="report" sandbox="allow-scripts" src="/reports/{built["report_id"]}"' in page
    assert client.get(f"/reports/{built['table_id']}").status_code == 404  # a table is not a report
    assert f'href="/reports/{built["report_id"]}/view"' in client.get(f"/artifacts/{built['report_id']}").text


def test_the_routes_are_in_the_openapi_document_with_summaries(client: httpx.Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    for path in ("/api/v1/models", "/api/v1/models/{name}", "/api/v1/models/{name}/versions/{version}",
                 "/api/v1/models/{name}/aliases/{alias}/history", "/api/v1/artifact-info/{artifact_id}",
                 "/api/v1/features", "/api/v1/deployments", "/api/v1/deployments/{deployment_id}",
                 "/api/v1/schedules"):
        assert paths[path]["get"]["summary"], path
    assert {"put", "delete"} <= set(paths["/api/v1/models/{name}/aliases/{alias}"])


def test_alias_moves_pass_the_security_gate_and_are_audited(client: httpx.Client,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from mloop.server import security

    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(security, "authorize", lambda p, need, target: calls.append(("authorize", need, target)))
    monkeypatch.setattr(security, "check_alias_move",
                        lambda p, model, alias, version: calls.append(("check", model, alias, str(version))))
    monkeypatch.setattr(security, "audit",
                        lambda p, action, target, detail=None: calls.append(("audit", action, target,
                                                                             str((detail or {}).get("to_version")))))
    client.put("/api/v1/models/uifraud/aliases/audited", json={"version": 1, "reason": "r"})
    form_post(client, "/models/uifraud/aliases", {"action": "promote", "alias": "audited", "version": "2"})

    writes = [c for c in calls if c[0] != "authorize" or c[1] == "write"]
    assert writes == [("authorize", "write", "models/uifraud"), ("check", "uifraud", "audited", "1"),
                      ("audit", "alias.promote", "models/uifraud", "1"),
                      ("authorize", "write", "models/uifraud"), ("check", "uifraud", "audited", "2"),
                      ("audit", "alias.promote", "models/uifraud", "2")]


def test_a_protected_alias_refusal_moves_nothing_and_says_why(client: httpx.Client,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from mloop.server import security

    def protect(principal: Any, model: str, alias: str, version: int | None) -> None:
        raise security.Forbidden(f"only admins may move {alias!r} of {model!r}")

    monkeypatch.setattr(security, "check_alias_move", protect)
    audited: list[str] = []
    monkeypatch.setattr(security, "audit", lambda *args, **kwargs: audited.append("audit"))
    refused = client.put("/api/v1/models/uifraud/aliases/champion", json={"version": 1, "reason": "again"})
    form = form_post(client, "/models/uifraud/aliases", {"action": "promote", "alias": "champion", "version": "1"})

    assert 400 <= refused.status_code < 500 and "only admins may move 'champion'" in refused.text
    assert form.status_code == 403 and "only admins may move &#39;champion&#39;" in form.text
    assert audited == []
    history = client.get("/api/v1/models/uifraud/aliases/champion/history").json()
    assert [h["reason"] for h in history] == ["first champion"]  # nothing moved


HOSTILE = ["%00", "a" * 5000, "%F0%9F%92%A9", "..", "%2F", "a%2Fb", "-1", "1e9", "%20", "a@b"]


def test_hostile_path_segments_and_bodies_are_never_a_server_error(client: httpx.Client) -> None:
    failed = []
    for value in HOSTILE:
        for path in (f"/api/v1/models/{value}", f"/api/v1/models/uifraud/versions/{value}",
                     f"/api/v1/models/uifraud/aliases/{value}/history", f"/api/v1/artifact-info/{value}",
                     f"/api/v1/deployments/{value}", f"/models/{value}", f"/models/uifraud/{value}",
                     f"/artifacts/{value}", f"/deployments/{value}", f"/reports/{value}/view"):
            failed += [path[:60]] if client.get(path).status_code >= 500 else []
        for response in (client.put(f"/api/v1/models/uifraud/aliases/{value}", json={"version": 1}),
                         client.delete(f"/api/v1/models/uifraud/aliases/{value}"),
                         form_post(client, "/models/uifraud/aliases", {"alias": value, "version": value})):
            failed += [f"{response.request.method} {response.request.url.path[:60]}"] \
                if response.status_code >= 500 else []
    binary = client.post("/models/uifraud/aliases", content=b"\xff\xfe=\x00",
                         headers={"content-type": "application/x-www-form-urlencoded",
                                  "x-csrf-token": csrf_token(client)})
    assert failed == [] and binary.status_code == 422
