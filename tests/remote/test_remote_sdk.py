"""The Python SDK in remote client mode: pipelines, tracking, search, registry and artifacts work
through the server exactly as locally, and nothing is written to the client's own folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import remote_project as rp

import mloop
from mloop.stores.metadata import open_metadata_stores


def test_a_pipeline_run_is_recorded_on_the_server(remote_workspace: Path, server_folder: Path) -> None:
    run = rp.training.run(n=120)

    assert run.status == "succeeded"
    assert [s.status for s in run.steps] == ["succeeded", "succeeded"]
    # the server's own database holds the run and its artifacts; the client keeps no database
    server_db = open_metadata_stores(f"sqlite:///{server_folder / '.mloop' / 'mloop.db'}")
    assert server_db.runs.get_run(run.id).status == "succeeded"
    server_db.close()
    assert not (remote_workspace / ".mloop" / "mloop.db").exists()
    assert len(list((server_folder / ".mloop" / "artifacts" / "objects").glob("*/*"))) >= 3  # data, model, logs
    # read back as a user does: outputs, step logs, metrics
    again = mloop.get_run(run.id[:8])
    assert again.output("make_data").load().shape == (120, 3)
    assert "making 120 rows" in again.step("make_data").logs()
    assert mloop.get_metric_history(run.id, "loss")["value"].tolist() == [1.0, 0.5, pytest.approx(1 / 3)]


def test_cached_steps_are_found_through_the_server(remote_workspace: Path) -> None:
    first = rp.training.run(n=80)
    second = rp.training.run(n=80)

    assert [s.status for s in second.steps] == ["cached", "cached"]
    assert second.output("train").id == first.output("train").id


def test_notebook_runs_log_and_search(remote_workspace: Path) -> None:
    for c in (0.1, 1.0, 10.0):
        with mloop.start_run(experiment="remote-notebook") as run:
            run.log_params({"c": c})
            run.log_metrics({"score": c * 2})
    found = mloop.search_runs("experiment = 'remote-notebook' and metrics.score > 1 and params.c != '10.0'")

    assert found["params.c"].tolist() == ["1.0"] and found["metrics.score"].tolist() == [2.0]
    assert mloop.best_run("score", "experiment = 'remote-notebook'").params["c"] == "10.0"
    assert len(mloop.search_runs("params.c = '0.1'", order_by="metrics.score")) == 1


def test_logged_points_travel_in_batches(remote_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mloop.server import security

    writes: list[str] = []
    monkeypatch.setattr(security, "audit", lambda principal, action, target, detail=None: writes.append(action))
    with mloop.start_run(experiment="batching") as run:
        for step in range(2000):
            mloop.log_metrics({"a": 0.1, "b": 0.2, "c": 0.3}, step=step)

    assert len(mloop.get_metric_history(run.id, "c")) == 2000
    # 6,000 points in 2,000 calls: a flush per second of logging at most, never a request per call
    assert 1 <= writes.count("tracking.log_batch") <= 10
