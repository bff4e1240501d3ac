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
