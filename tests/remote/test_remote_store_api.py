"""The server's store API as an HTTP client meets it: only Protocol methods are callable, each one
classified as a read or a write and authorized as such before it runs, writes audited, alias moves
checked by the protected-alias rule, malformed calls a 4xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mloop.server import security, store_api
from mloop.stores.remote.metadata import ROLES, protocol_methods


def test_every_protocol_method_is_classified_exactly_once() -> None:
    for role in ROLES:
        methods = set(protocol_methods(role))
        assert store_api.WRITES[role] | store_api.READS[role] == methods, role
        assert not store_api.WRITES[role] & store_api.READS[role], role


@pytest.fixture
def api(remote_workspace: Path) -> Iterator[httpx.Client]:
    import os

    with httpx.Client(base_url=os.environ["MLOOP_TRACKING_URI"] + "/api/v1") as client:
        yield client


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The security calls the store API makes; a viewer (reads only) is the caller."""
    seen: list[tuple[Any, ...]] = []

    def authorize(principal: security.Principal, need: str, target: str) -> None:
        seen.append(("authorize", need, target))
        if need != "read":
            raise security.Forbidden(f"a viewer may not {need} {target}")

    monkeypatch.setattr(security, "authorize", authorize)
    monkeypatch.setattr(security, "audit", lambda p, action, target, detail=None: seen.append(
        ("audit", action, target, detail)))
    monkeypatch.setattr(security, "check_alias_move", lambda p, model, alias, version: seen.append(
        ("alias", model, alias, version)))
    return seen


def test_only_protocol_methods_can_be_called(api: httpx.Client) -> None:
    assert api.post("/stores/runs/close", json={}).status_code == 404
    assert api.post("/stores/runs/_reader", json={}).status_code == 404
    assert api.post("/stores/database/engine", json={}).status_code == 404
    assert api.post("/stores/runs/list_runs", json={"kwargs": {"limit": 5}}).json() == {"result": []}


def test_malformed_calls_are_4xx_not_500(api: httpx.Client) -> None:
    bad = [("runs/get_run", {"args": [1, 2, 3]}), ("runs/list_runs", {"kwargs": {"nope": 1}}),
           ("runs/create_run", {"args": [{"__t": "record", "n": "Evil", "v": {}}, []]}),
           ("runs/create_run", {"args": ["not a record", []]}), ("runs/list_runs", {"args": "x"})]
    for path, body in bad:
        response = api.post(f"/stores/{path}", json=body)
        assert response.status_code == 422, (path, response.text)


def test_reads_and_writes_are_authorized_before_they_run(api: httpx.Client, calls: list[tuple[Any, ...]]) -> None:
    read = api.post("/stores/registry/list_models", json={})
    write = api.post("/stores/runs/put_environment", json={"args": ["env1", {"python": "3.11"}]})
    upload = api.put("/artifacts/" + "0" * 64, params={"name": "x"}, content=b"x")

    assert read.status_code == 200
    assert write.status_code >= 400 and "a viewer may not write runs.put_environment" in write.text
    assert upload.status_code >= 400
    assert ("authorize", "read", "registry.list_models") in calls
    assert ("authorize", "write", "runs.put_environment") in calls and ("authorize", "write", "artifacts.put") in calls
    assert not [c for c in calls if c[0] == "audit"]
    # refused, so never written
    assert api.post("/stores/runs/get_environment", json={"args": ["env1"]}).status_code == 404


def test_writes_are_audited_and_alias_moves_checked(api: httpx.Client, calls: list[tuple[Any, ...]],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "authorize", lambda p, need, target: calls.append(("authorize", need, target)))
    assert api.post("/stores/runs/put_environment", json={"args": ["env1", {"python": "3.11"}]}).status_code == 200
    moved = api.post("/stores/registry/move_alias", json={"args": ["nomodel", "champion", 3],
                                                          "kwargs": {"changed_by": "me"}})

    assert ("audit", "runs.put_environment", "env1", {"env_id": "env1"}) in calls
    assert ("alias", "nomodel", "champion", 3) in calls
    assert moved.status_code == 404  # the rule ran first; then the store found no such model


def test_the_access_role_is_not_served_to_remote_clients() -> None:
    from mloop.core.errors import ConfigError
    from mloop.stores.remote import remote_metadata_stores

    stores = remote_metadata_stores("http://127.0.0.1:9")  # never contacted: refused before any request
    with pytest.raises(ConfigError, match="managed where the server runs"):
        stores.access.list_tokens()
    assert "access" not in ROLES
