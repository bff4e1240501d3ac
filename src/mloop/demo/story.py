"""`mloop demo`: the whole loop on the embedded defaults, told as it happens.

A team has two months of card transactions. It trains a fraud model through a pipeline that
validates the data, builds point-in-time features and blesses the model against the champion;
serves it with every prediction logged; watches the logged inputs with a drift monitor. The
holiday season arrives: traffic drifts, the monitor fails and raises an alert, the alert starts
the training pipeline on the fresh labelled data, the new model beats the champion on the newest
transactions and is promoted, and the running server switches to it without failing a request.
Labels arrive, and performance is measured on live traffic, for both versions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mloop
from mloop.core.clock import utcnow
from mloop.demo import data, project
from mloop.demo.traffic import Scheduler, Sent, Server, send
from mloop.demo.workspace import demo_workspace
from mloop.stores.workspace import Workspace

#: (kind, text): kind is "stage" (a numbered step of the story) or "line" (what it did)
Say = Callable[[str, str], None]
DRIFT_MONITOR = "fraud-input-drift"
PERFORMANCE_MONITOR = "fraud-performance"
ESTIMATE_MONITOR = "fraud-estimated-performance"
#: the file that marks a folder as the demo's own (so a second demo may start it afresh)
MARKER = ".mloop-demo"


@dataclass
class LoopDemo:
    folder: Path
    workspace: Workspace
    #: version served before and after the loop closed ("fraud/1", "fraud/2")
    served: list[str] = field(default_factory=list)
    #: monitor name -> statuses in the order they ran
    monitor_statuses: dict[str, list[str]] = field(default_factory=dict)
    alert: Any = None
    retrain_run: str | None = None
    blessing: dict[str, Any] = field(default_factory=dict)
    #: requests that failed while the server switched versions (must be 0)
    failed_during_swap: int = 0
    #: realized AUC on live traffic per version, once labels arrived
    live_auc: dict[str, float] = field(default_factory=dict)
    example_request: str = ""
    #: in every request id, so a second demo in the same folder logs new requests
    nonce: str = field(default_factory=lambda: format(int(time.time()) % 1_000_000, "05x"))


def run_loop_demo(folder: Path, say: Say) -> LoopDemo:
    """Tell the story in `folder` (a new folder, or one an earlier demo made: started afresh)."""
    folder = folder.resolve()
    _fresh(folder, say)
    mloop.init_project(folder)
    (folder / MARKER).write_text("made by `mloop demo`; it starts afresh here each time\n")
    workspace = demo_workspace(folder)
    demo = LoopDemo(folder, workspace)
    processes: list[Any] = []
    try:
        _history(demo, say)
        _train_first(demo, say)
        server = _serve(demo, say)
        processes.append(server)
        processes.append(_watch(demo, say))
        normal = _traffic(demo, say, server, "normal", 600, seed=10)
        say("stage", "the holiday season: two weeks of fresh labelled data land, and today's traffic drifts")
        for path in data.write_fresh(demo.folder / "data", utcnow()):
            say("line", f"wrote {path.relative_to(demo.folder)}")
        mloop.materialize_features(None, workspace=demo.workspace)
        holiday = _traffic(demo, say, server, "holiday", 1_200, seed=11, quiet=False, title=False)
        _retrain(demo, say, server)
        after = _traffic(demo, say, server, "holiday", 600, seed=12, quiet=True)
        _labels(demo, say, [normal, holiday, after])
    finally:
        for process in reversed(processes):
            process.stop()
    return demo


def _fresh(folder: Path, say: Say) -> None:
    """An earlier demo's state is removed; any other non-empty folder is refused."""
    import shutil

    from mloop.core.errors import ConfigError
    from mloop.stores.workspace import reset_workspaces

    if not folder.exists() or not any(folder.iterdir()):
        return
    if not (folder / MARKER).exists():
        raise ConfigError(f"{folder} is not empty and was not made by `mloop demo`; choose another with --folder")
    reset_workspaces()  # close the stores of an earlier demo in this process before removing them
    for name in (".mloop", "data", "mloop.yaml"):
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    say("line", f"(starting afresh in {folder}: the previous demo's state was removed)")


def _history(demo: LoopDemo, say: Say) -> None:
    say("stage", "two months of history: card statistics and labelled transactions; features defined and materialized")
    written = data.write_history(demo.folder / "data", utcnow())
    mloop.apply_features(project.feature_definitions(demo.folder), workspace=demo.workspace)
    online = mloop.materialize_features(None, workspace=demo.workspace)
    for path in written:
        say("line", f"wrote {path.relative_to(demo.folder)}")
    say("line", f"feature view card_stats: latest values of {online[0].rows:,} cards in the online store")


def _train_first(demo: LoopDemo, say: Say) -> None:
    say("stage", "train v1: validate → point-in-time features → train → evaluate → bless → champion")
    run = project.fraud_training.run(workspace=demo.workspace, data=str(demo.folder / "data" / "transactions"))
    gate = run.output("bless").load()
    say("line", f"run {run.id}: {sum(s.status == 'succeeded' for s in run.steps)} steps; "
                f"metrics {run.output('evaluate').load()}")
    say("line", f"gate: {gate['summary']}")


def _serve(demo: LoopDemo, say: Say) -> Server:
    say("stage", "serve fraud@champion (a real `mloop serve` process; every prediction logged)")
    server = Server.start(demo.folder, "fraud@champion")
    demo.served.append(server.version())
    say("line", f"{server.url} serves {demo.served[-1]}; requests carry a card id, the server adds its features")
    return server


def _watch(demo: LoopDemo, say: Say) -> Any:
    say("stage", "watch it: monitors on the logged predictions; a drift alert starts the training pipeline")
    monitors = [
        mloop.Monitor(DRIFT_MONITOR, "data_drift", model=project.MODEL, window="10m", schedule="@every 1m",
                      description="logged inputs vs the serving version's training data"),
        mloop.Monitor(ESTIMATE_MONITOR, "estimated_performance", model=project.MODEL, window="10m",
                      schedule="@every 5m", description="AUC estimated from predicted probabilities, no labels"),
        mloop.Monitor(PERFORMANCE_MONITOR, "performance", model=project.MODEL, window="1h", schedule="@every 5m",
                      description="AUC once labels arrive, vs the value at blessing"),
    ]
    mloop.apply_monitors(monitors, workspace=demo.workspace)
    mloop.add_trigger("retrain-on-drift", on_alert=DRIFT_MONITOR, pipeline="mloop.demo.project:fraud_training",
                      workspace=demo.workspace)
    for monitor in monitors:
        say("line", f"monitor {monitor.name}: {monitor.kind} of {monitor.model} over {monitor.window}, {monitor.schedule}")
    say("line", f"trigger retrain-on-drift: an alert of {DRIFT_MONITOR} runs fraud-training")
    scheduler = Scheduler.start(demo.folder)
    say("line", f"`mloop scheduler` runs them (pid {scheduler.process.pid}, log {scheduler.log.relative_to(demo.folder)})")
    return scheduler


def _traffic(demo: LoopDemo, say: Say, server: Server, season: data.Season, count: int, seed: int,
             quiet: bool = False, title: bool = True) -> Sent:
    if title and not quiet:
        say("stage", "normal traffic: what v1 was trained for")
    sent = send(server.url, data.requests(count, season, seed, demo.nonce), season=season)
    _wait_logged(demo.workspace, sent.request_ids[-1])
    demo.example_request = demo.example_request or sent.request_ids[0]
    if quiet:
        return sent
    say("line", f"sent {len(sent.request_ids):,} transactions in {sent.seconds:.1f} s, answered by "
                f"{', '.join(f'{v} ({n})' for v, n in sent.versions.items())}; {sent.errors} failed")
    result = mloop.run_monitor(DRIFT_MONITOR, workspace=demo.workspace)
    demo.monitor_statuses.setdefault(DRIFT_MONITOR, []).append(result.status)
    say("line", f"{DRIFT_MONITOR}: {result.status.upper()} — {result.summary}")
    if result.status == "failed":
        alerts = mloop.list_alerts(status="open", source=DRIFT_MONITOR, workspace=demo.workspace)
        demo.alert = alerts[0] if alerts else None
        if demo.alert is not None:
            say("line", f"alert {demo.alert.id} opened ({demo.alert.severity}); the trigger retrain-on-drift fires on it")
    return sent


def _retrain(demo: LoopDemo, say: Say, server: Server) -> None:
    say("stage", "the alert's trigger runs the training pipeline on the fresh data; the gate decides")
    # the load the server keeps getting while the loop retrains, promotes and it switches
    traffic = _Background(server.url, demo.nonce)
    traffic.start()
    started = time.monotonic()
    try:
        demo.retrain_run = _triggered_run(demo.workspace)
        run = mloop.get_run(demo.retrain_run, workspace=demo.workspace)
        demo.blessing = run.output("bless").load()
        say("line", f"run {run.id} ({run.status}), started by the scheduler {time.monotonic() - started:.1f} s "
                    f"after the alert; gate: {demo.blessing['summary']}")
        for rule in demo.blessing["rules"]:
            say("line", f"  {rule['rule']}: {rule['reason']}")
        say("stage", "serving follows: the server switches to the new champion with no failed request")
        swap = time.monotonic()
        while server.version() == demo.served[-1] and time.monotonic() - swap < 30:
            time.sleep(0.1)
        demo.served.append(server.version())
        promoted = mloop.alias_history(project.MODEL, "champion", workspace=demo.workspace)[-1].changed_at
    finally:
        demo.failed_during_swap = traffic.stop()
    swaps = [e for e in mloop.get_deployment(server.deployment_id(), workspace=demo.workspace)[1] if e.kind == "swap"]
    after = f" {(swaps[-1].time - promoted).total_seconds():.1f} s after the promotion" if swaps else ""
    say("line", f"{demo.served[0]} → {demo.served[-1]}{after}; {traffic.sent:,} requests sent while the loop "
                f"retrained, promoted and swapped: {demo.failed_during_swap} failed")


def _triggered_run(workspace: Workspace, timeout: float = 180) -> str:
    """The run the alert trigger started, once it ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fires = mloop.trigger_fires("retrain-on-drift", workspace=workspace)
        if fires and fires[0].result is not None and fires[0].run_id:
            return fires[0].run_id  # the scheduler saw the run end
        time.sleep(0.25)
    from mloop.core.errors import BackendError

    raise BackendError(f"the retraining run did not end within {timeout:g} s; see .mloop/logs/scheduler.log")


def _labels(demo: LoopDemo, say: Say, bursts: list[Sent]) -> None:
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    say("stage", "labels arrive: performance on live traffic, measured and estimated")
    truth = pd.DataFrame({"request_id": [i for b in bursts for i in b.request_ids],
                          "label": [t for b in bursts for t in b.truth]})
    logged = mloop.log_labels(truth, workspace=demo.workspace)
    say("line", f"{logged.matched:,} labels joined to logged predictions by request id")
    frame = mloop.predictions(project.MODEL, with_labels=True, workspace=demo.workspace).dropna(subset=["label"])
    holiday_ids = {i for b in bursts if b.season == "holiday" for i in b.request_ids}
    holiday = frame[frame["request_id"].isin(holiday_ids)]
    for version, rows in holiday.groupby("version"):
        auc = float(roc_auc_score(rows["label"].astype(int), rows["probability_1"]))
        demo.live_auc[f"{project.MODEL}/{version}"] = round(auc, 4)
        say("line", f"{project.MODEL}/{version} on holiday traffic: AUC {auc:.3f} over {len(rows):,} labelled requests")
    for name in (PERFORMANCE_MONITOR, ESTIMATE_MONITOR):
        result = mloop.run_monitor(name, workspace=demo.workspace)
        demo.monitor_statuses.setdefault(name, []).append(result.status)
        say("line", f"{name}: {result.status.upper()} — {result.summary}")


def _wait_logged(workspace: Workspace, request_id: str, timeout: float = 30) -> None:
    """The server logs asynchronously (about once a second): wait until the last request is in."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if workspace.predictions.logged_request_ids([request_id]):
            return
        time.sleep(0.2)


class _Background(threading.Thread):
    """Holiday traffic, a few requests at a time, until stopped; counts failures."""

    def __init__(self, url: str, nonce: str) -> None:
        super().__init__(daemon=True)
        self.url, self.nonce, self.sent, self.failed = url, nonce, 0, 0
        self._halt = threading.Event()

    def run(self) -> None:
        seed = 100
        while not self._halt.is_set():
            burst = send(self.url, data.requests(40, "holiday", seed, self.nonce), concurrency=2, season="holiday")
            self.sent += len(burst.request_ids)
            self.failed += burst.errors
            seed += 1

    def stop(self) -> int:
        self._halt.set()
        self.join(30)
        return self.failed
