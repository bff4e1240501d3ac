"""One small workspace for every UI test of runs and monitors, and a real server over it.

The workspace: the `ui-training` pipeline run twice with the same params (the second run is all
cached steps), twice more with other learning rates (train runs again), once failing in evaluate;
a `volume` monitor run at five times (a failure resolved, then a failure left open), and an alert
trigger of it that started a retraining run."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from ui_workspace import UiWorld

import mloop
from mloop.stores.metadata.schedules import FireRecord
from mloop_env import MLOOP_VARIABLES
from servers import free_port

#: the monitor's clock (results are at T0 + 1h .. T0 + 5h)
T0 = datetime(2031, 1, 1, 12, 0, tzinfo=timezone.utc)


def _build(home: Path) -> dict[str, object]:
    from ui_steps import training

    first = training.run(lr=0.1).id
    cached = training.run(lr=0.1).id
    others = [training.run(lr=0.2, model="lgbm").id, training.run(lr=0.3).id]
    with pytest.raises(mloop.MloopError):
        training.run(lr=0.1, fail=True)
    failed = mloop.list_runs(status="failed", limit=1)[0].id
    mloop.apply_monitors([mloop.Monitor("fraud-volume", "volume", model="fraud", window="1h", options={"min": 3})])
    counts = [5, 1, 4, 6, 0]  # fails at hour 1 (resolved at 2), fails again at hour 4 (left open)
    for hour, count in enumerate(counts):
        end = T0 + timedelta(hours=hour + 1)
        _log_predictions("fraud", [end - timedelta(minutes=5 + i) for i in range(count)], f"h{hour}-")
        mloop.run_monitor("fraud-volume", at=end)
    open_alert = mloop.list_alerts(status="open")[0].id
    # what a scheduler records when the alert trigger starts a retraining run (here: a run made above)
    trigger = mloop.add_trigger("retrain-on-volume", on_alert="fraud-volume", pipeline="ui_steps:training")
    fired = T0 + timedelta(hours=5, minutes=1)
    mloop.get_workspace().schedules.advance_trigger(trigger.name, trigger.revision, trigger.state, fired, FireRecord(
        "trigger", trigger.name, fired, fired, "ui-tests", "started", others[1]))
    return dict(first=first, cached=cached, others=others, failed=failed, monitor="fraud-volume",
                open_alert=open_alert)


def _log_predictions(model: str, times: list[datetime], prefix: str) -> None:
    n = len(times)
    if n:
        mloop.get_workspace().predictions.add_predictions({
            "request_id": [f"{prefix}{i}" for i in range(n)], "time": times, "model": [model] * n,
            "version": [1] * n, "deployment": [None] * n, "role": ["primary"] * n,
            "training_fingerprint": [None] * n, "inputs": ['{"x": 1}'] * n, "outputs": ['{"prediction": 0}'] * n,
            "latency_ms": [1.0] * n, "entity_key": [None] * n})


def _enter(patch: pytest.MonkeyPatch, home: Path) -> None:
    """Make `home` the project of this process (what the server in its thread opens per request)."""
    for variable in MLOOP_VARIABLES:
        patch.delenv(variable, raising=False)
    patch.setenv("MLOOP_HOME", str(home))
    patch.setenv("MLOOP_DB_URL", f"sqlite:///{home}/mloop.db")
    patch.chdir(home)


@pytest.fixture(scope="package")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiWorld]:
    """The workspace, built once, and the server over it. The project is entered only while
    building here and during each test (`ui_world`), so nothing leaks into tests elsewhere."""
    import uvicorn

    from mloop.server.app import create_server_app
    from mloop.stores.workspace import reset_workspaces

    home = tmp_path_factory.mktemp("ui-world")
    with pytest.MonkeyPatch.context() as patch:
        _enter(patch, home)
        reset_workspaces()
        built = _build(home)
        reset_workspaces()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_server_app(), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the UI test server did not start")
        time.sleep(0.02)
    yield UiWorld(url=f"http://127.0.0.1:{port}", home=home, **built)  # type: ignore[arg-type]
    server.should_exit = True
    thread.join(10)
    reset_workspaces()


@pytest.fixture
def ui_world(ui_server: UiWorld, monkeypatch: pytest.MonkeyPatch) -> UiWorld:
    """The UI workspace and its server, the workspace being this process' project for the test."""
    _enter(monkeypatch, ui_server.home)
    return ui_server


@pytest.fixture
def api(ui_world: UiWorld) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=ui_world.url, timeout=30) as client:
        yield client
