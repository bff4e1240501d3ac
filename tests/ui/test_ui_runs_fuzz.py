"""OpenAPI-driven fuzzing (schemathesis) of the runs, monitors and alerts routes of the server
over real HTTP: whatever the input, the answer is never a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from ui_workspace import UiWorld

ROUTES = r"^/api/v1/(pipelines|runs|monitors|alerts)"
EXAMPLES = 10


def test_runs_routes_never_answer_5xx(ui_world: UiWorld) -> None:
    schema = schemathesis.openapi.from_url(f"{ui_world.url}/api/v1/openapi.json").include(path_regex=ROUTES)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 10

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        fuzz()


def test_runs_page_answers_any_query_with_a_page_never_a_5xx(ui_world: UiWorld) -> None:
    import httpx
    from hypothesis import strategies as st

    words = st.sampled_from(["metrics.auc", "params.lr", "tags.team", "status", "start_time", "and", "or", "not",
                             "in", "like", "(", ")", ",", "=", ">", "<=", "!=", "'xgb'", "0.5", "'2026-01-01'", "`"])
    queries = st.one_of(st.text(max_size=40), st.lists(words, max_size=8).map(" ".join))

    with httpx.Client(base_url=ui_world.url, timeout=30) as client:
        @given(q=queries, sort=st.sampled_from(["", "metrics.auc", "params.lr", "nonsense", "metrics."]))
        @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def fuzz(q: str, sort: str) -> None:
            response = client.get("/runs", params={"q": q, "sort": sort})
            assert response.status_code in (200, 400), (q, sort, response.status_code)
            assert ('class="error-message"' in response.text) == (response.status_code == 400)

        fuzz()
