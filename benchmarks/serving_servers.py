"""The servers the serving benchmark compares: how each one is started, asked and answered.

Each `Target` is one tool in one mode: its command (in its own venv), the health route that says
it is ready, the request body in the tool's own format (one row) and how to read the positive-class
probability out of its answer, so a response is checked against the model's own output before
any timing. Peers run from the venvs of serving_peers.py; mloop runs from this python.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

APPS = Path(__file__).resolve().parent / "serving_apps"

#: the same thread settings for every server (shared/PEERS.md: HistGradientBoosting predicts with
#: 2 OpenMP threads by default, which servers predicting from several threads at once pay for)
THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
QUIET_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "BENTOML_DO_NOT_TRACK": "true", "DO_NOT_TRACK": "1",
             "LITSERVE_DISABLE_TELEMETRY": "1", "PYTHONWARNINGS": "ignore::DeprecationWarning"}
LITSERVE_BATCH = {"max_batch_size": 64, "batch_timeout_s": 0.005}


@dataclass(frozen=True)
class ModelFiles:
    """The one trained model, as each tool loads it, and one request row."""

    joblib_path: Path
    mlflow_dir: Path | None
    mloop_home: Path
    columns: list[str]
    row: list[float]
    probability: float  # the model's own predict_proba for `row`, class 1


@dataclass(frozen=True)
class Target:
    tool: str
    mode: str  # "batching" | "none"
    command: list[str]
    health: str
    body: str
    read_probability: Callable[[Any], float]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = APPS
    predict: str = "/predict"
    settings: str = ""

    @property
    def name(self) -> str:
        return f"{self.tool} ({self.mode})"


def _bin(python: str, script: str) -> str:
    return str(Path(python).parent / script)


def _env(python: str | None, model: ModelFiles, **extra: str) -> dict[str, str]:
    env = {**os.environ, **THREAD_ENV, **QUIET_ENV, "MLOOP_BENCH_MODEL": str(model.joblib_path), **extra}
    if python:  # tools that start helpers by name (MLflow starts `uvicorn`) find their venv's
        env["PATH"] = f"{Path(python).parent}{os.pathsep}{env.get('PATH', '')}"
        env.pop("PYTHONPATH", None)
    return env


def _features_body(model: ModelFiles) -> str:
    return json.dumps({"features": model.row})


def fastapi(python: str, model: ModelFiles, port: int) -> Target:
    return Target("FastAPI (minimal)", "none",
                  [python, "-m", "uvicorn", "fastapi_app:app", "--host", "127.0.0.1", "--port", str(port),
                   "--workers", "1", "--log-level", "warning", "--no-access-log"],
                  "/health", _features_body(model), lambda answer: answer["probability"], _env(python, model),
                  settings="uvicorn, 1 worker, sync route (threadpool)")


def bentoml(python: str, model: ModelFiles, port: int, batching: bool) -> Target:
    service = "Batching" if batching else "Single"
    home = model.joblib_path.parent / "bentoml-home"
    return Target("BentoML", "batching" if batching else "none",
                  [_bin(python, "bentoml"), "serve", f"bentoml_service:{service}", "--host", "127.0.0.1",
                   "--port", str(port)],
                  "/readyz", json.dumps({"inputs": [model.row]}), lambda answer: answer[0],
                  _env(python, model, BENTOML_HOME=str(home)),
                  settings="1 worker" + (", @bentoml.api(batchable=True), default limits" if batching else ""))


def mlflow(python: str, model: ModelFiles, port: int) -> Target:
    if model.mlflow_dir is None:
        raise RuntimeError("the MLflow model was not saved")
    body = {"dataframe_split": {"columns": model.columns, "data": [model.row]}}
    return Target("MLflow", "none",
                  [_bin(python, "mlflow"), "models", "serve", "-m", str(model.mlflow_dir), "--env-manager", "local",
                   "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                  "/ping", json.dumps(body), lambda answer: answer["predictions"][0][1],
                  _env(python, model, MLFLOW_TRACKING_URI=f"file://{model.joblib_path.parent / 'mlruns'}"),
                  predict="/invocations", settings="mlflow models serve, 1 worker, pyfunc predict_proba")


def litserve(python: str, model: ModelFiles, port: int, batching: bool) -> Target:
    size, timeout = (LITSERVE_BATCH["max_batch_size"], LITSERVE_BATCH["batch_timeout_s"]) if batching else (1, 0.0)
    return Target("LitServe", "batching" if batching else "none",
                  [python, "litserve_app.py", str(port), str(size), str(timeout)],
                  "/health", _features_body(model), lambda answer: answer["probability"], _env(python, model),
                  settings="1 API server, 1 CPU worker" + (f", max_batch_size={size}, batch_timeout={timeout:g}s"
                                                          if batching else ""))


def mloop_command() -> list[str]:
    """`mloop` run by this python, so the benchmark serves the mloop it imports."""
    return [sys.executable, "-c", "from mloop.cli.main import main; main()"]


def mloop_env(model: ModelFiles) -> dict[str, str]:
    import mloop

    source = str(Path(mloop.__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
    return _env(None, model, MLOOP_HOME=str(model.mloop_home), PYTHONPATH=path)


def mloop_serve_help(model: ModelFiles) -> str | None:
    """The text of `mloop serve --help`, or None when `mloop serve` does not exist here."""
    found = subprocess.run([*mloop_command(), "serve", "--help"], capture_output=True, text=True,
                           env={**mloop_env(model), "COLUMNS": "200"}, cwd=model.mloop_home, timeout=120)
    return found.stdout if found.returncode == 0 else None


@dataclass(frozen=True)
class LoggingFlags:
    """How `mloop serve` turns prediction logging on and off (empty: its default)."""

    on: tuple[str, ...]
    off: tuple[str, ...]


def logging_flags(help_text: str) -> LoggingFlags | None:
    """The prediction-logging switch of `mloop serve`, read from its help: a `--X/--no-X` pair
    (or one of them) where X names logging; None before the option exists."""
    names = set(re.findall(r"--([a-z][a-z-]*)", help_text))
    for name in sorted(names):
        if name.startswith("no-") or "log" not in name or name in ("log-level", "log-config"):
            continue
        on, off = name in names, f"no-{name}" in names
        if off:
            return LoggingFlags((f"--{name}",) if on else (), (f"--no-{name}",))
    for name in sorted(names):  # only --no-X: logging is on by default
        if name.startswith("no-") and "log" in name and name[3:] not in ("access-log",):
            return LoggingFlags((), (f"--{name}",))
    return None


def mloop(model: ModelFiles, port: int, batching: bool, extra: tuple[str, ...] = (), mode: str = "") -> Target:
    record = dict(zip(model.columns, model.row, strict=True))
    options = (*(() if batching else ("--no-batching",)), *extra)
    return Target("mloop", mode or ("batching" if batching else "none"),
                  [*mloop_command(), "serve", "bench@champion", "--port", str(port), *options],
                  "/v2/health/ready", json.dumps(record), mloop_probability, mloop_env(model),
                  cwd=model.mloop_home, settings=" ".join(("mloop serve", *options)))


def mloop_probability(answer: Any) -> float:
    """The class-1 probability in mloop's answer: {"predictions": [...], ...}, where a prediction
    may be the probability, the class probabilities, or a record holding them."""
    if isinstance(answer, dict) and "probabilities" in answer:
        answer = {"predictions": answer["probabilities"]}
    first = answer["predictions"][0]
    if isinstance(first, dict):
        for key in ("probabilities", "probability", "proba", "1", 1):
            if key in first:
                first = first[key]
                break
    if isinstance(first, dict):
        first = first.get("1", first.get(1))
    if isinstance(first, list):
        first = first[-1]
    return float(first)
