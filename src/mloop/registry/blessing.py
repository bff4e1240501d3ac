"""The blessing gate: a declarative policy a candidate version must pass before it may become
champion. With evaluation data, the candidate and the champion are scored on that same data;
without it, their recorded metrics are compared. Every rule is recorded with its values and reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.errors import MloopError, NotFoundError, ValidationError, invalid_yaml
from mloop.core.ids import new_id
from mloop.registry import scoring
from mloop.registry.card import frame_hash, model_card, prepare
from mloop.registry.references import parse_ref
from mloop.registry.reports import BlessingReport, RuleResult
from mloop.registry.versions import ModelVersion, current_user, get_model_version
from mloop.stores.workspace import Workspace


@dataclass(frozen=True)
class Blessing:
    """A blessing policy. `must_beat` names the alias (or version) to compare with: the candidate
    may trail it by at most `tolerance` (in the metric's direction). `require` names checks that
    must have passed (given as `checks=`, or steps of the version's source run). A model whose
    most important feature carries more than `max_feature_importance_share` of the total
    permutation importance is refused (a leak)."""

    metric: str
    min: float | None = None
    max: float | None = None
    must_beat: str | None = None
    tolerance: float = 0.0
    require: tuple[str, ...] = ()
    max_feature_importance_share: float | None = None
    higher_is_better: bool | None = None
    scoring: str | None = None  # the metric to compute on evaluation data; default: from `metric`

    def __post_init__(self) -> None:
        object.__setattr__(self, "require", tuple(self.require or ()))
        if self.tolerance < 0:
            raise ValidationError("blessing tolerance must be ≥ 0 (how far the candidate may trail the champion)")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValidationError(f"blessing min {self.min} is above max {self.max}")
        share = self.max_feature_importance_share
        if share is not None and not 0 < share <= 1:
            raise ValidationError("max_feature_importance_share must be in (0, 1], e.g. 0.8")
        if self.scoring is not None and self.scoring not in scoring.METRICS:
            raise ValidationError(f"unknown scoring {self.scoring!r}; use one of: {', '.join(scoring.METRICS)}")

    @property
    def scorer(self) -> str | None:
        return self.scoring or scoring.scorer_name(self.metric)

    @property
    def better_is_higher(self) -> bool:
        if self.higher_is_better is not None:
            return self.higher_is_better
        return scoring.METRICS.get(self.scorer or "", True)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["require"] = list(self.require)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Blessing:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError(f"unknown blessing setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
        if "metric" not in data:
            raise ValidationError("a blessing policy needs a metric, e.g. metric: val_auc")
        return cls(**data)

    @classmethod
    def from_yaml(cls, path: str | Path) -> Blessing:
        import yaml

        try:
            data = yaml.safe_load(Path(path).read_text())
        except OSError as exc:
            raise NotFoundError(f"cannot read blessing policy {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ValidationError(invalid_yaml(path, exc)) from None
        if not isinstance(data, dict):
            raise ValidationError(f"{path} must be a mapping, e.g. 'metric: val_auc' and 'min: 0.8'")
        return cls.from_dict(data)


def bless(ref: str | ModelVersion, policy: Blessing, *, eval_data: Any = None, target: str | None = None,
          checks: Mapping[str, Any] | None = None, slice_by: str | None = None, force: bool = False,
          workspace: Workspace | None = None) -> BlessingReport:
    """Evaluate `policy` on a version and record the report; the newest report decides whether
    the version is blessed. With `eval_data` (and its `target` column) the metric is computed
    for the candidate and the champion on that same data, and the candidate's model card
    (metrics, slices by `slice_by`, permutation importance) is stored with it. `force` records
    the version as blessed whatever the rules say."""
    candidate = get_model_version(ref, workspace=workspace)
    workspace = candidate._workspace
    baseline = _baseline(candidate, policy.must_beat)
    evaluation: dict[str, Any] = {"metric": policy.metric, "scorer": policy.scorer,
                                  "champion": baseline.version if baseline else None}
    card = candidate.card
    if eval_data is not None:
        card, values = _evaluate_on_data(candidate, baseline, policy, eval_data, target, slice_by, evaluation)
        workspace.registry.set_model_card(candidate.name, candidate.version, card)
    else:
        evaluation["source"] = "recorded metrics"
        values = (candidate.metrics.get(policy.metric), baseline.metrics.get(policy.metric) if baseline else None)
    evaluation["candidate_value"], evaluation["champion_value"] = values
    rules = _rules(policy, candidate, baseline, values, card, checks, evaluation)
    report = BlessingReport(candidate.name, candidate.version, all(r.passed for r in rules), force, tuple(rules),
                            policy.to_dict(), evaluation, new_id("b"), utcnow(), current_user())
    workspace.registry.add_blessing_report(report.to_record())
    return report


def _baseline(candidate: ModelVersion, must_beat: str | None) -> ModelVersion | None:
    if not must_beat:
        return None
    try:
        return get_model_version(parse_ref(candidate.name, must_beat), workspace=candidate._workspace)
    except NotFoundError:
        return None  # no champion yet: there is nothing to beat


def _evaluate_on_data(candidate: ModelVersion, baseline: ModelVersion | None, policy: Blessing, data: Any,
                      target: str | None, slice_by: str | None,
                      evaluation: dict[str, Any]) -> tuple[dict[str, Any], tuple[float | None, float | None]]:
    if target is None:
        raise ValidationError("blessing on evaluation data needs its label column: pass target=... (--target)")
    scorer = policy.scorer
    if scorer is None:
        raise ValidationError(f"cannot compute {policy.metric!r} on evaluation data; name the metric after one of "
                              f"{', '.join(scoring.METRICS)} (e.g. val_auc) or set scoring=...")
    model = candidate.load().model
    names = list(dict.fromkeys([scorer, *scoring.default_metrics(model)]))
    card = model_card(model, data, target, signature=candidate.signature, metrics=names, slice_by=slice_by)
    evaluation.update(source="evaluation data", rows=len(data), data_hash=frame_hash(data))
    champion_value = None
    if baseline is not None:
        try:
            features, labels = prepare(data, target, baseline.signature)
            champion_value = scoring.score(baseline.load().model, features, labels, scorer)
        except MloopError as exc:
            evaluation["champion_error"] = str(exc)
    return card, (card["evaluation"]["metrics"][scorer], champion_value)


def _rules(policy: Blessing, candidate: ModelVersion, baseline: ModelVersion | None,
           values: tuple[float | None, float | None], card: dict[str, Any] | None,
           checks: Mapping[str, Any] | None, evaluation: dict[str, Any]) -> list[RuleResult]:
    value, base = values
    metric = policy.metric
    missing = (f"{candidate.ref} has no {metric} (register it with metrics={{'{metric}': ...}} or bless with "
               "evaluation data)")
    rules = []
    if policy.min is not None:
        ok = value is not None and value >= policy.min
        why = missing if value is None else f"{metric} {value:.4g} {'≥' if ok else '<'} min {policy.min:g}"
        rules.append(RuleResult("min", ok, why, value, policy.min))
    if policy.max is not None:
        ok = value is not None and value <= policy.max
        why = missing if value is None else (f"{metric} {value:.4g} {'≤' if ok else '>'} max {policy.max:g}"
                                             + ("" if ok else " (too good to be true: a leak?)"))
        rules.append(RuleResult("max", ok, why, value, policy.max))
    if policy.must_beat:
        rules.append(_must_beat(policy, candidate, baseline, value, base, evaluation, missing))
    for name in policy.require:
        ok, why = requirement_check(name, checks, candidate)
        rules.append(RuleResult(f"require:{name}", ok, why))
    if policy.max_feature_importance_share is not None:
        rules.append(_importance_rule(policy.max_feature_importance_share, card))
    return rules


def _must_beat(policy: Blessing, candidate: ModelVersion, baseline: ModelVersion | None, value: float | None,
               base: float | None, evaluation: dict[str, Any], missing: str) -> RuleResult:
    metric, tolerance = policy.metric, policy.tolerance
    if baseline is None:
        return RuleResult("must_beat", True, f"no {policy.must_beat} yet: nothing to beat", value)
    if baseline.version == candidate.version:
        return RuleResult("must_beat", True, f"{candidate.ref} is the {policy.must_beat} itself", value, None, value)
    if value is None:
        return RuleResult("must_beat", False, missing)
    if base is None:
        why = evaluation.get("champion_error") or f"{baseline.ref} has no recorded {metric}; bless with evaluation data"
        return RuleResult("must_beat", False, f"cannot compare with {policy.must_beat} {baseline.ref}: {why}", value)
    higher = policy.better_is_higher
    bound = base - tolerance if higher else base + tolerance
    ok = value >= bound if higher else value <= bound
    where = " on the same evaluation data" if evaluation.get("source") == "evaluation data" else ""
    verdict = "holds up against" if ok else "is worse than"
    why = (f"{metric} {value:.4g} {verdict} {policy.must_beat} {baseline.ref}'s {base:.4g}{where} "
           f"(tolerance {tolerance:g})")
    return RuleResult("must_beat", ok, why, value, bound, base)


#: the check that reads the data validation reports of the version's source run
DATA_VALIDATION = "data_validation"


def requirement_check(name: str, checks: Mapping[str, Any] | None, candidate: ModelVersion) -> tuple[bool, str]:
    """Whether the check `name` (e.g. "data_validation") passed for `candidate`, and why."""
    if checks is not None and name in checks:
        passed = _passed(checks[name])
        return bool(passed), f"check {name!r} {'passed' if passed else 'failed'}"
    if name == DATA_VALIDATION and candidate.run_id:
        reports = _validation_reports(candidate)
        if reports:
            failed = [r for r in reports if not r.get("passed")]
            where = f"{len(reports)} data validation report(s) of source run {candidate.run_id}"
            if not failed:
                return True, f"{where}: all passed"
            return False, f"{where}: {len(failed)} failed ({failed[0].get('subject')}: {failed[0].get('summary', '')})"
    if candidate.run_id:
        from mloop.pipeline.results.runs import Run

        run = Run.load(candidate.run_id, candidate._workspace)
        for step_run in run.steps:
            if step_run.node == name:
                if step_run.status not in ("succeeded", "cached"):
                    return False, f"step {name!r} of source run {run.id} is {step_run.status}"
                output = step_run.outputs.get("output")
                report = output.load() if output is not None and output.materializer == "json" else None
                passed = _passed(report) if isinstance(report, dict) and "passed" in report else True
                return passed, f"step {name!r} of source run {run.id} {'passed' if passed else 'reported failure'}"
    if name == DATA_VALIDATION:
        return False, ("no data validation report for the training data: validate it in the pipeline that trains "
                       "the model (mloop.validation_step) or give checks={'data_validation': report}")
    return False, (f"no {name!r} check: give checks={{'{name}': report}} or run a {name!r} step in the pipeline "
                   "that trains the model")


def _validation_reports(candidate: ModelVersion) -> list[dict[str, Any]]:
    """The summaries of the validation reports the source run's steps produced or reused from
    cache (a report is a stored record whose summary says it is one; see mloop.quality)."""
    from mloop.pipeline.results.runs import Run

    run = Run.load(candidate.run_id, candidate._workspace)
    return [artifact.summary for step_run in run.steps for artifact in step_run.outputs.values()
            if artifact.materializer == "record" and artifact.summary.get("quality_report") == "validation"]


def _passed(value: Any) -> bool:
    if isinstance(value, Mapping):
        return bool(value.get("passed", False))
    return bool(getattr(value, "passed", value))


def _importance_rule(limit: float, card: dict[str, Any] | None) -> RuleResult:
    name = "max_feature_importance_share"
    importance = (card or {}).get("importance")
    if not importance:
        return RuleResult(name, False, "no feature importance to check: bless with evaluation data (--eval-data)",
                          None, limit)
    share = importance.get("top_share")
    if share is None:
        return RuleResult(name, False, "permutation importance is zero for every feature: the model ignores its "
                                       "inputs on this data", None, limit)
    ok = share <= limit
    why = (f"top feature {importance['top_feature']!r} carries {share:.0%} of the importance "
           f"({'≤' if ok else '>'} {limit:.0%})" + ("" if ok else ": the model leans on one column (a leak?)"))
    return RuleResult(name, ok, why, share, limit)
