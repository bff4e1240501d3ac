"""OpenAPI-driven fuzzing of the whole server with schemathesis: every operation of the app's schema,
called on the real server with an admin token (so requests reach the routes, not the guard), with
generated valid and invalid inputs; no answer may be a 500. A bounded number of examples keeps it
to seconds; the operations others add are fuzzed the same way once they are in the app."""

from __future__ import annotations

from typing import Any

import auth_served
import schemathesis
from auth_served import Team
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

team = auth_served.team  # the module's server (a fixture)
EXAMPLES = 25


def test_no_operation_answers_a_server_error(team: Team) -> None:
    schema = schemathesis.openapi.from_url(f"{team.url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {team.secrets['admin']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {operation.path for operation in operations}
    assert {"/api/v1/tokens", "/api/v1/audit", "/api/v1/alias-rules", "/api/v1/me"} <= paths
    failures = [found for operation in operations for found in fuzz(operation, team.url, headers)]
    assert failures == []


def fuzz(operation: Any, base_url: str, headers: dict[str, str]) -> list[str]:
    """What fuzzing `operation` found (one line per operation; schemathesis raises a FailureGroup)."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=[not_a_server_error])

    try:
        run()
    except (FailureGroup, Exception) as exc:  # every operation is fuzzed, then all findings reported
        return [f"{operation.method.upper()} {operation.path}: {' '.join(str(exc).split())[:300]}"]
    return []
