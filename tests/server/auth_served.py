"""A team server for the auth tests: the real app (auth on) on uvicorn in a thread on 127.0.0.1, over
a project of its own, with a token of each role, and two routes standing in for other parts' writes:
a plain write (audited by the guard) and an alias move that follows security's contract the way
api_models does (check_alias_move, then promote, then audit)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

import mloop
from mloop.access import ROLES
from mloop_env import clear_mloop_env
from servers import free_port

PROMOTE_ROUTE = "/api/v1/test-models/{model}/aliases/{alias}"
NOTE_ROUTE = "/api/v1/test-notes"
#: a page's form target (outside /api: refusals are pages)
FORM_ROUTE = "/test-forms/note"


@dataclass
class Team:
    url: str
    root: Path
    app: Any
    #: role -> secret
    secrets: dict[str, str]

    def client(self, role: str | None = None, **options: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.secrets[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **options)


class Move(BaseModel):
    version: int


def add_stand_in_routes(app: Any) -> None:
    from fastapi import Depends

    from mloop.server.security import Principal, audit, check_alias_move, current_principal

    @app.post(NOTE_ROUTE, tags=["test"])
    def note(principal: Principal = Depends(current_principal)) -> dict[str, str]:
        return {"by": principal.name}

    @app.post(FORM_ROUTE, include_in_schema=False)
    def form(principal: Principal = Depends(current_principal)) -> dict[str, str]:
        return {"by": principal.name}

    @app.put(PROMOTE_ROUTE, tags=["test"])
    def move(model: str, alias: str, body: Move, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        check_alias_move(principal, model, alias, body.version)
        change = mloop.promote(f"{model}/{body.version}", alias, force=principal.role == "admin")
        audit(principal, "models.promote", f"models/{model}/aliases/{alias}",
              {"model": model, "version": body.version, "alias": alias})
        return {"alias": alias, "version": change.to_version}


@contextmanager
def serving(app: Any) -> Iterator[str]:
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the test server did not start")
        thread.join(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    from mloop.server.app import create_server_app

    root = tmp_path_factory.mktemp("team")
    with pytest.MonkeyPatch.context() as patch:
        clear_mloop_env(patch)
        patch.setenv("MLOOP_HOME", str(root))
        patch.setenv("MLOOP_DB_URL", f"sqlite:///{root}/mloop.db")
        patch.chdir(root)
        secrets = {role: mloop.create_token(f"{role}-1", role)[1] for role in ROLES}
        app = create_server_app(auth=True)
        add_stand_in_routes(app)
        with serving(app) as url:
            yield Team(url, root, app, secrets)
