"""`mloop schedule`, `mloop trigger` and `mloop scheduler`: declare when jobs run, and run them."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

import mloop
from mloop.cli import render
from mloop.cli.errors import handle_errors
from mloop.cli.render import Column
from mloop.core.errors import ValidationError

schedule_app = typer.Typer(rich_markup_mode=None, no_args_is_help=True,
                           help="Schedules: run pipelines, functions or monitors on cron or @every.")
trigger_app = typer.Typer(rich_markup_mode=None, no_args_is_help=True,
                          help="Triggers: run pipelines, functions or monitors on new data or an alert.")
console = render.out_console()
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables (for scripts).")]
NAME = Annotated[str, typer.Argument(help="The schedule's name.")]
PIPELINE = Annotated[str | None, typer.Option("--pipeline", help="file.py[:name], pipeline.yaml or package.module:name")]
FUNCTION = Annotated[str | None, typer.Option("--function", help="A Python function, package.module:function.")]
MONITOR = Annotated[str | None, typer.Option("--monitor", help="A monitor's name.")]
PARAMS = Annotated[list[str], typer.Option("-p", "--param", metavar="KEY=VALUE",
                                           help="Parameter or argument key=value (repeatable).")]
FOLDER = Annotated[str, typer.Option("--folder", help="Where the job runs, relative to the project folder.")]


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")
    app.add_typer(trigger_app, name="trigger")
    app.command("scheduler")(scheduler)


def parse_arguments(values: list[str]) -> dict[str, Any]:
    """`-p key=value` as {key: value}: JSON where the text is JSON (3, true, [1, 2]), else the text."""
    arguments: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"parameter {item!r} is not key=value; write e.g. -p n_estimators=200")
        try:
            arguments[key.strip()] = json.loads(raw)
        except ValueError:
            arguments[key.strip()] = raw
    return arguments


@schedule_app.command("add")
@handle_errors
def add(name: NAME,
        cron: Annotated[str, typer.Option("--cron", help="'0 3 * * *', '@daily' or '@every 5m'.")],
        pipeline: PIPELINE = None, function: FUNCTION = None, monitor: MONITOR = None, param: PARAMS = [],  # noqa: B006
        catchup: Annotated[str, typer.Option("--catchup", help="Due times missed while no scheduler ran: "
                                                               "skip them, or run once.")] = "skip",
        timezone: Annotated[str, typer.Option("--timezone", help="The cron's timezone (IANA name).")] = "UTC",
        folder: FOLDER = "",
        replace: Annotated[bool, typer.Option("--replace", help="Replace a schedule of that name.")] = False,
        as_json: JSON = False) -> None:
    """Schedule a pipeline run, a function or a monitor."""
    schedule = mloop.add_schedule(name, cron, pipeline=pipeline, function=function, monitor=monitor,
                                  arguments=parse_arguments(param), catchup=catchup, timezone=timezone, folder=folder,
                                  replace=replace)
    if as_json:
        render.print_json(schedule.to_dict())
        return
    console.print(f"schedule {render.escape(name)}: {schedule.job_kind} {render.escape(schedule.target)} on "
                  f"{render.escape(schedule.cron)} ({schedule.timezone}), next due {render.when(schedule.next_due_at)}; "
                  "runs while a scheduler runs: mloop scheduler", soft_wrap=True)


@schedule_app.command("apply")
@handle_errors
def apply(file: Annotated[Path, typer.Argument(help="A Python file with @pipeline(schedule=...) pipelines.")],
          as_json: JSON = False) -> None:
    """Schedule every @pipeline(schedule=...) of a file (updating those already there)."""
    applied = mloop.apply_schedules(file)
    if as_json:
        render.print_json([s.to_dict() for s in applied])
        return
    for schedule in applied:
        console.print(f"schedule {render.escape(schedule.name)}: {render.escape(schedule.target)} on "
                      f"{render.escape(schedule.cron)}, next due {render.when(schedule.next_due_at)}", soft_wrap=True)


@schedule_app.command("list")
@handle_errors
def list_command(as_json: JSON = False) -> None:
    """Every schedule: its job, cadence, next and last due times and how the last one went."""
    found = mloop.list_schedules()
    if as_json:
        render.print_json([s.to_dict() for s in found])
        return
    if not found:
        console.print("no schedules yet; add one with: mloop schedule add NAME --pipeline train.py --cron '0 3 * * *'")
        return
    # too narrow a terminal leaves out, first: last due, last outcome, the target, then paused
    columns = [Column("name"), Column("kind"), Column("target", fixed=False, min_width=10, drop=2), Column("cron"),
               Column("next due"), Column("last due", drop=4), Column("last outcome", drop=3), Column("paused", drop=1)]
    rows = [[render.escape(s.name), s.job_kind, render.escape(s.target), render.escape(s.cron),
             "-" if s.paused else render.when(s.next_due_at), render.when(s.last_due_at), _outcome(s.last_fire),
             "yes" if s.paused else ""] for s in found]
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))
    running = mloop.list_schedulers(running_only=True)
    if running:
        console.print(f"scheduler(s) running: {', '.join(render.escape(s.id) for s in running)}")
    else:
        console.print("[yellow]no scheduler is running: nothing fires until one runs: mloop scheduler[/]")


@schedule_app.command("pause")
@handle_errors
def pause(name: NAME) -> None:
    """Stop firing a schedule until resumed."""
    mloop.pause_schedule(name)
    console.print(f"paused schedule {render.escape(name)}; resume it with: mloop schedule resume {render.escape(name)}")


@schedule_app.command("resume")
@handle_errors
def resume(name: NAME) -> None:
    """Fire a paused schedule again, from its next due time."""
    schedule = mloop.resume_schedule(name)
    console.print(f"resumed schedule {render.escape(name)}, next due {render.when(schedule.next_due_at)}")


@schedule_app.command("remove")
@handle_errors
def remove(name: NAME) -> None:
    """Remove a schedule and its history (the runs it started stay)."""
    mloop.remove_schedule(name)
    console.print(f"removed schedule {render.escape(name)}")


@schedule_app.command("runs")
@handle_errors
def runs(name: NAME, limit: Annotated[int, typer.Option(help="At most this many.")] = 50, as_json: JSON = False) -> None:
    """A schedule's fires, newest first: due time, outcome, run id, how the job ended."""
    _print_fires(mloop.schedule_fires(name, limit=limit), as_json, f"schedule {name} has not fired yet")


@trigger_app.command("add")
@handle_errors
def trigger_add(name: Annotated[str, typer.Argument(help="The trigger's name.")],
                new_data: Annotated[str | None, typer.Option("--new-data", help="A folder, glob or URL to watch.")] = None,
                on_alert: Annotated[str | None, typer.Option("--on-alert", help="A monitor whose alerts fire it.")] = None,
                pipeline: PIPELINE = None, function: FUNCTION = None, monitor: MONITOR = None,
                param: PARAMS = [],  # noqa: B006
                param_name: Annotated[str | None, typer.Option("--param-name", help="The parameter that gets the new "
                                                               "files (default files) or alert ids.")] = None,
                folder: FOLDER = "", as_json: JSON = False) -> None:
    """Run a pipeline, a function or a monitor on new data or when a monitor raises an alert."""
    trigger = mloop.add_trigger(name, new_data=new_data, on_alert=on_alert, pipeline=pipeline, function=function,
                                monitor=monitor, arguments=parse_arguments(param), param_name=param_name, folder=folder)
    if as_json:
        render.print_json(_trigger_dict(trigger))
        return
    console.print(f"trigger {render.escape(name)}: {trigger.job_kind} {render.escape(trigger.target)} on "
                  f"{_event(trigger.kind, trigger.config)}; fires while a scheduler runs: mloop scheduler",
                  soft_wrap=True)


@trigger_app.command("list")
@handle_errors
def trigger_list(as_json: JSON = False) -> None:
    """Every trigger: its event and job."""
    found = mloop.list_triggers()
    if as_json:
        render.print_json([_trigger_dict(t) for t in found])
        return
    if not found:
        console.print("no triggers yet; add one with: mloop trigger add NAME --new-data data/ --pipeline train.py")
        return
    columns = [Column("name"), Column("event", fixed=False, min_width=10), Column("kind", drop=1),
               Column("target"), Column("updated", drop=2)]
    rows = [[render.escape(t.name), _event(t.kind, t.config), t.job_kind, render.escape(t.target),
             render.when(t.updated_at)] for t in found]
    table, _ = render.fit_table(console, columns, rows)
    console.print(table)


@trigger_app.command("remove")
@handle_errors
def trigger_remove(name: Annotated[str, typer.Argument(help="The trigger's name.")]) -> None:
    """Remove a trigger and its history."""
    mloop.remove_trigger(name)
    console.print(f"removed trigger {render.escape(name)}")


@trigger_app.command("runs")
@handle_errors
def trigger_runs(name: Annotated[str, typer.Argument(help="The trigger's name.")],
                 limit: Annotated[int, typer.Option(help="At most this many.")] = 50, as_json: JSON = False) -> None:
    """The jobs a trigger started, newest first."""
    _print_fires(mloop.trigger_fires(name, limit=limit), as_json, f"trigger {name} has not fired yet")


@handle_errors
def scheduler(
    tick: Annotated[str, typer.Option("--tick", help="How often to look for due schedules and events.")] = "1s",
    once: Annotated[bool, typer.Option("--once", help="One tick, wait for the jobs it started, exit.")] = False,
    grace: Annotated[str, typer.Option("--grace", help="How late a due time may be before it counts as "
                                                       "missed (see --catchup).")] = "30s",
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning or error.")] = "info",
    json_logs: Annotated[bool, typer.Option("--json-logs", help="Log one JSON object per line.")] = False,
) -> None:
    """Run the scheduler: fire due schedules and triggers until SIGTERM or Ctrl-C."""
    from mloop.core.durations import parse_duration
    from mloop.core.logs import configure_logging

    try:
        tick_seconds, grace_seconds = parse_duration(tick).total_seconds(), parse_duration(grace).total_seconds()
    except ValueError as exc:
        raise ValidationError(f"--tick and --grace {exc}") from None
    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValidationError(f"--log-level must be debug, info, warning or error, not {log_level!r}")
    configure_logging("scheduler", level=log_level, json=json_logs)
    mloop.run_scheduler(tick=tick_seconds, once=once, grace=grace_seconds)


def _print_fires(fires: list[Any], as_json: bool, empty: str) -> None:
    if as_json:
        render.print_json([asdict(f) for f in fires])
        return
    if not fires:
        console.print(render.escape(empty))
        return
    columns = [Column("due"), Column("fired"), Column("outcome"), Column("run"), Column("result"),
               Column("scheduler"), Column("error", fixed=False, drop=1, min_width=10)]
    rows = [[render.when(f.due_at), render.when(f.fired_at), render.status(f.outcome), f.run_id or "",
             render.status(f.result) if f.result else "", render.escape(f.scheduler), render.escape(f.error or "")]
            for f in fires]
    table, _ = render.fit_table(console, columns, rows)
    console.print(table)


def _outcome(fire: Any) -> str:
    if fire is None:
        return ""
    return render.status(fire.result or fire.outcome)


def _event(kind: str, config: dict[str, Any]) -> str:
    return f"new data in {render.escape(config['path'])}" if kind == "new_data" else \
        f"alert of {render.escape(str(config['monitor']))}"


def _trigger_dict(trigger: Any) -> dict[str, Any]:
    data = asdict(trigger)
    data.pop("state")  # what it has seen: internal, and large for a big folder
    return data
