"""Take the README's screenshots of the web UI from a real workspace.

    python scripts/ui_screenshots.py                      # runs `mloop demo` into a temp folder first
    python scripts/ui_screenshots.py --workspace loop-demo --out docs/images
    python scripts/ui_screenshots.py --workspace loop-demo --every --out /tmp/shots   # every page, to review

It starts `mloop ui` in the workspace on a free port, finds the objects worth showing through the
REST API (the newest pipeline run, the champion's artifact, a drift monitor, a deployment) and
saves each page from headless chromium at 1280×900: the full page, clipped to its top MAX_HEIGHT
pixels so a long page stays a readable picture under ~400 KB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VIEWPORT = {"width": 1280, "height": 900}
MAX_HEIGHT = 1800
CHROMIUM = os.environ.get("MLOOP_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _env() -> dict[str, str]:
    """The environment of the mloop subprocesses: this checkout's sources first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    env.pop("MLOOP_TRACKING_URI", None)
    return env


def _mloop(*args: str) -> list[str]:
    return [sys.executable, "-m", "mloop.cli.main", *args]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise SystemExit(f"mloop ui exited with {process.returncode} before it listened on port {port}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"mloop ui did not listen on port {port} within {timeout:g} s")
        time.sleep(0.1)


def _get(base: str, path: str) -> Any:
    with urllib.request.urlopen(base + path, timeout=30) as response:
        return json.load(response)


def pages(base: str, every: bool) -> dict[str, str]:
    """The pages to shoot, by image name, chosen from what the workspace holds."""
    runs = _get(base, "/api/v1/runs?limit=50")["runs"]
    pipeline_runs = [r for r in runs if r.get("kind") == "pipeline"] or runs
    shots = {"ui-runs": "/runs"}
    if pipeline_runs:
        newest = pipeline_runs[0]
        shots["ui-run"] = f"/runs/{newest['run_id']}"
        same = [r["run_id"] for r in pipeline_runs if r["pipeline"] == newest["pipeline"]][:5]
        shots["ui-compare"] = f"/compare?runs={','.join(same)}"  # the page picks the metric and param
    monitors = [m["name"] for m in _get(base, "/api/v1/monitors")]
    if monitors:
        shots["ui-monitor"] = "/monitors/" + next((m for m in monitors if "drift" in m), monitors[0])
    models = _get(base, "/api/v1/models")
    if models:
        name = models[0]["name"]
        shots["ui-model"] = f"/models/{name}"
        detail = _get(base, f"/api/v1/models/{name}")
        champion = detail["aliases"].get("champion")
        version = next((v for v in detail["versions"] if v["version"] == champion), detail["versions"][0])
        shots["ui-artifact"] = f"/artifacts/{version['artifact_id']}"
    deployments = _get(base, "/api/v1/deployments")
    shots["ui-deployments"] = f"/deployments/{deployments[0]['id']}" if deployments else "/deployments"
    if every:
        for path in ("/pipelines", "/models", "/features", "/deployments", "/monitors", "/alerts", "/schedules"):
            shots["every" + path.replace("/", "-")] = path
        for name in monitors:
            shots[f"every-monitor-{name}"] = f"/monitors/{name}"
    return shots


def shoot(base: str, shots: dict[str, str], out: Path) -> None:
    """Save each page as OUT/NAME.png; print its size and any error the page logged."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport=VIEWPORT, color_scheme="light")
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        for name, path in shots.items():
            errors.clear()
            response = page.goto(base + path, wait_until="networkidle")
            status = response.status if response else 0
            height = min(int(page.evaluate("document.documentElement.scrollHeight")), MAX_HEIGHT)
            target = out / f"{name}.png"
            page.screenshot(path=str(target), full_page=True,
                            clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height})
            note = f"  errors: {errors}" if errors else ""
            print(f"{target}  {path}  HTTP {status}  {target.stat().st_size // 1024} KB{note}")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="a workspace folder (default: run the demo into a temp one)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="where the PNGs go")
    parser.add_argument("--every", action="store_true", help="also shoot every list page (to review them)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mloop-shots-") as scratch:
        workspace = args.workspace
        if workspace is None:
            workspace = Path(scratch) / "loop-demo"
            print("running mloop demo (about a minute) ...", flush=True)
            subprocess.run(_mloop("demo", "--folder", str(workspace)), env=_env(), check=True,
                           stdout=subprocess.DEVNULL)
        port = _free_port()
        server = subprocess.Popen(_mloop("ui", "--port", str(port)), cwd=workspace, env=_env(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_until_listening(port, server)
            base = f"http://127.0.0.1:{port}"
            shoot(base, pages(base, args.every), args.out)
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
