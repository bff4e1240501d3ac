"""`mloop tokens`, `mloop audit`, `mloop aliases` as an admin runs them beside the server, and the
server they govern: `mloop server --auth` in a child process honours a token created and revoked by
the CLI at once; without --auth it refuses to listen beyond the loopback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from mloop.cli.main import app
from servers import free_port, stop_process, wait_until_listening

SRC = str(Path(__file__).resolve().parents[2] / "src")


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def project(sqlite_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "250")
    return sqlite_workspace


@pytest.fixture
def auth_server(project: Path) -> Iterator[str]:
    assert cli("tokens", "create", "root", "--role", "admin")[0] == 0  # --auth refuses to start without one
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-m", "mloop.cli.main", "server", "--auth", "--port", str(port)],
                               env=env, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_listening(port, process, "mloop server --auth")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)
        if process.stderr:
            process.stderr.close()


def test_tokens_created_and_revoked_by_the_cli_govern_the_running_server(project: Path, auth_server: str) -> None:
    code, output = cli("tokens", "create", "ci", "--role", "editor")
    assert code == 0, output
    secret = re.search(r"^(mlp_\S+)$", output, re.MULTILINE).group(1)  # type: ignore[union-attr]
    token_id = re.search(r"created token (tok_\w+)", output).group(1)  # type: ignore[union-attr]
    assert "export MLOOP_TOKEN=" in output
    with httpx.Client(base_url=auth_server, timeout=30) as client:
        assert client.get("/api/v1/me").status_code == 401
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()
        assert (me["name"], me["role"], me["token_id"]) == ("ci", "editor", token_id)
        code, output = cli("tokens", "list", "--json")
        listed = [t for t in json.loads(output) if t["name"] != "root"]  # root: the fixture's admin
        assert [(t["id"], t["active"]) for t in listed] == [(token_id, True)] and secret not in output
        assert listed[0]["last_used_at"] is not None  # the server noted the use
        assert cli("tokens", "revoke", token_id)[0] == 0
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    code, output = cli("audit", "--json", "--since", "1h")
    assert [(e["action"], e["target"]) for e in json.loads(output)][:2] == [
        ("tokens.revoke", f"tokens/{token_id}"), ("tokens.create", f"tokens/{token_id}")]


def test_cli_errors_are_one_line_with_the_fix(project: Path) -> None:
    code, output = cli("tokens", "create", "x", "--role", "root")
    assert code == 2 and output.strip() == "error: unknown role 'root'; use one of: viewer, editor, admin"
    code, output = cli("tokens", "revoke", "tok_nope")
    assert code == 2 and "mloop tokens list" in output and len(output.strip().splitlines()) == 1
    code, output = cli("aliases", "protect", "fraud", "champion", "--rule", "nobody")
    assert code == 2 and "use one of: admin, blessed, open" in output
    code, output = cli("audit", "--since", "yesterday-ish")
    assert code == 2 and "neither a time" in output


def test_alias_rules_and_the_audit_trail_from_the_cli(project: Path) -> None:
    assert cli("aliases", "protect", "*", "champion", "--rule", "admin")[0] == 0
    assert cli("aliases", "protect", "fraud-*", "challenger", "--rule", "blessed")[0] == 0
    code, output = cli("aliases", "list", "--json")
    rules = {(r["model"], r["alias"]): (r["rule"], r["default"]) for r in json.loads(output)}
    assert rules == {("*", "champion"): ("admin", False), ("fraud-*", "challenger"): ("blessed", False)}
    code, output = cli("audit", "--json", "--action", "aliases.*")
    assert [e["target"] for e in json.loads(output)] == ["models/fraud-*/challenger", "models/*/champion"]
    code, output = cli("audit")
    assert code == 0 and "aliases.protect" in output and "local" in output


def test_server_refuses_auth_without_an_admin_token(project: Path) -> None:
    code, error = cli("server", "--auth", "--port", str(free_port()))
    assert code == 2 and error.strip() == ("error: --auth needs an admin token first, or nobody could log in: "
                                           "mloop tokens create NAME --role admin")


def test_server_refuses_to_listen_beyond_the_loopback_without_auth(project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "mloop.cli.main", "server", "--host", "0.0.0.0", "--port",
                           str(free_port())], env=env, cwd=project, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("error: --host 0.0.0.0 without --auth") and "mloop tokens create" in error
    assert "Traceback" not in done.stderr
