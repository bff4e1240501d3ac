from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from mloop.cli import render
from mloop.cli.errors import handle_errors

app = typer.Typer(no_args_is_help=True, help="List, search, compare, inspect, resume and reproduce runs.")
console = Console(highlight=False)


@app.command("list")
@handle_errors
def list_runs(
    pipeline: Annotated[str | None, typer.Option(help="Only runs of this pipeline.")] = None,
    status: Annotated[str | None, typer.Option(help="Only runs with this status.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (newest first).")] = 20,
) -> None:
    """The newest runs."""
    from mloop.pipeline.execution.runner import recover_interrupted
    from mloop.stores.workspace import get_workspace

    workspace = get_workspace()
    recover_interrupted(workspace)
    records = workspace.runs.list_runs(pipeline, status, limit)
    table = Table()
    table.add_column("run", no_wrap=True)
    for column in ("pipeline", "status", "started", "duration", "params"):
        table.add_column(column)
    for record in records:
        duration = (record.ended_at - record.started_at).total_seconds() if record.ended_at and record.started_at else None
        params = ", ".join(f"{k}={v}" for k, v in record.params.items())
        table.add_row(record.id, record.pipeline, render.status(record.status), render.when(record.started_at),
                      render.seconds(duration), params[:60])
    console.print(table if records else "no runs yet; start one with: mloop run pipeline.yaml")


def print_run(run: Any) -> None:
    console.print(f"run [bold]{run.id}[/] of [bold]{run.pipeline}[/]: {render.status(run.status)} "
                  f"in {render.seconds(run.duration)}")
    if run.error:
        console.print(f"[red]{run.error}[/]", soft_wrap=True)
    table = Table()
    for column in ("step", "status", "attempts", "duration", "outputs"):
        table.add_column(column)
    for step_run in run.steps:
        outputs = ", ".join(f"{name}={a.id[:10]} ({render.summary(a.summary)})" for name, a in step_run.outputs.items())
        table.add_row(step_run.node, render.status(step_run.status), str(len(step_run.attempts) or ""),
                      render.seconds(step_run.duration), outputs)
    console.print(table)


@app.command()
@handle_errors
def show(run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")]) -> None:
    """A run: parameters, code version, environment and every step."""
    from mloop import get_run

    run = get_run(run_id)
    print_run(run)
    console.print(f"params: {run.params}")
    code = run.code_version
    if code.get("git_sha"):
        console.print(f"code: git {code['git_sha'][:12]}" + (" (dirty)" if code.get("dirty") else ""))
    env = run.environment
    if env:
        console.print(f"environment: python {env.get('python')} with {len(env.get('packages', {}))} packages")
    if run.record.reproduces:
        console.print(f"reproduces: {run.record.reproduces}")
    from mloop.cli.tracking import print_tracked

    print_tracked(run.id)


@app.command()
@handle_errors
def logs(
    run_id: Annotated[str, typer.Argument(help="Run id.")],
    step: Annotated[str, typer.Argument(help="Step name in the run.")],
    attempt: Annotated[int | None, typer.Option(help="Attempt number (default: the last).")] = None,
) -> None:
    """The captured stdout, stderr and logging of one step."""
    from mloop import get_run

    text = get_run(run_id).step(step).logs(attempt)
    typer.echo(text, nl=not text.endswith("\n"))


@app.command()
@handle_errors
def resume(
    run_id: Annotated[str, typer.Argument(help="A failed or interrupted run.")],
    no_cache: Annotated[bool, typer.Option("--no-cache")] = False,
) -> None:
    """Run again only the steps that failed or never ran, reusing every output that succeeded."""
    from mloop import get_run
    from mloop.pipeline.execution.runner import RunOptions, resume_run
    from mloop.stores.workspace import get_workspace

    workspace = get_workspace()
    run = get_run(resume_run(workspace, run_id, RunOptions(cache=not no_cache)), workspace)
    print_run(run)
    if run.status != "succeeded":
        raise typer.Exit(1)


@app.command()
@handle_errors
def reproduce(run_id: Annotated[str, typer.Argument(help="The run to re-execute.")]) -> None:
    """Re-execute a run from its recorded parameters and data, caching off, and compare output hashes."""
    from mloop.pipeline.results.reproduce import reproduce_run

    report = reproduce_run(run_id)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    table = Table(title=f"reproduce {report.original.id} → {report.reproduced.id}", title_justify="left")
    for column in ("step", "output", "original", "reproduced", "same"):
        table.add_column(column)
    for item in report.outputs:
        table.add_row(item.node, item.output, render.short(item.original), render.short(item.reproduced),
                      "[green]yes[/]" if item.same else "[red]no[/]")
    console.print(table)
    if report.identical:
        console.print("[green]reproduced: every output has the same hash[/]")
    else:
        console.print("[red]not reproduced: some outputs differ[/]")
        raise typer.Exit(1)
