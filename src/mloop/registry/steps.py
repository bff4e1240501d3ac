"""The blessing gate as a pipeline step: register the trained model, bless it on the evaluation
data against the champion, and optionally promote it when it passes.

    gate = mloop.bless_step("fraud", mloop.Blessing(metric="val_auc", min=0.8, must_beat="champion"),
                            target="y", promote="champion")

    @mloop.pipeline
    def training():
        train_df, test_df = split(ingest())
        gate(train(train_df), test_df, checks=validate(test_df))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from mloop.core.config import load_settings
from mloop.pipeline.definition.step import step
from mloop.pipeline.execution.task import StepTask, current_task
from mloop.pipeline.results.runs import Artifact
from mloop.registry import adapters, scoring, versions
from mloop.registry.blessing import Blessing, bless
from mloop.registry.references import check_alias, check_name
from mloop.registry.versions import ModelVersion, register_model
from mloop.stores.workspace import Workspace, get_workspace


def bless_step(model_name: str, policy: Blessing | Mapping[str, Any], *, target: str | None = None,
               slice_by: str | None = None, promote: str | None = None, description: str = "",
               metrics: Mapping[str, float] | None = None) -> Callable[..., Any]:
    """A gate to call in a `@pipeline` as `gate(model, eval_data, checks=report)`: it registers
    `model` as a version of `model_name`, blesses it with `policy` on `eval_data` (labels in
    `target`), and moves alias `promote` to it if blessed. Its output is the blessing report
    (a dict). Outside a pipeline it does the same at once."""
    chosen = policy if isinstance(policy, Blessing) else Blessing.from_dict(policy)
    params: dict[str, Any] = {
        "model_name": check_name(model_name), "policy": chosen.to_dict(), "target": target, "slice_by": slice_by,
        "promote": check_alias(promote) if promote else None, "description": description,
        "metrics": dict(metrics or {}),
    }

    def gate(model: Any, eval_data: Any = None, checks: Any = None) -> Any:
        data = {k: v for k, v in (("eval_data", eval_data), ("checks", checks)) if v is not None}
        return bless_model(model, **data, **params)

    return gate


#: what the gate returns during `mloop runs reproduce`, which must not change the registry
DRY_RUN_SUMMARY = "not run: a reproduce registers, blesses and promotes nothing (side effect)"


@step(name="bless", cache=False, side_effects=True)
def bless_model(model: object, eval_data: object = None, checks: object = None, *, model_name: str,
                policy: dict[str, Any], target: str | None = None, slice_by: str | None = None,
                promote: str | None = None, description: str = "",
                metrics: dict[str, float] | None = None) -> dict[str, Any]:
    """Register the model, bless it against the champion, promote it if blessed. (Inputs are
    annotated `object`, which accepts any step output.) A side effect: in a reproduce it writes
    nothing and returns a `dry_run` report, and its output is not compared."""
    task = current_task()
    workspace = _workspace(task)
    if task is not None and workspace.runs.get_run(task.run_id).reproduces:
        return {"model": model_name, "version": None, "passed": None, "blessed": None, "promoted": None,
                "summary": DRY_RUN_SUMMARY, "rules": [], "dry_run": True}
    rules = Blessing.from_dict(policy)
    values = dict(metrics or {})
    if eval_data is not None and target is not None and rules.scorer is not None:
        fitted = model.load() if isinstance(model, Artifact) else model  # an Artifact outside a pipeline
        features, labels = scoring.split_target(eval_data, target, adapters.feature_names(fitted))
        value = scoring.score(fitted, features, labels, rules.scorer)
        if value is not None:
            values.setdefault(rules.metric, value)
    version = _register(workspace, task, model, model_name, values, description, target)
    report = bless(version, rules, eval_data=eval_data, target=target, checks=_checks(checks, rules),
                   slice_by=slice_by, workspace=workspace)
    promoted = None
    if promote and report.blessed:
        if promote not in version.aliases:  # a rerun on the same model records no move "1 → 1"
            where = f"in run {task.run_id}" if task else "by the blessing step"
            versions.promote(version, promote, reason=f"blessed {where}")
        promoted = promote
    return {"model": version.name, "version": version.version, "passed": report.passed, "blessed": report.blessed,
            "promoted": promoted, "summary": report.summary(), "rules": [asdict(r) for r in report.rules]}


def _workspace(task: StepTask | None) -> Workspace:
    if task is None:
        return get_workspace()
    settings = load_settings().with_overrides(db_url=task.metadata_url or None, artifacts_url=task.artifacts_url)
    return get_workspace(settings)


def _register(workspace: Workspace, task: StepTask | None, model: Any, name: str, metrics: dict[str, float],
              description: str, target: str | None) -> ModelVersion:
    reference = task.inputs.get("model") if task else None
    if task is None or not (isinstance(reference, tuple) and reference[0] == "artifact"):
        return register_model(name, model, metrics=metrics, description=description, target=target,
                              workspace=workspace)
    artifact_id = reference[1]
    known = workspace.registry.find_model_version(name, artifact_id)
    if known is not None:  # a rerun of the same model artifact (a cache hit) registers no new version
        return ModelVersion(known, workspace)
    return register_model(name, _in_this_run(workspace, task, artifact_id), metrics=metrics,
                          description=description, target=target, workspace=workspace)


def _in_this_run(workspace: Workspace, task: StepTask, artifact_id: str) -> str:
    """'RUN:step.output' of the model in this run, so its lineage is this run's (also when cached)."""
    edges = [e for e in workspace.lineage.artifact_edges([artifact_id]) if e.direction == "out" and e.run_id == task.run_id]
    steps = workspace.runs.get_step_runs_by_id([e.step_run_id for e in edges[:1]])
    return f"{task.run_id}:{steps[0].node}.{edges[0].name}" if steps else artifact_id


def _checks(checks: Any, policy: Blessing) -> dict[str, Any] | None:
    """`checks` as {name: report}: a mapping of the required names, or one report for all of them."""
    if checks is None:
        return None
    if isinstance(checks, Mapping) and policy.require and set(policy.require) <= set(checks):
        return dict(checks)
    return {name: checks for name in policy.require}
