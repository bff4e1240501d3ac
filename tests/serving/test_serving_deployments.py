"""Deployments are recorded: `mloop serve` starts one, reports its swaps and refused candidates,
and stops it; `mloop deployments` lists them and shows their events."""

from __future__ import annotations

import json
import time

import httpx
import serving_models
from served import serving
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app


def test_serve_records_its_deployment_and_every_swap(fraud) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    with serving("fraud@champion", "--poll-seconds", "0.2", "--canary", "fraud/1", "--canary-percent", "5") as server:
        (running,) = mloop.list_deployments("fraud")
        serving_models.register_fraud(seed=5, c=0.01)
        deadline = time.monotonic() + 30
        while httpx.get(f"{server.url}/metadata").json()["version"] != "fraud/2" and time.monotonic() < deadline:
            time.sleep(0.1)
        listed = json.loads(runner.invoke(app, ["deployments", "--json"]).output)
    record, events = mloop.get_deployment(running.id[:8])

    assert (running.status, running.follows, running.version, running.url) == (
        "running", "fraud@champion", "fraud/1", server.url)
    assert running.traffic == {"canary": {"ref": "fraud/1", "percent": 5.0}}
    assert [(d["id"], d["status"], d["version"]) for d in listed] == [(running.id, "running", "fraud/2")]
    assert (record.status, record.version) == ("stopped", "fraud/2") and record.stopped_at is not None
    assert [(e.kind, e.from_version, e.to_version) for e in events] == [
        ("start", None, "fraud/1"), ("swap", "fraud/1", "fraud/2"), ("stop", None, None)]
    shown = runner.invoke(app, ["deployments", "show", running.id])
    assert shown.exit_code == 0 and "swap" in shown.output and running.id in shown.output
    missing = runner.invoke(app, ["deployments", "show", "nope"])
    assert missing.exit_code == 2 and "no deployment 'nope'" in missing.output


def test_two_workers_record_a_swap_once(fraud) -> None:  # type: ignore[no-untyped-def]
    with serving("fraud@champion", "--workers", "2", "--poll-seconds", "0.2") as server:
        (running,) = mloop.list_deployments("fraud")
        serving_models.register_fraud(seed=5, c=0.01)  # promotes fraud/2: both workers swap on their own
        deadline = time.monotonic() + 30
        seen: list[str] = []
        while time.monotonic() < deadline:  # new connections land on either worker: both must have swapped
            seen = [httpx.get(f"{server.url}/metadata", headers={"Connection": "close"}).json()["version"]
                    for _ in range(16)]
            if set(seen) == {"fraud/2"}:
                break
            time.sleep(0.1)
        time.sleep(0.5)
    _, events = mloop.get_deployment(running.id)

    assert set(seen) == {"fraud/2"}
    assert [(e.kind, e.to_version) for e in events if e.kind == "swap"] == [("swap", "fraud/2")]
