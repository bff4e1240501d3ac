"""The mistakes a new user makes with a team server, as they make them: `mloop server --auth` in a
child process over its own folder, and the CLI and a Python script in another folder pointed at it
with MLOOP_TRACKING_URI. A wrong or missing token, a mistyped URL, a bad query value and a server
killed while a script logs metrics each end in one line (exit code 2 for the CLI), and a remote
pipeline's step logs hold the step's own lines, not the HTTP client's."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mloop_env import MLOOP_VARIABLES
from servers import free_port, stop_process, wait_until_listening

SRC = str(Path(__file__).resolve().parents[2] / "src")

PIPELINE = '''
import pandas as pd
from mloop import pipeline, step

@step
def make_rows(n: int) -> pd.DataFrame:
    print(f"making {n} rows")
    return pd.DataFrame({"x": range(n)})

@step
def total(rows: pd.DataFrame) -> int:
    print("summing")
    return int(rows["x"].sum())

@pipeline(name="trial")
def trial(n: int = 10):
    total(make_rows(n))

if __name__ == "__main__":
    print("run", trial.run(n=10).id)
'''

LOGGER = '''
import pathlib, time
import mloop
with mloop.start_run(experiment="outage") as run:
    print(run.id, flush=True)
    i = 0
    while not pathlib.Path("stop").exists() or i < 50:
        run.log_metrics({"x": float(i)}, step=i)
        i += 1
        time.sleep(0.002)
print("logged", i, flush=True)
'''


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in MLOOP_VARIABLES and k not in ("MLOOP_TOKEN", "MLOOP_HOME")}
    env.pop("MLOOP_SERVER_PROCESS", None)
    return {**env, "PYTHONPATH": os.pathsep.join([SRC, *sys.path]), "COLUMNS": "200", **extra}


def _mloop(*args: str) -> list[str]:
    return [sys.executable, "-m", "mloop.cli.main", *args]


@dataclass
class Team:
    folder: Path
    port: int
    editor: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(_mloop("server", "--auth", "--port", str(self.port)), cwd=self.folder, env=_env(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_listening(self.port, process, "mloop server --auth")
        return process

    def client_env(self, token: str | None = None) -> dict[str, str]:
        return _env(MLOOP_TRACKING_URI=self.url, MLOOP_TOKEN=self.editor if token is None else token)


def _token(folder: Path, name: str, role: str) -> str:
    done = subprocess.run(_mloop("tokens", "create", name, "--role", role), cwd=folder, env=_env(),
                          capture_output=True, text=True, check=True)
    return re.search(r"^(mlp_\S+)$", done.stdout, re.MULTILINE).group(1)  # type: ignore[union-attr]


@pytest.fixture
def team(tmp_path: Path) -> Team:
    folder = tmp_path / "server"
    folder.mkdir()
    _token(folder, "root", "admin")
    return Team(folder, free_port(), _token(folder, "alice", "editor"))


@pytest.fixture
def served(team: Team) -> Iterator[Team]:
    process = team.start()
    try:
        yield team
    finally:
        stop_process(process)


@pytest.fixture
def client_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "client"
    folder.mkdir()
    return folder


def _at_once(commands: list[tuple[list[str], dict[str, str]]], cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    children = [subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for args, env in commands]
    done = []
    for child in children:
        out, err = child.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(child.args, child.returncode, out, err))
    return done


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, lines
    return lines[0]


def test_wrong_or_missing_token_mistyped_urls_and_ui_of_a_client_are_one_line_each(served: Team,
                                                                                  client_folder: Path) -> None:
    wrong, missing, typo, ui, api_url = _at_once([
        (_mloop("runs", "list"), served.client_env("mlp_wrong")),
        (_mloop("runs", "list"), served.client_env("")),
        (_mloop("runs", "list"), {**served.client_env(), "MLOOP_TRACKING_URI": "htp://127.0.0.1:5000"}),
        (_mloop("ui", "--port", str(free_port())), served.client_env()),
        (_mloop("runs", "list"), {**served.client_env(), "MLOOP_TRACKING_URI": served.url + "/api/v1"}),
    ], client_folder)

    assert "does not know the token in MLOOP_TOKEN" in _one_line(wrong)
    assert f"the mloop server at {served.url} needs a token: set MLOOP_TOKEN" in _one_line(missing)
    line = _one_line(typo)
    assert "'htp://127.0.0.1:5000'" in line and "MLOOP_TRACKING_URI" in line and "http://HOST:PORT" in line
    assert "database" not in line  # not mistaken for a database URL any more
    assert f"open its web UI at {served.url}/" in _one_line(ui)  # not an empty local workspace, silently
    assert "to the mloop server's root URL, http://HOST:PORT without /api/v1" in _one_line(api_url)  # not '{"detail"...'


def test_a_remote_pipeline_is_listed_logged_and_shown_by_the_server(served: Team, client_folder: Path) -> None:
    (client_folder / "trial.py").write_text(PIPELINE)
    html = {"Authorization": f"Bearer {served.editor}", "Accept": "text/html"}
    assert "No runs yet: start one with" in httpx.get(f"{served.url}/runs", headers=html).text
    ran = subprocess.run([sys.executable, "trial.py"], cwd=client_folder, env=served.client_env(),
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    run_id = re.search(r"^run (\w+)$", ran.stdout, re.MULTILINE).group(1)  # type: ignore[union-attr]

    listed, logs = _at_once([(_mloop("runs", "list", "--json"), served.client_env()),
                             (_mloop("runs", "logs", run_id[:12], "make_rows"), served.client_env())], client_folder)

    assert [(r["id"], r["status"]) for r in json.loads(listed.stdout)] == [(run_id, "succeeded")], listed.stderr
    assert logs.returncode == 0 and logs.stdout.strip() == "making 10 rows", (logs.stdout, logs.stderr)
    assert not (client_folder / ".mloop" / "mloop.db").exists()  # nothing but a download cache on the client
    with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {served.editor}"}, timeout=30) as http:
        page = http.get("/runs", headers={"Accept": "text/html"})
        assert page.status_code == 200 and f'href="/runs/{run_id}"' in page.text
        assert "No runs match." in http.get("/runs?q=params.n+%3E+99", headers={"Accept": "text/html"}).text
        bad_page = http.get("/runs?page=abc", headers={"Accept": "text/html"})
        assert bad_page.status_code == 400 and "query parameter &#39;page&#39;" in bad_page.text
        bad_call = http.get("/api/v1/runs?limit=abc").json()
        assert bad_call["error"]["type"] == "ValidationError"
        assert bad_call["error"]["message"].startswith("query parameter 'limit': ")


def _wait_for(predicate: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.05)


def test_a_server_killed_while_a_script_logs_is_one_line_and_no_point_is_lost(team: Team,
                                                                             client_folder: Path) -> None:
    (client_folder / "logger.py").write_text(LOGGER)
    server = team.start()
    err_path = client_folder / "stderr.txt"
    with err_path.open("w") as err:
        script = subprocess.Popen([sys.executable, "logger.py"], cwd=client_folder, env=team.client_env(),
                                  stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        run_id = script.stdout.readline().strip()  # type: ignore[union-attr]
        server.kill()  # kill -9
        server.wait()
        _wait_for(lambda: "could not write tracked values" in err_path.read_text(), "the client's error line")
        server = team.start()  # the same folder and port: the team's server is back
        _wait_for(lambda: "again" in err_path.read_text(), "the client's recovery line")
        (client_folder / "stop").touch()
        out, _ = script.communicate(timeout=60)
        with httpx.Client(base_url=team.url, headers={"Authorization": f"Bearer {team.editor}"}, timeout=30) as http:
            points = http.get(f"/api/v1/runs/{run_id}/metrics/x").json()
    finally:
        if script.poll() is None:
            script.kill()
        stop_process(server)
    assert script.returncode == 0
    logged = int(re.search(r"logged (\d+)", out).group(1))  # type: ignore[union-attr]
    assert [p["step"] for p in points] == list(range(logged))  # what piled up in the outage was written after
    lines = err_path.read_text().strip().splitlines()
    assert len(lines) == 2, lines  # one line for the outage (not one a second), one when writes resume
    assert f"cannot reach the mloop server at {team.url}" in lines[0] and "kept and retried" in lines[0]
    assert lines[1] == f"mloop writes tracked values to {team.url} again"
