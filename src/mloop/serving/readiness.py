"""`mloop deploy check`: is a version ready to serve? A checklist — blessed, training data
validated, a signature, a model card with explainability — and a short load test of the real
server on 127.0.0.1 (requests/s, p50/p99, peak memory at concurrency 1 and 16), recorded with the
version so `mloop serve --require-ready` can refuse one that failed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.errors import ConfigError
from mloop.core.ids import new_id
from mloop.serving.child_server import free_port, stop, wait_ready
from mloop.stores.metadata.deployments import ReadinessCheck
from mloop.stores.workspace import Workspace, get_workspace


@dataclass(frozen=True)
class ReadinessItem:
    name: str
    passed: bool
    detail: str


@dataclass
class ReadinessReport:
    model: str
    version: int
    items: list[ReadinessItem]
    load: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)

    @property
    def ref(self) -> str:
        return f"{self.model}/{self.version}"

    @property
    def passed(self) -> bool:
        return all(item.passed for item in self.items)

    @property
    def failed(self) -> list[ReadinessItem]:
        return [item for item in self.items if not item.passed]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "version": self.version, "passed": self.passed,
                "items": [asdict(item) for item in self.items], "load": self.load,
                "created_at": self.created_at.isoformat()}

    def __str__(self) -> str:
        lines = [f"{self.ref}: {'ready' if self.passed else 'NOT ready'}"]
        lines += [f"  [{'x' if item.passed else ' '}] {item.name}: {item.detail}" for item in self.items]
        return "\n".join(lines)


def check_readiness(ref: str, *, load_seconds: float = 3.0, concurrency: Sequence[int] = (1, 16),
                    load_test: bool = True, workspace: Workspace | None = None,
                    progress: Callable[[str], None] | None = None) -> ReadinessReport:
    """Check `ref` ('fraud@champion', 'fraud/3') and record the result with the version."""
    from mloop.registry.blessing import DATA_VALIDATION, requirement_check
    from mloop.registry.versions import current_user, get_model_version

    workspace = workspace or get_workspace()
    version = get_model_version(ref, workspace=workspace)
    say = progress or (lambda message: None)
    items = []
    blessing = version.blessing
    items.append(ReadinessItem("blessed", version.blessed,
                               blessing.summary() if blessing is not None else
                               f"never blessed; run: mloop models bless {version.name} {version.version}"))
    validated, why = requirement_check(DATA_VALIDATION, None, version)
    items.append(ReadinessItem("training data validated", validated, why))
    signature = version.signature
    items.append(ReadinessItem("signature", signature is not None,
                               f"{len(signature.inputs)} input column(s), outputs: "
                               f"{', '.join(o.name for o in signature.outputs) or 'none'}" if signature else
                               "no signature; register the version with its training data"))
    card = version.card or {}
    explained = bool(card.get("importance"))
    items.append(ReadinessItem("model card with explainability", explained,
                               f"feature importance of {len(card['importance'].get('features', []))} column(s)"
                               if explained else "no model card with feature importance; run: mloop models bless "
                               f"{version.name} {version.version} --eval-data FILE --target Y"))
    load: dict[str, Any] = {}
    if load_test:
        if signature is None:
            items.append(ReadinessItem("load test", False, "needs a signature to make requests"))
        else:
            say(f"load test of {version.ref} on 127.0.0.1")
            load = load_test_server(version.ref, signature, seconds=load_seconds, concurrency=concurrency,
                                    workspace=workspace)
            errors = sum(load[f"c{c}"]["errors"] for c in concurrency)
            detail = "; ".join(f"c={c}: {load[f'c{c}']['requests_per_second']:.0f} req/s, "
                               f"p50 {load[f'c{c}']['p50_ms']:.2f} ms, p99 {load[f'c{c}']['p99_ms']:.2f} ms"
                               for c in concurrency) + f"; peak RSS {load['peak_rss_mb']:.0f} MB"
            items.append(ReadinessItem("load test", errors == 0, detail + (f"; {errors} failed request(s)" if errors
                                                                           else "")))
    report = ReadinessReport(version.name, version.version, items, load)
    workspace.deployments.add_check(ReadinessCheck(
        id=new_id(), model=version.name, version=version.version, passed=report.passed,
        items=[asdict(item) for item in items], load=load, created_at=report.created_at, created_by=current_user()))
    return report


def require_ready(model: str, version: int, workspace: Workspace | None = None) -> None:
    """ConfigError unless the newest readiness check of the version passed, naming what failed."""
    check = (workspace or get_workspace()).deployments.latest_check(model, version)
    ref = f"{model}/{version}"
    if check is None:
        raise ConfigError(f"{ref} has no readiness check; run: mloop deploy check {ref}")
    if not check.passed:
        failed = "; ".join(f"{item['name']}: {item['detail']}" for item in check.items if not item["passed"])
        raise ConfigError(f"{ref} is not ready ({failed}); fix it and run: mloop deploy check {ref}")


def load_test_server(ref: str, signature: Any, *, seconds: float, concurrency: Sequence[int],
                     workspace: Workspace) -> dict[str, Any]:
    """Serve `ref` in a child process on a free port of 127.0.0.1 and load it with one-row requests."""
    import json

    from mloop.serving.models import sample_record

    port = free_port()
    body = json.dumps(sample_record(signature)).encode()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, "-m", "mloop.cli.main", "serve", ref, "--port", str(port),
                                    "--no-follow"], stdout=log, stderr=subprocess.STDOUT,
                                   cwd=workspace.settings.root, env=dict(os.environ))
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, process, log, "the server for the load test")
            results: dict[str, Any] = {f"c{c}": _run_apart(_load, url, body, c, seconds) for c in concurrency}
            results["peak_rss_mb"] = _peak_rss_mb(process.pid)
            return results
        finally:
            stop(process)


def _run_apart(function: Callable[..., Any], *args: Any) -> Any:
    """Run the coroutine `function(*args)` on its own event loop in its own thread: callers may
    already be inside one (a notebook, a test with a browser driver)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(function(*args))).result()


async def _load(url: str, body: bytes, connections: int, seconds: float) -> dict[str, Any]:
    import httpx
    import numpy as np

    latencies: list[float] = []
    errors = 0
    headers = {"content-type": "application/json"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await client.post("/predict", content=body, headers=headers)  # warm up
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    answer = await client.post("/predict", content=body, headers=headers)
                    ok = answer.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += not ok

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    values = np.asarray(latencies) * 1000
    return {"requests": len(latencies), "errors": errors, "requests_per_second": len(latencies) / elapsed,
            "p50_ms": float(np.percentile(values, 50)), "p99_ms": float(np.percentile(values, 99))}


def _peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (Linux /proc); NaN where that is not available."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")
