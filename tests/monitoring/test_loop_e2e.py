"""The loop's automatic rollback with real processes: `mloop serve` follows clf@champion,
`mloop scheduler` runs a champion watch every second; a worse model promoted by hand is rolled
back by the watch once labels show it, the server swaps back by itself, and an alert says why."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import monitoring_models as mm
import numpy as np
import pandas as pd
import pytest

import mloop
from mloop.stores.workspace import get_workspace
from servers import free_port, stop_process, wait_until_listening


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def processes(sqlite_workspace: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        stop_process(process)


def send(url: str, data: pd.DataFrame, prefix: str) -> list[str]:
    ids = [f"{prefix}-{i}" for i in range(len(data))]
    with httpx.Client(base_url=url, timeout=30) as client:
        for request_id, record in zip(ids, data[mm.FEATURES].to_dict("records"), strict=True):
            response = client.post("/predict", json=record, headers={"x-request-id": request_id})
            assert response.status_code == 200, response.text
    wait_for(lambda: len(get_workspace().predictions.logged_request_ids(ids)) == len(ids), "the log")
    mloop.log_labels(pd.DataFrame({"request_id": ids, "label": data["y"].to_numpy()}))
    return ids


def test_a_worse_champion_is_rolled_back_by_the_running_loop(sqlite_workspace: Path,
                                                            processes: list[subprocess.Popen[bytes]]) -> None:
    from sklearn.linear_model import LogisticRegression

    good = mm.register("clf", seed=0)
    train = mm.frame(2000, seed=1)
    shuffled = np.random.default_rng(0).permutation(train["y"].to_numpy())  # learns nothing
    bad = mloop.register_model("clf", LogisticRegression().fit(train[mm.FEATURES], shuffled),
                               training_data=train.drop(columns="y"), metrics={"val_auc": 0.5})
    mloop.promote(good, force=True, reason="first champion")
    mloop.apply_monitors([mloop.Monitor("clf-watch", "champion_watch", model="clf", window="10m", schedule="@every 1s",
                                        options={"signals": ["performance"], "min_predictions": 100})])
    port, env = free_port(), {**os.environ, "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen([sys.executable, "-m", "mloop.cli.main", "serve", "clf@champion", "--port", str(port),
                               "--poll-seconds", "0.5"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes.append(server)
    wait_until_listening(port, server, "mloop serve")
    url = f"http://127.0.0.1:{port}"
    version = lambda: httpx.get(f"{url}/metadata", timeout=5).json()["version"]  # noqa: E731
    processes.append(subprocess.Popen([sys.executable, "-m", "mloop.cli.main", "scheduler", "--tick", "0.5s"],
                                      env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    send(url, mm.frame(300, seed=2), "before")  # the good champion's live record
    mloop.promote(bad, force=True, reason="by hand, without the gate")
    wait_for(lambda: version() == f"clf/{bad.version}", "the server to follow the promotion")
    send(url, mm.frame(300, seed=3), "after")  # the new champion answers; its labels arrive

    wait_for(lambda: mloop.model_aliases("clf")["clf"]["champion"] == good.version, "the watch to roll back")
    wait_for(lambda: version() == f"clf/{good.version}", "the server to swap back")

    rollback = mloop.alias_history("clf", "champion")[-1]
    assert rollback.action == "rollback" and rollback.reason.startswith("clf-watch: clf/2 does worse than clf/1")
    [alert] = mloop.list_alerts(status="open", source="clf-watch")
    assert f"rolled back clf@champion from {bad.version} to {good.version}" in alert.summary
    [deployment] = mloop.list_deployments("clf")
    swaps = [(e.from_version, e.to_version) for e in mloop.get_deployment(deployment.id)[1] if e.kind == "swap"]
    assert swaps == [("clf/1", "clf/2"), ("clf/2", "clf/1")]
    fires = mloop.schedule_fires("monitor:clf-watch")
    assert fires and all(f.outcome == "started" for f in fires)  # the scheduler ran the watch
