"""`mloop runs list | show | logs | resume | reproduce` (search, compare and metrics: cli/tracking.py)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

import mloop
from mloop.cli import documents, render
from mloop.cli.errors import err_console, handle_errors
from mloop.cli.render import Column

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="List, search, compare, inspect, resume and reproduce runs.")
console = render.out_console()
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables (for scripts).")]


@app.command("list")
@handle_errors
def list_runs(
    pipeline: Annotated[str | None, typer.Option(help="Only runs of this pipeline.")] = None,
    status: Annotated[str | None, typer.Option(help="Only runs with this status: pending, running, succeeded, "
                                               "failed or interrupted.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (newest first).")] = 20,
    as_json: JSON = False,
) -> None:
    """The newest runs."""
    records = mloop.list_runs(pipeline, status, limit)
    if as_json:
        render.print_json([documents.run_record(r) for r in records])
        return
    if not records:
        console.print("no run matches" if pipeline or status else "no runs yet; start one with: mloop run pipeline.yaml")
        return
    columns = [Column("run"), Column("pipeline"), Column("status"), Column("started", drop=2),
               Column("duration", drop=3), Column("params", fixed=False, drop=1)]
    rows = [[render.run_id(console, r.id), render.escape(r.pipeline), render.status(r.status), render.when(r.started_at),
             render.seconds(render.duration(r.started_at, r.ended_at)),
             render.escape(", ".join(f"{k}={v}" for k, v in r.params.items()))] for r in records]
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))


def print_run(run: Any) -> None:
    console.print(f"run [bold]{run.id}[/] of [bold]{render.escape(run.pipeline)}[/]: {render.status(run.status)} "
                  f"in {render.seconds(run.duration)}", soft_wrap=True)
    if run.error:
        console.print(f"[red]{render.escape(run.error)}[/]", soft_wrap=True)
    columns = [Column("step"), Column("status"), Column("attempts", drop=2), Column("duration", drop=1),
               Column("outputs", fixed=False, min_width=20)]
    rows = [[render.escape(s.node), render.status(s.status), str(len(s.attempts) or ""), render.seconds(s.duration),
             ", ".join(f"{name}={a.id[:10]} ({render.summary(a.summary)})" for name, a in s.outputs.items())]
            for s in run.steps]
    console.print(render.fit_table(console, columns, rows)[0])


@app.command()
@handle_errors
def show(run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")], as_json: JSON = False
         ) -> None:
    """A run: parameters, code version, environment and every step."""
    from mloop.cli.tracking import print_tracked

    run = mloop.get_run(run_id)
    tracked = mloop.get_run_data(run.id)
    if as_json:
        render.print_json(documents.run(run, tracked))
        return
    print_run(run)
    console.print(f"params: {render.escape(str(run.params))}", soft_wrap=True)
    code = run.code_version
    if code.get("git_sha"):
        console.print(f"code: git {code['git_sha'][:12]}" + (" (dirty)" if code.get("dirty") else ""))
    env = run.environment
    if env:
        console.print(f"environment: python {env.get('python')} with {len(env.get('packages', {}))} packages")
    if run.record.reproduces:
        console.print(f"reproduces: {run.record.reproduces}")
    print_tracked(tracked, skip_params=run.params)


@app.command()
@handle_errors
def logs(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    step: Annotated[str, typer.Argument(help="Step name in the run.")],
    attempt: Annotated[int | None, typer.Option(help="Attempt number (default: the last).")] = None,
) -> None:
    """The captured stdout, stderr and logging of one step (notes about it go to stderr)."""
    run = mloop.get_run(run_id)
    step_run = run.step(step)
    source = step_run.cached_from_run if step_run.status == "cached" else None
    if step_run.status == "cached":
        origin = f"run {source}" if source else "an earlier run"
        hint = f"; see it alone with: mloop runs logs {source} {step_run.node}" if source else ""
        err_console.print(f"step {step_run.node!r} of run {run.id} was reused from cache: {origin} executed it; "
                          f"its log follows{hint}", soft_wrap=True, markup=False)
    text = step_run.logs(attempt)
    if not text:
        # of a cached step, the run named is the one that executed it, so its status is not this one's
        status = "" if source else f" (status {step_run.status})"
        err_console.print(f"step {step_run.node!r} of run {source or run.id} wrote no output{status}",
                          soft_wrap=True, markup=False)
        return
    typer.echo(text, nl=not text.endswith("\n"))


@app.command()
@handle_errors
def resume(
    run_id: Annotated[str, typer.Argument(help="A failed or interrupted run (a unique prefix is enough).")],
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Execute every remaining step, even when an "
                                           "earlier execution could be reused.")] = False,
) -> None:
    """Run again only the steps that failed or never ran, reusing every output that succeeded."""
    run = mloop.resume_run(run_id, cache=not no_cache)
    print_run(run)
    if run.status != "succeeded":
        raise typer.Exit(1)


@app.command()
@handle_errors
def reproduce(run_id: Annotated[str, typer.Argument(help="The run to re-execute (a unique prefix is enough).")]
              ) -> None:
    """Re-execute a run from its recorded parameters and data, caching off, and compare output hashes."""
    report = mloop.reproduce_run(run_id)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {render.escape(warning)}", soft_wrap=True)
    table = Table(title=f"reproduce {report.original.id} → {report.reproduced.id}", title_justify="left")
    for column in ("step", "output", "original", "reproduced", "same"):
        table.add_column(column, no_wrap=True, overflow="fold")
    for item in report.outputs:
        table.add_row(item.node, item.output, render.short(item.original), render.short(item.reproduced),
                      {"yes": "[green]yes[/]", "no": "[red]no[/]"}.get(item.verdict, f"[yellow]{item.verdict}[/]"))
    console.print(table)
    if report.not_compared:
        console.print(f"not compared: {', '.join(sorted({o.node for o in report.not_compared}))} "
                      "(side effects: a reproduce writes nothing to the registry)")
    if report.identical:
        console.print("[green]reproduced: every output has the same hash[/]")
    else:
        console.print("[red]not reproduced: some outputs differ[/]")
        raise typer.Exit(1)
