"""The `pipeline` job kind: `mloop run TARGET -p k=v ...` as a subprocess in the job's folder, so a
crashing run never takes the scheduler down. The run takes the id the scheduler assigned (passed
in MLOOP_RUN_ID), which the fire records before the run starts; its output goes to a log file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import IO, Any

from mloop.core.errors import MloopError, NotFoundError
from mloop.scheduling.jobs import Handle, Job, JobContext

RUN_ID_VARIABLE = "MLOOP_RUN_ID"


def start(job: Job, context: JobContext) -> Handle:
    check_target(job.target, job.folder)
    command = [sys.executable, "-m", "mloop.cli.main", "run", job.target]
    for key, value in job.arguments.items():
        command += ["-p", f"{key}={value if isinstance(value, str) else json.dumps(value)}"]
    context.logs.mkdir(parents=True, exist_ok=True)
    log_path = context.logs / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', job.name)}-{job.due_at:%Y%m%dT%H%M%S}.log"
    environment = {**os.environ, RUN_ID_VARIABLE: job.run_id or ""}
    log = open(log_path, "ab")  # noqa: SIM115 - the handle owns it until the run ends
    try:
        # its own session: a Ctrl-C or SIGTERM to the scheduler does not reach the run
        process = subprocess.Popen(command, cwd=job.folder, env=environment, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as exc:
        log.close()
        raise NotFoundError(f"cannot start {' '.join(command[:5])} in {job.folder}: {exc.strerror or exc}") from exc
    return RunHandle(process, log, context, job.run_id)


def check_target(target: str, folder: Any) -> None:
    """A pipeline file that does not exist is refused when the job starts, not found in a log."""
    path = target.partition(":")[0] if ".py" in target else target
    if path.endswith((".py", ".yaml", ".yml")) and not (folder / path).is_file():
        raise NotFoundError(f"pipeline file {path} does not exist in {folder}; give a path relative to the "
                            "project folder")


class RunHandle:
    def __init__(self, process: subprocess.Popen[bytes], log: IO[bytes], context: JobContext,
                 run_id: str | None) -> None:
        self.process = process
        self.log = log
        self.context = context
        self.run_id = run_id

    def poll(self) -> tuple[str, str | None] | None:
        code = self.process.poll()
        if code is None:
            return None
        self.log.close()
        try:
            run = self.context.workspace.runs.get_run(self.run_id or "")
        except MloopError:
            return "failed", f"exit code {code}: {_last_line(self.log.name)}"
        if run.status == "succeeded":
            return "succeeded", None
        return "failed", f"run {run.status}: {run.error or _last_line(self.log.name)}".splitlines()[0]


def _last_line(path: str) -> str:
    try:
        with open(path, "rb") as file:
            file.seek(max(0, os.path.getsize(path) - 4096))
            lines = [line.strip() for line in file.read().decode("utf-8", "replace").splitlines() if line.strip()]
    except OSError:
        return "no output"
    return lines[-1] if lines else "no output"
