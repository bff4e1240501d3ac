"""The demo's server and its traffic: `mloop serve` as a real process, and requests sent to it
the way clients would (one transaction per request, several at a time)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mloop.demo.data import REQUEST_FIELDS
from mloop.serving.child_server import free_port, stop, wait_ready

#: settings the demo's own processes must not inherit (the demo runs on its embedded defaults)
FOREIGN = ("MLOOP_DB_URL", "MLOOP_ARTIFACTS_URL", "MLOOP_ONLINE_URL", "MLOOP_TRACKING_URI", "MLOOP_EXECUTOR",
           "MLOOP_ADDRESS", "MLOOP_S3_ENDPOINT_URL")


def project_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN}
    env["MLOOP_HOME"] = str(folder)
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @classmethod
    def start(cls, folder: Path, reference: str, poll_seconds: float = 1.0, timeout: float = 60) -> Server:
        """`mloop serve REFERENCE` in `folder`, ready to answer (its output goes to a log file)."""
        port = free_port()
        log = folder / ".mloop" / "logs" / "demo-server.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w+b") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "mloop.cli.main", "serve", reference, "--port", str(port),
                 "--poll-seconds", str(poll_seconds)], cwd=folder, env=project_env(folder), stdout=out,
                stderr=subprocess.STDOUT)
            server = cls(process, f"http://127.0.0.1:{port}", log)
            wait_ready(server.url, process, out, f"the demo's server (log: {log})", timeout)
        return server

    def version(self) -> str:
        return str(self._metadata()["version"])

    def deployment_id(self) -> str:
        return str(self._metadata()["deployment_id"])

    def _metadata(self) -> dict[str, Any]:
        import httpx

        found: dict[str, Any] = httpx.get(f"{self.url}/metadata", timeout=5).json()
        return found

    def stop(self) -> None:
        stop(self.process)


@dataclass
class Scheduler:
    """`mloop scheduler` in `folder`, until stopped (its log: .mloop/logs/scheduler.log)."""

    process: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, folder: Path) -> Scheduler:
        log = folder / ".mloop" / "logs" / "scheduler.log"
        process = subprocess.Popen([sys.executable, "-m", "mloop.cli.main", "scheduler", "--tick", "0.5s"], cwd=folder,
                                   env=project_env(folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return cls(process, log)

    def stop(self) -> None:
        stop(self.process)


@dataclass
class Sent:
    """What a burst of traffic got back: request ids with their true label, versions that answered."""

    request_ids: list[str]
    truth: list[int]
    versions: dict[str, int]
    errors: int
    seconds: float
    season: str = ""


def send(url: str, frame: Any, concurrency: int = 8, season: str = "") -> Sent:
    """POST each transaction of `frame` on its own (card id + request fields), `concurrency` at a
    time, with the transaction id as the request id."""
    import httpx

    records = frame[["card_id", *REQUEST_FIELDS]].to_dict("records")
    ids = frame["transaction_id"].tolist()
    versions: dict[str, int] = {}
    errors = 0
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:
        def one(index: int) -> str | None:
            try:
                response = client.post("/predict", json={"records": [records[index]]},
                                       headers={"x-request-id": ids[index]})
            except httpx.HTTPError:
                return None
            return str(response.json()["model_version"]) if response.status_code == 200 else None

        with ThreadPoolExecutor(concurrency) as pool:
            for version in pool.map(one, range(len(records))):
                if version is None:
                    errors += 1
                else:
                    versions[version] = versions.get(version, 0) + 1
    return Sent(ids, frame["is_fraud"].tolist(), versions, errors, time.perf_counter() - started, season)
