"""`mloop models ...`: the model registry from the terminal. Exit codes: 0 done, 1 the check
asked for failed (a version not blessed, a payload that does not match), 2 a user error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from mloop.cli import models_render as show_
from mloop.cli.errors import err_console, handle_errors
from mloop.core.errors import NotFoundError, ValidationError

app = typer.Typer(no_args_is_help=True, help="Register, inspect, bless, promote and roll back model versions.")
console = Console(highlight=False)
FORMATS = ("jsonschema", "avro", "proto")


@app.command("list")
@handle_errors
def list_models() -> None:
    """Every registered model: latest version and aliases."""
    from mloop.stores.workspace import get_workspace

    workspace = get_workspace()
    show_.models_table(console, workspace.registry.list_models(), workspace.registry.model_aliases())


@app.command()
@handle_errors
def show(ref: Annotated[str, typer.Argument(help="fraud (all versions), fraud/3, fraud@champion or fraud@latest")]
         ) -> None:
    """A model's versions, or one version: signature, metrics, lineage, model card, blessing, history."""
    from mloop.registry import get_model_version, list_versions
    from mloop.stores.workspace import get_workspace

    workspace = get_workspace()
    if "/" not in ref and "@" not in ref:
        show_.versions_table(console, ref, list_versions(ref))
        show_.history_table(console, workspace.registry.alias_history(ref), workspace.registry.stage_history(ref))
        return
    version = get_model_version(ref)
    show_.version_detail(console, version)
    show_.history_table(console, [c for c in workspace.registry.alias_history(version.name) if version.version in
                                  (c.from_version, c.to_version)], workspace.registry.stage_history(version.name, version.version))


@app.command()
@handle_errors
def register(
    name: Annotated[str, typer.Argument(help="Model name, e.g. fraud.")],
    source: Annotated[str, typer.Argument(help="An artifact id (a unique prefix is enough) or RUN:step[.output].")],
    metric: Annotated[list[str], typer.Option("--metric", "-m", help="Metric key=value (repeatable).")] = [],  # noqa: B006
    description: Annotated[str, typer.Option(help="What this version is.")] = "",
    training_data: Annotated[str | None, typer.Option("--training-data", help="Data file or artifact id the model "
                                                      "was trained on, when lineage does not tell.")] = None,
    target: Annotated[str | None, typer.Option(help="Label column to leave out of the signature.")] = None,
) -> None:
    """Register a new version from a model artifact."""
    from mloop.registry import register_model

    data = read_table(training_data) if training_data and Path(training_data).is_file() else training_data
    version = register_model(name, source, metrics=parse_metrics(metric), description=description,
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
    force: Annotated[bool, typer.Option(help="Promote an unblessed version to champion anyway (recorded).")] = False,
) -> None:
    """Move an alias (default: champion) to a version; champion needs a blessed version."""
    from mloop.registry import get_model_version
    from mloop.registry import promote as promote_version

    change = promote_version(get_model_version(name, version), alias, reason=reason, force=force)
    show_.alias_change(console, change)


@app.command()
@handle_errors
def rollback(
    name: Annotated[str, typer.Argument(help="Model name.")],
    alias: Annotated[str, typer.Option(help="Alias to move back.")] = "champion",
    reason: Annotated[str, typer.Option(help="Why (recorded in the alias history).")] = "",
) -> None:
    """Move an alias (default: champion) back to the version it pointed at before."""
    from mloop.registry import rollback as rollback_alias

    show_.alias_change(console, rollback_alias(name, alias, reason=reason))


@app.command()
@handle_errors
def stage(
    name: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[str, typer.Argument(help="Version number or alias.")],
    to: Annotated[str, typer.Argument(help="staging, production, archived or none.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the stage history).")] = "",
    force: Annotated[bool, typer.Option(help="Move an unblessed version to production anyway (recorded).")] = False,
) -> None:
    """Move a version to a stage, recording who, when and why."""
    from mloop.registry import get_model_version, set_stage

    change = set_stage(get_model_version(name, version), None if to == "none" else to, reason=reason, force=force)
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
    require: Annotated[list[str], typer.Option(help="A check that must have passed (repeatable).")] = [],  # noqa: B006
    max_share: Annotated[float | None, typer.Option("--max-importance-share",
                                                    help="Refuse a model whose top feature has more of the "
                                                    "permutation importance than this.")] = None,
    force: Annotated[bool, typer.Option(help="Record the version as blessed whatever the rules say.")] = False,
) -> None:
    """Evaluate a blessing policy on a version and record the report (exit 1 if not blessed)."""
    from mloop.registry import Blessing, get_model_version
    from mloop.registry import bless as bless_version

    settings: dict[str, Any] = Blessing.from_yaml(policy).to_dict() if policy else {}
    overrides = {"metric": metric, "min": min_value, "max": max_value, "must_beat": must_beat, "tolerance": tolerance,
                 "require": require or None, "max_feature_importance_share": max_share}
    settings.update({k: v for k, v in overrides.items() if v is not None})
    if "metric" not in settings:
        raise ValidationError("give a blessing policy with --policy policy.yaml or at least --metric, e.g. "
                              "--metric val_auc --min 0.8 --must-beat champion")
    data = read_table(eval_data) if eval_data else None
    report = bless_version(get_model_version(name, version), Blessing.from_dict(settings), eval_data=data,
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
    from mloop.registry import get_model_version
    from mloop.registry.schema_formats import identifier

    if format not in FORMATS:
        raise ValidationError(f"unknown schema format {format!r}; use one of: {', '.join(FORMATS)}")
    version = get_model_version(ref)
    signature = version.signature
    if signature is None:
        raise NotFoundError(f"{version.ref} has no signature; register it again with training data")
    if format == "proto":
        text = signature.to_proto(version.name, package=f"mloop.{identifier(version.name)}.v{version.version}")
    elif format == "avro":
        text = json.dumps(signature.to_avro(f"{version.name}_input", f"mloop.{identifier(version.name)}"), indent=2)
    else:
        text = json.dumps(signature.to_json_schema(f"{version.ref} input"), indent=2)
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
    from mloop.registry import get_model_version

    version = get_model_version(ref)
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
