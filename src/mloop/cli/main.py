from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

import mloop
from mloop import RunFailed, ValidationError
from mloop.cli import alerts as alerts_cli
from mloop.cli import artifacts as artifacts_cli
from mloop.cli import data as data_cli
from mloop.cli import deployments as deployments_cli
from mloop.cli import features as features_cli
from mloop.cli import models as models_cli
from mloop.cli import monitor as monitor_cli
from mloop.cli import predict as predict_cli
from mloop.cli import predictions as predictions_cli
from mloop.cli import render
from mloop.cli import runs as runs_cli
from mloop.cli import schedules as schedules_cli
from mloop.cli import serve as serve_cli
from mloop.cli import server as server_cli
from mloop.cli import status as status_cli
from mloop.cli import stream as stream_cli
from mloop.cli import tokens as tokens_cli
from mloop.cli import tracking as tracking_cli
from mloop.cli.errors import DEBUG, err_console, handle_errors

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False,
                  help="mloop: pipelines, lineage and caching for the whole ML loop.")
tracking_cli.register(runs_cli.app)  # runs search | compare | metrics
app.add_typer(runs_cli.app, name="runs")
app.add_typer(artifacts_cli.app, name="artifacts")
app.add_typer(models_cli.app, name="models")
app.add_typer(data_cli.app, name="data")
app.add_typer(features_cli.app, name="features")
serve_cli.register(app)
server_cli.register(app)
app.add_typer(deployments_cli.app, name="deployments")
app.add_typer(predictions_cli.app, name="predictions")
app.add_typer(monitor_cli.app, name="monitor")
app.add_typer(alerts_cli.app, name="alerts")
app.add_typer(alerts_cli.webhooks_app, name="webhooks")
app.command("predict")(predict_cli.predict)
app.command("stream")(stream_cli.stream)
schedules_cli.register(app)
app.command("status")(status_cli.status_command)
tokens_cli.register(app)
console = render.out_console()


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"mloop {mloop.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", is_eager=True,
                                          callback=_print_version)] = False,
) -> None:
    DEBUG["on"] = debug


@app.command()
@handle_errors
def init(folder: Annotated[Path, typer.Argument(help="Project folder.")] = Path(".")) -> None:
    """Create mloop.yaml and .mloop/ in a project folder."""
    path = mloop.init_project(folder)
    console.print(f"initialised {folder.resolve()} (settings: {path.name}, state: .mloop/)")


def parse_params(values: list[str]) -> dict[str, str]:
    """`-p key=value` options as {key: text}; the pipeline converts each text to its parameter's type."""
    params: dict[str, str] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"parameter {item!r} is not key=value; write e.g. -p n_estimators=200")
        params[key.strip()] = raw
    return params


@app.command()
@handle_errors
def run(
    target: Annotated[str, typer.Argument(help="pipeline.yaml, file.py[:name] or package.module:name")],
    param: Annotated[list[str], typer.Option("-p", "--param", metavar="KEY=VALUE", help="Parameter key=value (repeatable).")] = [],  # noqa: B006
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Execute every step.")] = False,
    plan: Annotated[bool, typer.Option("--plan", help="Show what would run or be reused, run nothing.")] = False,
    executor: Annotated[str | None, typer.Option(help="thread, process or dask (default from settings).")] = None,
    max_workers: Annotated[int | None, typer.Option("--max-workers", help="Steps run at once.")] = None,
    address: Annotated[str | None, typer.Option(help="Dask scheduler, e.g. tcp://host:8786.")] = None,
) -> None:
    """Run a pipeline (or show its --plan)."""
    definition = mloop.load_pipeline(target)
    params = definition.parse_params(parse_params(param))
    if plan:
        print_plan(definition.plan(cache=not no_cache, **params))
        return
    with RunProgress(console) as progress:
        try:
            result = definition.run(cache=not no_cache, executor=executor, max_workers=max_workers, address=address,
                                    on_progress=progress.event, on_interrupt=progress.interrupting, **params)
        except RunFailed as failed:  # the run is printed below, with the command that resumes it
            result = failed.run
    runs_cli.print_run(result)
    if result.status != "succeeded":
        console.print(f"resume after a fix with: [bold]mloop runs resume {result.id}[/]")
        raise typer.Exit(1)


def print_plan(plan: Any) -> None:
    table = Table(title=f"plan for {plan.pipeline}", title_justify="left")
    table.add_column("step")
    table.add_column("action")
    table.add_column("why")
    for item in plan.steps:
        action = render.status("cached") if item.action == "cached" else "[yellow]run[/]"
        table.add_row(item.node, action, item.reason)
    console.print(table)
    console.print(f"{len(plan.cached)} step(s) reused from cache, {len(plan.to_run)} to execute")


class RunProgress:
    """A live line per run: how many steps are done, which are running.

    It draws on the terminal stream as it is when the run starts: while steps run, sys.stdout and
    sys.stderr route each step's output to its log file, and rich must not redirect them either
    (its proxy holds text until a newline, so every redraw would pile up until the run ends)."""

    def __init__(self, out: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        terminal = Console(file=out.file, highlight=False)
        self.console = terminal
        # Piped, there is no line to redraw (rich would still print an empty one when it stops).
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=terminal, transient=True, refresh_per_second=4,
                                 redirect_stdout=False, redirect_stderr=False, disable=not terminal.is_terminal)
        self.task: Any = None
        self.running: set[str] = set()

    def __enter__(self) -> RunProgress:
        self.progress.__enter__()
        self.task = self.progress.add_task("starting", total=None)
        self.total = 0
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def event(self, node: str, status: str) -> None:
        if status == "pending":  # each step this execution will handle, announced as it starts
            self.total += 1
            self.progress.update(self.task, total=self.total)
            return
        if status == "running":
            self.running.add(node)
        else:
            self.running.discard(node)
        advance = 1 if status in ("succeeded", "cached", "failed", "skipped") else 0
        names = sorted(self.running)
        label = f"running {', '.join(names[:3])}{' …' if len(names) > 3 else ''}" if names else "scheduling"
        self.progress.update(self.task, advance=advance, description=label)

    def interrupting(self, run_id: str) -> None:
        """The first Ctrl-C: said at once, above the live line when both share the terminal."""
        import sys

        message = f"interrupting run {run_id}… (Ctrl-C again to abandon)"
        if self.console.is_terminal and sys.__stderr__ is not None and sys.__stderr__.isatty():
            self.progress.console.print(f"[yellow]{message}[/]")
        else:
            err_console.print(f"[yellow]{message}[/]")


@app.command()
@handle_errors
def demo(
    folder: Annotated[Path, typer.Option(help="Where the demo keeps its data and state.")] = Path("mloop-demo"),
) -> None:
    """The whole loop on the embedded defaults: train, bless, serve, monitor, drift, alert, retrain,
    promote, hot swap, labels — told as it happens."""
    from mloop.cli.demo import run

    run(console, folder)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # a Ctrl-C before a command started (while modules load): no traceback
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
