"""`@pipeline`: a function whose step calls define a graph; and what every pipeline can do."""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from mloop.core.errors import ConfigError, GraphError, RunFailed, ValidationError
from mloop.pipeline.definition.builder import GraphBuilder
from mloop.pipeline.definition.graph import Graph

if TYPE_CHECKING:  # the engine loads when a pipeline first runs: `import mloop` stays light
    from mloop.pipeline.definition.parameters import Parameter
    from mloop.pipeline.execution.runner import RunOptions
    from mloop.stores.workspace import Workspace

RUN_OPTIONS = ("cache", "executor", "max_workers", "address", "workspace", "on_progress", "on_interrupt")


class PipelineDefinition:
    """What a Python or YAML pipeline shares: compile to the graph IR, plan, run."""

    name: str
    description: str

    def compile(self, **params: Any) -> tuple[Graph, dict[str, Any], dict[str, Any]]:
        """(graph, resolved parameters, step objects by node) for these parameters."""
        raise NotImplementedError

    def parameters(self) -> dict[str, Parameter]:
        """The declared parameters: name, type (annotation, or a YAML default's type) and default."""
        raise NotImplementedError

    def parse_params(self, texts: dict[str, str]) -> dict[str, Any]:
        """Command-line values (`-p name=text`) as the declared types; ValidationError for one that
        does not fit (e.g. 'abc' for an int), before anything runs."""
        from mloop.pipeline.definition import parameters

        return parameters.parse_text(self.parameters(), texts)

    def run(self, *, cache: bool = True, executor: str | None = None, max_workers: int | None = None,
            address: str | None = None, workspace: Workspace | None = None,
            on_progress: Callable[[str, str], None] | None = None,
            on_interrupt: Callable[[str], None] | None = None, **params: Any) -> Any:
        """Run the pipeline to the end and return the Run; raises RunFailed (with `.run`) when a step failed.

        `executor` is "thread" (default), "process" or "dask" (`address` of a scheduler, or a
        LocalCluster when none is given). `on_progress(node, status)` is called with "pending" for
        each step the run will handle, then on every step state change (running, succeeded, cached,
        failed, skipped, ...), from the run's thread; `on_interrupt(run_id)` at once on the first
        Ctrl-C (default: a line on stderr), after which running steps end, no more start, and
        RunInterrupted (a KeyboardInterrupt) is raised."""
        from mloop.pipeline.execution.runner import RunOptions
        from mloop.stores.workspace import get_workspace

        options = RunOptions(cache=cache, executor=executor, max_workers=max_workers, address=address,
                             on_event=on_progress, on_interrupt=on_interrupt)
        run = self.execute(options, workspace or get_workspace(), **params)
        if run.status != "succeeded":
            raise RunFailed(f"run {run.id} of {self.name!r} failed: {run.error}; after a fix, finish it with: "
                            f"mloop runs resume {run.id}", run=run)
        return run

    __call__ = run

    def execute(self, options: RunOptions, workspace: Workspace, **params: Any) -> Any:
        """Compile and run with explicit options; returns the Run whatever its status."""
        from mloop.pipeline.results.runs import Run

        _refuse_a_run_while_loading(self.name)

        if options.max_workers is not None and (isinstance(options.max_workers, bool) or options.max_workers < 1):
            raise ConfigError(f"max_workers (--max-workers) must be at least 1 (the number of steps run at once), "
                              f"got {options.max_workers}")
        from mloop.pipeline.definition.main_guard import check_main_guard

        check_main_guard(options.executor or workspace.settings.executor, options.address or workspace.settings.address)

        graph, resolved, functions = self.compile(**params)
        from mloop.pipeline.execution.runner import start_run

        return Run.load(start_run(workspace, graph, resolved, options, functions), workspace)

    def plan(self, *, cache: bool = True, workspace: Workspace | None = None, **params: Any) -> Any:
        """What a run with these parameters would do, step by step, without running anything."""
        from mloop.pipeline.caching.plan import make_plan

        graph, _, _ = self.compile(**params)
        from mloop.stores.workspace import get_workspace

        return make_plan(workspace or get_workspace(), graph, cache=cache)


class Pipeline(PipelineDefinition):
    def __init__(self, fn: Callable[..., Any], name: str | None = None, description: str | None = None,
                 isolation: str | None = None, schedule: str | None = None) -> None:
        if isolation not in (None, "none", "venv"):
            raise GraphError(f"pipeline {name or fn.__name__!r}: isolation must be 'none' or 'venv', got {isolation!r}")
        if schedule is not None:
            from mloop.core.cadence import parse_cadence

            try:
                schedule = parse_cadence(schedule).expression
            except ValidationError as exc:
                raise ValidationError(f"pipeline {name or fn.__name__!r}: {exc}") from None
        self.fn = fn
        self.isolation = isolation
        #: cron or "@every ..." on which `mloop schedule apply FILE` schedules it
        self.schedule = schedule
        self.name = name or fn.__name__
        self.description = description or (inspect.getdoc(fn) or "").split("\n\n")[0].replace("\n", " ")
        self.signature = inspect.signature(fn)
        clash = set(self.signature.parameters) & set(RUN_OPTIONS)
        if clash:
            raise GraphError(f"pipeline {self.name!r}: parameter name {sorted(clash)[0]!r} is reserved for run options; "
                             "rename it")

    def defaults(self) -> dict[str, Any]:
        return {n: p.default for n, p in self.signature.parameters.items() if p.default is not inspect.Parameter.empty}

    def parameters(self) -> dict[str, Parameter]:
        from mloop.pipeline.definition.parameters import from_signature

        return from_signature(self.fn)

    def compile(self, **params: Any) -> tuple[Graph, dict[str, Any], dict[str, Any]]:
        from mloop.pipeline.definition.parameters import check

        params = check(self.parameters(), params)
        try:
            bound = self.signature.bind(**params)
        except TypeError as exc:
            known = ", ".join(self.signature.parameters) or "none"
            raise GraphError(f"pipeline {self.name!r}: {exc} (parameters: {known})") from None
        bound.apply_defaults()
        builder = GraphBuilder()
        with builder.active():
            self.fn(*bound.args, **bound.kwargs)
        params = _json_params(self.name, dict(bound.arguments))
        graph = Graph(self.name, builder.nodes, self.description, params).validate().settle_isolation(self.isolation)
        functions = {name: builder.step_for(name) for name in graph.nodes}
        return graph, params, functions

    def __repr__(self) -> str:
        return f"<pipeline {self.name}>"


def _json_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    from mloop.core.hashing import canonical_json
    from mloop.pipeline.definition.data import Data

    clean = {}
    for key, value in params.items():
        value = value.path if isinstance(value, Data) else value
        try:
            canonical_json(value)
        except (TypeError, ValueError):
            raise GraphError(f"pipeline {name!r}: parameter {key!r} is a {type(value).__name__}, which cannot be "
                             "recorded; pass JSON values (numbers, strings, lists, dicts) or mloop.Data(path)") from None
        clean[key] = value
    return clean


def pipeline(fn: Callable[..., Any] | None = None, /, *, name: str | None = None,
             description: str | None = None, isolation: str | None = None, schedule: str | None = None) -> Any:
    """Make a function a pipeline: its step calls define the graph; `.run(**params)` executes it.

    `isolation="venv"` runs every step that did not choose otherwise in a uv environment built
    from its requirements. `schedule` (cron "0 3 * * *" or "@every 6h", UTC) is when the
    scheduler runs it once registered with `mloop schedule apply FILE`."""
    if fn is not None:
        return Pipeline(fn, name, description, isolation, schedule)
    return lambda function: Pipeline(function, name, description, isolation, schedule)


#: the file mloop.load_pipeline (so `mloop run`) is importing; a run its import starts is refused
LOADING_FILE: ContextVar[str | None] = ContextVar("mloop_loading_file", default=None)


def _refuse_a_run_while_loading(name: str) -> None:
    file = LOADING_FILE.get()
    if file is None:
        return
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_code.co_filename == file and frame.f_code.co_name == "<module>"):
        frame = frame.f_back  # type: ignore[assignment]
    shown = os.path.relpath(file) if not os.path.relpath(file).startswith("..") else file
    where = f"{shown}:{frame.f_lineno}" if frame is not None else shown
    raise ValidationError(f"{where}: runs pipeline {name!r} while mloop loads the file, so it would run twice; "
                          "put that line under if __name__ == \"__main__\":")
