"""Data quality as pipeline steps.

    check = mloop.validation_step("suite.yaml")

    @mloop.pipeline
    def training():
        data, report = check(ingest())     # stops here when an error-severity check fails
        model = train(data)

A failed validation fails its step at once (no retry: the same data fails the same way) and
stops everything downstream, while its report is still stored as the step's `report` output
(`mloop runs show`, `mloop data reports`) and read by `Blessing(require=["data_validation"])`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mloop.core.errors import DataCheckFailed
from mloop.pipeline.definition.step import Step, step
from mloop.quality import recorded  # noqa: F401  (report rows are recorded for these steps' outputs)
from mloop.quality.inputs import open_data


def validation_step(suite: Any, *, name: str = "data_validation", sample_rows: int = 5,
                    description: str = "") -> Step[..., Any]:
    """A step validating its input table against `suite` (a Suite or a YAML path): outputs the
    table unchanged (`data`) and the ValidationReport (`report`)."""
    from mloop.quality.suite import Suite

    loaded = suite if isinstance(suite, Suite) else Suite.load(Path(suite))
    options: dict[str, Any] = {"name": name, "description": description or f"Validate data against suite "
                                                                             f"{loaded.name!r}"}
    if loaded.depends_on_now():  # freshness relative to now: a new answer every time
        options["cache"] = False
    checked = validate_data.with_options(**options)
    params: dict[str, Any] = {"suite": loaded.to_dict(), "sample_rows": sample_rows}

    def call(data: Any) -> Any:
        return checked(data, **params)

    call.step = checked  # type: ignore[attr-defined]
    return call  # type: ignore[return-value]


@step(name="data_validation", outputs=["data", "report"])
def validate_data(data: object, *, suite: Mapping[str, Any], sample_rows: int = 5) -> tuple[object, object]:
    """Validate `data` against `suite`; an error-severity failure fails the step with its report."""
    from mloop.quality.suite import Suite
    from mloop.quality.validation import validate

    report = validate(open_data(data, name=_input_name("data")), Suite.from_dict(dict(suite)), sample_rows=sample_rows)
    if not report.passed:
        raise DataCheckFailed(f"data validation failed: {report.summary()}", outputs={"report": report})
    return data, report


def _input_name(name: str) -> str | None:
    """What a step's input is called in its reports: the step and the artifact it came from."""
    from mloop.pipeline.execution.task import current_task

    task = current_task()
    reference = task.inputs.get(name) if task else None
    if task is None or not (isinstance(reference, tuple) and reference[0] == "artifact"):
        return None
    return f"{task.node} input (artifact {reference[1][:12]})"


def profile_step(*, name: str = "profile") -> Step[..., Any]:
    """A step that profiles its input table (output: the Profile)."""
    return profile_data_step.with_options(name=name)


@step(name="profile")
def profile_data_step(data: object) -> object:
    from mloop.quality.profile import profile

    return profile(open_data(data, name=_input_name("data")))


def drift_step(reference: Any, *, name: str = "drift", fail_on_drift: bool = False,
               columns: list[str] | None = None, thresholds: Mapping[str, Any] | None = None) -> Any:
    """A step comparing its input table with `reference` (a model such as 'fraud@champion' — its
    training-data profile —, a data path, or a Profile); output: the DriftReport. With
    `fail_on_drift`, drift of the table (see `thresholds`, e.g. {"share": 0.3}) fails the step
    (the report is kept) and stops what follows."""
    from mloop.quality.profile import Profile

    if isinstance(reference, Profile):
        params: dict[str, Any] = {"reference": reference.to_dict(), "reference_kind": "profile"}
    else:
        params = {"reference": str(reference), "reference_kind": "ref"}
    checked = compare_data.with_options(name=name, cache=False)
    params |= {"fail_on_drift": fail_on_drift, "columns": list(columns) if columns else None,
               "thresholds": dict(thresholds) if thresholds else None}

    def call(data: Any) -> Any:
        return checked(data, **params)

    call.step = checked  # type: ignore[attr-defined]
    return call


@step(name="drift")
def compare_data(data: object, *, reference: Any, reference_kind: str, fail_on_drift: bool = False,
                 columns: list[str] | None = None, thresholds: dict[str, Any] | None = None) -> object:
    from mloop.quality.drift import detect_drift
    from mloop.quality.profile import Profile
    from mloop.quality.references import drift_reference

    base = (Profile.from_dict(reference) if reference_kind == "profile"
            else drift_reference(reference, recorded.task_workspace()))
    report = detect_drift(base, open_data(data, name=_input_name("data")), columns=columns, thresholds=thresholds)
    if fail_on_drift and report.drifted:
        raise DataCheckFailed(f"data drifted: {report.summary()}", outputs={"output": report})
    return report
