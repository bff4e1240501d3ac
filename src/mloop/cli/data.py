"""`mloop data`: infer a suite, validate, profile and compare data for drift."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

import mloop
from mloop.cli import render
from mloop.cli.errors import err_console, handle_errors
from mloop.cli.render import Column

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="Data quality: validation suites, profiles, drift, HTML reports.")
suite_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Validation suites.")
app.add_typer(suite_app, name="suite")
console = render.out_console()
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables (for scripts).")]
REPORT = Annotated[Path | None, typer.Option("--report", metavar="FILE.html",
                                             help="Also write a self-contained HTML report here.")]
DATA = Annotated[str, typer.Argument(help="A Parquet or CSV file, a folder of them, or a glob.")]
T = TypeVar("T")


@contextmanager
def working(what: str) -> Iterator[None]:
    """A live line on stderr while `what` runs (only in a terminal; nothing when piped)."""
    if not err_console.is_terminal:
        yield
        return
    with err_console.status(what, spinner="dots"):
        yield


def _timed(what: str, function: Callable[[], T]) -> T:
    with working(what):
        return function()


@suite_app.command("infer")
@handle_errors
def infer(data: DATA,
          name: Annotated[str | None, typer.Option(help="The suite's name (default: the data's file name).")] = None,
          max_categories: Annotated[int, typer.Option(
              help="A text column with at most this many values gets an allowed-values check.")] = 50,
          output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the YAML here, not stdout.")] = None,
          ) -> None:
    """Infer a validation suite from reference data; prints YAML to edit (or writes it with -o)."""
    suite = _timed(f"inferring a suite from {data}", lambda: mloop.infer_suite(
        data, name=name or Path(data).stem, max_categories=max_categories))
    if output is None:
        typer.echo(suite.to_yaml(), nl=False)
        return
    suite.save(output)
    err_console.print(f"wrote {output} ({len(suite.checks)} checks); validate with: "
                      f"mloop data validate DATA --suite {output}")


@app.command()
@handle_errors
def validate(data: DATA,
             suite: Annotated[Path, typer.Option("--suite", "-s", help="The suite YAML (mloop data suite infer).")],
             report: REPORT = None, as_json: JSON = False,
             now: Annotated[str | None, typer.Option(help="The time freshness checks compare with (ISO 8601; "
                                                          "default: now).")] = None,
             ) -> None:
    """Validate data against a suite; exit code 1 when an error-severity check fails."""
    loaded = mloop.Suite.load(suite)
    result = _timed(f"validating {data}", lambda: mloop.validate(data, loaded, now=now))
    if report is not None:
        mloop.write_report(result, report)
    if as_json:
        render.print_json(result.to_dict())
    else:
        _print_validation(result, report)
    if not result.passed:
        raise typer.Exit(1)


def _print_validation(result: Any, report: Path | None) -> None:
    columns = [Column("check"), Column("severity"), Column("result"),
               Column("expected", fixed=False, min_width=12, drop=1), Column("observed", fixed=False, min_width=16)]
    rows = []
    for check in sorted(result.results, key=lambda c: (c.passed, c.severity != "error")):
        verdict = "[green]pass[/]" if check.passed else ("[red]FAIL[/]" if check.severity == "error" else "[yellow]warn[/]")
        rows.append([render.escape(check.name), check.severity, verdict,
                     render.escape(check.expectation or _short(check.expected)),
                     render.escape(check.message or _short(check.observed))])
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))
    for check in result.results:
        if not check.passed and check.sample:
            console.print(f"[bold]{render.escape(check.name)}[/]: {len(check.sample)} sample row(s) that fail it")
            for row in check.sample:
                console.print("  " + render.escape(json.dumps(row, default=str)))
    colour = "green" if result.passed else "red"
    console.print(f"[{colour}]{render.escape(result.summary())}[/]")
    if report is not None:
        console.print(f"report: {report}")


def _short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


@app.command()
@handle_errors
def profile(data: DATA, report: REPORT = None, as_json: JSON = False) -> None:
    """Per-column statistics: count, nulls, distinct, mean/std/min/max/quantiles, top values."""
    result = _timed(f"profiling {data}", lambda: mloop.profile_data(data))
    if report is not None:
        mloop.write_report(result, report)
    if as_json:
        render.print_json(result.to_dict())
        return
    columns = [Column("column"), Column("kind"), Column("count"), Column("nulls"), Column("distinct"),
               Column("mean", drop=3), Column("std", drop=3), Column("min", drop=2), Column("max", drop=2),
               Column("top", fixed=False, drop=1, min_width=12)]
    rows = []
    for column in result.columns:
        top = ", ".join(f"{value} ({count:,})" for value, count in list(zip(column.values, column.value_counts, strict=False))[:3])
        rows.append([render.escape(column.name), column.kind, f"{column.count:,}", f"{column.nulls:,}",
                     _number(column.distinct), _number(column.mean), _number(column.std), _number(column.min),
                     _number(column.max), render.escape(top)])
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))
    console.print(f"{result.rows:,} rows, {len(result.columns)} columns" + (f"; report: {report}" if report else ""))


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@app.command()
@handle_errors
def drift(reference: Annotated[str, typer.Argument(
              help="Reference: data (Parquet file/folder/glob), a profile JSON file, or a model "
                   "(fraud@champion, fraud/3: the stored profile of its training data).")],
          current: DATA,
          report: REPORT = None, as_json: JSON = False,
          columns: Annotated[str | None, typer.Option(help="Only these columns (comma-separated).")] = None,
          fail_on_drift: Annotated[bool, typer.Option("--fail-on-drift",
                                                      help="Exit code 1 when the data drifted.")] = False,
          ) -> None:
    """Compare current data with a reference, column by column; says which columns drifted and why."""
    chosen = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    result = _timed(f"comparing {current} with {reference}",
                    lambda: mloop.detect_drift(mloop.drift_reference(reference), current, columns=chosen))
    if report is not None:
        mloop.write_report(result, report)
    if as_json:
        render.print_json(result.to_dict())
    else:
        _print_drift(result, report)
    if fail_on_drift and result.drifted:
        raise typer.Exit(1)


def _print_drift(result: Any, report: Path | None) -> None:
    columns = [Column("column"), Column("kind"), Column("method"), Column("statistic"), Column("threshold"),
               Column("p-value", drop=2), Column("drifted"), Column("note", fixed=False, drop=1, min_width=12)]
    rows = []
    for column in sorted(result.columns, key=lambda c: (not c.drifted, c.name)):
        rows.append([render.escape(column.name), str(column.kind or ""), str(column.method or ""),
                     _number(column.statistic), _number(column.threshold), _number(column.p_value),
                     "[red]yes[/]" if column.drifted else "no", render.escape(column.note or "")])
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))
    for note in result.notes:
        console.print(f"note: {render.escape(note)}")
    colour = "red" if result.drifted else ("yellow" if result.drifted_columns else "green")
    console.print(f"[{colour}]{render.escape(result.summary())}[/]")
    if report is not None:
        console.print(f"report: {report}")


@app.command("reports")
@handle_errors
def reports(kind: Annotated[str | None, typer.Option(help="validation, drift or profile.")] = None,
            run: Annotated[str | None, typer.Option(help="Only the reports of this run.")] = None,
            limit: Annotated[int, typer.Option(help="At most this many (newest first).")] = 20,
            as_json: JSON = False) -> None:
    """Recorded quality reports (those pipeline steps produced), newest first."""
    found = mloop.list_quality_reports(kind=kind, run_id=run, limit=limit)
    if as_json:
        render.print_json([r.__dict__ for r in found])
        return
    if not found:
        console.print("no quality reports yet; a pipeline step that validates data records one "
                      "(mloop.validation_step)")
        return
    columns = [Column("report"), Column("kind"), Column("subject"), Column("passed"), Column("run"),
               Column("created"), Column("summary", fixed=False, drop=1, min_width=16)]
    rows = [[r.artifact_id[: render.ID_PREFIX], r.kind, render.escape(r.subject),
             "" if r.passed is None else ("yes" if r.passed else "[red]no[/]"),
             render.run_id(console, r.run_id) if r.run_id else "", render.when(r.created_at),
             render.escape(str(r.summary.get("summary", "")))] for r in found]
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))
