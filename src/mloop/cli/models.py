"""`mloop models ...`: the model registry from the terminal. Exit codes: 0 done, 1 the check
asked for failed (a version not blessed, a payload that does not match), 2 a user error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

import mloop
from mloop import NotFoundError, ValidationError
from mloop.cli import documents, render
from mloop.cli import models_render as show_
from mloop.cli.errors import err_console, handle_errors

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="Register, inspect, bless, promote and roll back model versions.")
console = render.out_console()
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables (for scripts).")]


@app.command("list")
@handle_errors
def list_models(as_json: JSON = False) -> None:
    """Every registered model: latest version and aliases."""
    models, aliases = mloop.list_models(), mloop.model_aliases()
    if as_json:
        render.print_json([documents.model(m, aliases.get(m.name, {})) for m in models])
        return
    show_.models_table(console, models, aliases)


@app.command()
@handle_errors
def show(ref: Annotated[str, typer.Argument(help="fraud (all versions), fraud/3, fraud@champion or fraud@latest")],
         as_json: JSON = False) -> None:
    """A model's versions, or one version: signature, metrics, lineage, model card, blessing, history."""
    if "/" not in ref and "@" not in ref:
        versions = mloop.list_versions(ref)
        aliases, stages = mloop.alias_history(ref), mloop.stage_history(ref)
        if as_json:
            render.print_json({"name": ref, "versions": [documents.model_version(v) for v in versions],
                               "history": _history(aliases, stages)})
            return
        show_.versions_table(console, ref, versions)
        show_.history_table(console, aliases, stages)
        return
    version = mloop.get_model_version(ref)
    aliases = [c for c in mloop.alias_history(version.name) if version.version in (c.from_version, c.to_version)]
    stages = mloop.stage_history(version.name, version.version)
    if as_json:
        render.print_json(documents.model_version(version, detail=True) | {"history": _history(aliases, stages)})
        return
    show_.version_detail(console, version)
    show_.history_table(console, aliases, stages)


def _history(aliases: list[Any], stages: list[Any]) -> list[dict[str, Any]]:
    moves = [documents.alias_change(c) for c in aliases] + [documents.stage_change(c) for c in stages]
    return sorted(moves, key=lambda move: move["changed_at"])


@app.command()
@handle_errors
def register(
    name: Annotated[str, typer.Argument(help="Model name, e.g. fraud.")],
    source: Annotated[str, typer.Argument(help="An artifact id (a unique prefix is enough) or RUN:step[.output].")],
    metric: Annotated[list[str], typer.Option("--metric", "-m", metavar="KEY=VALUE", help="Metric key=value (repeatable).")] = [],  # noqa: B006
    description: Annotated[str, typer.Option(help="What this version is.")] = "",
    training_data: Annotated[str | None, typer.Option("--training-data", help="Data file or artifact id the model "
                                                      "was trained on, when lineage does not tell.")] = None,
    target: Annotated[str | None, typer.Option(help="Label column to leave out of the signature.")] = None,
) -> None:
    """Register a new version from a model artifact."""
    data = read_table(training_data) if training_data and Path(training_data).is_file() else training_data
    version = mloop.register_model(name, source, metrics=parse_metrics(metric), description=description,
                             training_data=data, target=target)
    columns = len(version.signature.inputs) if version.signature else 0
    console.print(f"registered [bold]{version.ref}[/] (artifact {version.artifact_id[:12]}, {columns} input columns)")


@app.command()
@handle_errors
def promote(
    name: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[str, typer.Argument(help="Version number (or an alias, e.g. challenger).")],
    alias: Annotated[str, typer.Option(help="Alias to move to this version.")] = "champion",
    reason: Annotated[str, typer.Option(help="Why (recorded in the alias history).")] = "",
    force: Annotated[bool, typer.Option("--force", help="Promote an unblessed version to champion anyway "
                                        "(recorded).")] = False,
) -> None:
    """Move an alias (default: champion) to a version; champion needs a blessed version."""
    change = mloop.promote(mloop.get_model_version(name, version), alias, reason=reason, force=force)
    show_.alias_change(console, change)


@app.command()
@handle_errors
def rollback(
    name: Annotated[str, typer.Argument(help="Model name.")],
    alias: Annotated[str, typer.Option(help="Alias to move back.")] = "champion",
    reason: Annotated[str, typer.Option(help="Why (recorded in the alias history).")] = "",
) -> None:
    """Move an alias (default: champion) back to the version it pointed at before."""
    show_.alias_change(console, mloop.rollback(name, alias, reason=reason))


@app.command()
@handle_errors
def stage(
    name: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[str, typer.Argument(help="Version number or alias.")],
    to: Annotated[str, typer.Argument(help="staging, production, archived or none.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the stage history).")] = "",
    force: Annotated[bool, typer.Option("--force", help="Move an unblessed version to production anyway "
                                        "(recorded).")] = False,
) -> None:
    """Move a version to a stage, recording who, when and why."""
    change = mloop.set_stage(mloop.get_model_version(name, version), None if to == "none" else to, reason=reason, force=force)
    console.print(f"{change.model}/{change.version}: stage {change.from_stage or '—'} → {change.to_stage or '—'}"
                  + (" [yellow](forced)[/]" if change.forced else ""))


@app.command()
@handle_errors
def bless(
    name: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[str, typer.Argument(help="Version number or alias.")],
    policy: Annotated[Path | None, typer.Option(help="Blessing policy YAML (metric, min, max, must_beat, ...).")] = None,
    eval_data: Annotated[Path | None, typer.Option("--eval-data", help="Labelled evaluation data (.parquet, "
                                                   ".csv or .json): the candidate and champion are scored on it.")
                         ] = None,
    target: Annotated[str | None, typer.Option(help="Label column of the evaluation data.")] = None,
    slice_by: Annotated[str | None, typer.Option("--slice-by", help="Column to evaluate per value of.")] = None,
    metric: Annotated[str | None, typer.Option(help="Metric (overrides the policy's), e.g. val_auc.")] = None,
    min_value: Annotated[float | None, typer.Option("--min", help="Lowest acceptable value.")] = None,
    max_value: Annotated[float | None, typer.Option("--max", help="Highest believable value.")] = None,
    must_beat: Annotated[str | None, typer.Option("--must-beat", help="Alias to compare with, e.g. champion.")] = None,
    tolerance: Annotated[float | None, typer.Option(help="How far the candidate may trail it.")] = None,
    require: Annotated[list[str], typer.Option(metavar="CHECK", help="A check that must have passed (repeatable).")] = [],  # noqa: B006
    max_share: Annotated[float | None, typer.Option("--max-importance-share",
                                                    help="Refuse a model whose top feature has more of the "
                                                    "permutation importance than this.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Record the version as blessed whatever the rules say.")
                     ] = False,
) -> None:
    """Evaluate a blessing policy on a version and record the report (exit 1 if not blessed)."""
    settings: dict[str, Any] = mloop.Blessing.from_yaml(policy).to_dict() if policy else {}
    overrides = {"metric": metric, "min": min_value, "max": max_value, "must_beat": must_beat, "tolerance": tolerance,
                 "require": require or None, "max_feature_importance_share": max_share}
    settings.update({k: v for k, v in overrides.items() if v is not None})
    if "metric" not in settings:
        raise ValidationError("give a blessing policy with --policy policy.yaml or at least --metric, e.g. "
                              "--metric val_auc --min 0.8 --must-beat champion")
    data = read_table(eval_data) if eval_data else None
    report = mloop.bless(mloop.get_model_version(name, version), mloop.Blessing.from_dict(settings), eval_data=data,
                           target=target, slice_by=slice_by, force=force)
    show_.blessing_report(console, report)
    if not report.blessed:
        raise typer.Exit(1)


@app.command()
@handle_errors
def schema(
    ref: Annotated[str, typer.Argument(help="fraud/3, fraud@champion or fraud@latest")],
    format: Annotated[str, typer.Option("--format", "-f", help="jsonschema, avro or proto.")] = "jsonschema",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
) -> None:
    """Export a version's signature as JSON Schema, an Avro schema or a protobuf .proto file."""
    version = mloop.get_model_version(ref)
    text = version.export_signature(format)
    if output:
        output.write_text(text + "\n")
        console.print(f"wrote {format} schema of {version.ref} to {output}")
    else:
        typer.echo(text)


@app.command("check-payload")
@handle_errors
def check_payload(
    ref: Annotated[str, typer.Argument(help="fraud/3, fraud@champion or fraud@latest")],
    payload: Annotated[Path, typer.Argument(help="JSON: a record, a list of records, or {\"instances\": [...]}.")],
) -> None:
    """Check a request payload against a version's signature (exit 1 if it does not match)."""
    version = mloop.get_model_version(ref)
    if version.signature is None:
        raise NotFoundError(f"{version.ref} has no signature to check against")
    try:
        data = json.loads(payload.read_text())
    except OSError as exc:
        raise NotFoundError(f"cannot read {payload}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{payload} is not JSON: {exc}") from None
    problems = version.signature.problems(data)
    if problems:
        err_console.print(f"[red]payload does not match {version.ref}:[/red] {'; '.join(problems)}", soft_wrap=True)
        raise typer.Exit(1)
    rows = len(data["instances"]) if isinstance(data, dict) and "instances" in data else \
        len(data) if isinstance(data, list) else 1
    console.print(f"ok: {rows} record(s) match the signature of {version.ref}")


def parse_metrics(values: list[str]) -> dict[str, float]:
    metrics = {}
    for item in values:
        key, sep, raw = item.partition("=")
        try:
            metrics[key.strip()] = float(raw)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise ValidationError(f"metric {item!r} is not key=number; write e.g. --metric val_auc=0.91")
    return metrics


def read_table(path: str | Path) -> Any:
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise NotFoundError(f"no such data file: {file}")
    readers = {".parquet": pd.read_parquet, ".csv": pd.read_csv, ".json": pd.read_json}
    reader = readers.get(file.suffix.lower())
    if reader is None:
        raise ValidationError(f"cannot read {file.name}: use a .parquet, .csv or .json file")
    return reader(file)
