"""Helpers of the monitoring tests: logged predictions written straight to the prediction store,
and a real HTTP server on 127.0.0.1 that records what webhooks receive."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mloop.stores.workspace import Workspace

#: in the future, so messages queued at a test time are due only when a test says so
T0 = datetime(2031, 1, 1, 12, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def log_predictions(workspace: Workspace, model: str, times: list[datetime], prefix: str = "r") -> None:
    n = len(times)
    workspace.predictions.add_predictions({
        "request_id": [f"{prefix}{i}" for i in range(n)], "time": times, "model": [model] * n, "version": [1] * n,
        "deployment": [None] * n, "role": ["primary"] * n, "training_fingerprint": [None] * n,
        "inputs": ['{"x": 1}'] * n, "outputs": ['{"prediction": 0}'] * n, "latency_ms": [1.0] * n,
        "entity_key": [None] * n})


@dataclass
class Hook:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    #: status codes to answer with, in order (then 200)
    answers: list[int] = field(default_factory=list)

    def events(self) -> list[str]:
        return [body["mloop"]["event"] for body in self.received if "mloop" in body]


@contextmanager
def webhook_server() -> Iterator[Hook]:
    hook = Hook("")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                code = hook.answers.pop(0) if hook.answers else 200
                if code == 200:
                    hook.received.append(body)
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"no" if code != 200 else b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
