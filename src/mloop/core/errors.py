"""The one exception hierarchy of mloop.

    MloopError                    every error mloop raises on purpose
    ├── ConfigError               bad configuration, URL, CLI option or missing extra
    ├── NotFoundError             a run, step, artifact or pipeline that does not exist
    ├── ConflictError             a write that lost a race or breaks a uniqueness rule
    ├── ValidationError           a user input (graph, YAML, parameters, data) that is invalid
    │   ├── GraphError            a pipeline graph that cannot run (cycle, missing input, ...)
    │   └── DataCheckFailed       data failed a check; carries the outputs that say why
    ├── IntegrityError            stored bytes whose hash is not the recorded one
    ├── BackendError              a storage backend failed (database, filesystem, network)
    ├── StepFailed                a user's step raised; chained to the original exception
    │   └── StepTimeoutError      a step ran longer than its timeout
    └── RunFailed                 a pipeline run finished with failed steps

A message is one line that names the problem and, where there is one, the fix.

Ctrl-C is not an error: a run stopped by it raises `mloop.RunInterrupted`, a KeyboardInterrupt
(so code that lets KeyboardInterrupt through keeps doing so) carrying the run id.
"""

from __future__ import annotations


class MloopError(Exception):
    """Base class of every error mloop raises on purpose."""


class ConfigError(MloopError):
    pass


class NotFoundError(MloopError):
    pass


class ConflictError(MloopError):
    pass


class ValidationError(MloopError):
    pass


class GraphError(ValidationError):
    pass


class DataCheckFailed(ValidationError):
    """Data failed a check (e.g. a validation suite). Raised in a step, it fails the step at once
    (no retry: the same data fails the same way) and its `outputs` (the report, by output name)
    are still stored as the step's artifacts, so the run shows why."""

    def __init__(self, message: str, *, outputs: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.outputs = dict(outputs or {})


class IntegrityError(MloopError):
    pass


class BackendError(MloopError):
    pass


class StepFailed(MloopError):
    def __init__(self, message: str, *, step: str = "", run_id: str = "") -> None:
        super().__init__(message)
        self.step = step
        self.run_id = run_id


class StepTimeoutError(StepFailed):
    pass


class RunFailed(MloopError):
    def __init__(self, message: str, *, run: object = None) -> None:
        super().__init__(message)
        self.run = run


def missing_extra(package: str, extra: str) -> ConfigError:
    return ConfigError(f"{package} is not installed; install it with: pip install 'mloop[{extra}]'")


def invalid_yaml(path: object, exc: Exception) -> str:
    """`path:line: not valid YAML: problem` for a PyYAML error, pointing where the parser stopped."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    return f"{where}: not valid YAML: {problem}"
