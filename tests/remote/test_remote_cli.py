"""The CLI in remote client mode, in child processes as a user runs it: `mloop runs list --json`,
`mloop runs logs`, `mloop models list` through a server; an unreachable server is one line and exit
code 2; and `mloop server` itself ignores a tracking_uri in its own mloop.yaml (it is the server)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import remote_project as rp

import mloop
from mloop.stores.metadata import open_metadata_stores
from servers import free_port, stop_process


def mloop_cli(*args: str, uri: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return mloop_cli_at_once([list(args)], uri=uri, cwd=cwd)[0]


def mloop_cli_at_once(commands: list[list[str]], *, uri: str, cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    """`mloop COMMAND` for each command, as child processes running side by side."""
    env = {**os.environ, "MLOOP_TRACKING_URI": uri, "PYTHONPATH": os.pathsep.join(sys.path), "COLUMNS": "200"}
    children = [(args, subprocess.Popen([sys.executable, "-m", "mloop.cli.main", *args], cwd=cwd, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
                for args in commands]
    done = []
    for args, child in children:
        out, err = child.communicate(timeout=60)
        done.append(subprocess.CompletedProcess(args, child.returncode, out, err))
    return done


def test_runs_logs_and_models_listed_through_the_server(remote_workspace: Path, tmp_path: Path) -> None:
    run = rp.training.run(n=50)
    mloop.register_model("cli-model", run.output("train"))
    mloop.promote("cli-model/1", alias="challenger")
    elsewhere = tmp_path / "elsewhere"  # another machine's folder: nothing local but the server's URL
    elsewhere.mkdir()
    uri = os.environ["MLOOP_TRACKING_URI"]

    runs, logs, models = mloop_cli_at_once([["runs", "list", "--json"], ["runs", "logs", run.id[:10], "make_data"],
                                            ["models", "list"]], uri=uri, cwd=elsewhere)

    assert runs.returncode == 0, runs.stderr
    assert [(r["id"], r["status"]) for r in json.loads(runs.stdout)] == [(run.id, "succeeded")]
    assert logs.returncode == 0 and "making 50 rows" in logs.stdout, logs.stderr
    assert models.returncode == 0 and "cli-model" in models.stdout and "challenger" in models.stdout


def test_an_unreachable_server_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    with socket.socket() as held:  # bound, never listening: refused, and no other process can take it
        held.bind(("127.0.0.1", 0))
        uri = f"http://127.0.0.1:{held.getsockname()[1]}"
        result = mloop_cli("runs", "list", uri=uri, cwd=tmp_path)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot reach the mloop server at {uri}" in lines[0]
    assert "is `mloop server` running there?" in lines[0] and "Traceback" not in result.stderr


def test_mloop_server_serves_its_own_stores_despite_a_tracking_uri(tmp_path: Path) -> None:
    project = tmp_path / "team"
    project.mkdir()
    (project / "mloop.yaml").write_text(f"tracking_uri: http://127.0.0.1:{free_port()}\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOOP_")}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    with open(tmp_path / "server.log", "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "mloop.cli.main", "server", "--port", str(port)],
                                  cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)
    uri = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(uri, server, tmp_path / "server.log")
        client = tmp_path / "client"
        client.mkdir()
        started = mloop_cli("runs", "list", "--json", uri=uri, cwd=client)
        assert started.returncode == 0 and json.loads(started.stdout) == [], started.stderr
        with httpx.Client(base_url=uri) as http:  # one write, as the SDK sends it
            run = {"__t": "record", "n": "RunRecord", "v": {
                "id": "01remotecli0000000000000000", "pipeline": "p", "status": "succeeded", "params": {},
                "graph": {}, "graph_hash": "h", "created_at": {"__t": "datetime", "v": "2026-01-01T00:00:00+00:00"}}}
            assert http.post("/api/v1/stores/runs/create_run", json={"args": [run, []]}).status_code == 200
    finally:
        stop_process(server)
    stores = open_metadata_stores(f"sqlite:///{project / '.mloop' / 'mloop.db'}")
    assert [r.id for r in stores.runs.list_runs()] == ["01remotecli0000000000000000"]
    stores.close()


def _wait_healthy(uri: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"mloop server exited with {server.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{uri}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"mloop server did not answer within 30 s:\n{log.read_text()}")
        time.sleep(0.1)
