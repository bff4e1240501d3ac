"""Data quality as users meet it in pipelines and the registry: a validation step that stops
training and keeps its report, the blessing rule that reads validation reports, the training-data
profile stored with a model version, and drift against it (in Python and as a step)."""

from __future__ import annotations

from pathlib import Path

import pytest
from quality_example import lenient_training, monitoring, transactions, validated_training

import mloop
from mloop.stores.workspace import get_workspace


def test_valid_data_passes_the_step_and_its_report_is_recorded(sqlite_workspace: Path) -> None:
    run = validated_training.run(young=3)

    assert {s.node: s.status for s in run.steps} == {
        "ingest": "succeeded", "data_validation": "succeeded", "train": "succeeded"}
    report = run.output("data_validation.report").load()
    assert isinstance(report, mloop.ValidationReport) and report.passed
    assert [r.name for r in report.warnings] == ["range(age)"]  # a warning does not stop training
    assert run.output("data_validation.data").load().equals(run.output("ingest").load())
    rows = mloop.list_quality_reports(run_id=run.id)
    assert [(r.kind, r.passed, r.artifact_id) for r in rows] == [
        ("validation", True, run.output("data_validation.report").id)]


def test_an_error_failure_stops_training_at_once_and_keeps_the_report(sqlite_workspace: Path) -> None:
    with pytest.raises(mloop.RunFailed) as caught:
        validated_training.run(bad_rows=4)

    run = caught.value.run
    assert {s.node: s.status for s in run.steps} == {
        "ingest": "succeeded", "data_validation": "failed", "train": "skipped"}
    step_run = run.step("data_validation")
    assert len(step_run.attempts) == 1
    assert step_run.error.startswith("step 'data_validation': data validation failed: 1 of 4 checks failed")
    report = step_run.output("report").load()
    failed = report.result("range(amount)")
    assert not report.passed and not failed.passed and failed.failing == 4
    assert [row["amount"] for row in failed.sample] == [-1.0] * 4
    assert [(r.kind, r.passed) for r in mloop.list_quality_reports(run_id=run.id)] == [("validation", False)]


def test_blessing_requires_passing_data_validation_of_the_source_run(sqlite_workspace: Path) -> None:
    policy = mloop.Blessing(metric="auc", require=["data_validation"])
    good = lenient_training.run()
    bad = lenient_training.run(bad_rows=5)
    good_version = mloop.register_model("fraud", good.output("train"))
    bad_version = mloop.register_model("fraud", bad.output("train"))

    passed = mloop.bless(good_version, policy)
    failed = mloop.bless(bad_version, policy)

    assert passed.passed and "all passed" in passed.rules[0].reason
    assert not failed.passed
    assert failed.rules[0].reason.startswith(f"1 data validation report(s) of source run {bad.id}: 1 failed")


def test_registering_stores_the_training_data_profile_once_and_drift_uses_it(workspace: Path) -> None:
    run = lenient_training.run()
    version = mloop.register_model("fraud", run.output("train"))
    quality = get_workspace().quality
    linked = quality.profiles_of([f"model:fraud/{version.version}"])[f"model:fraud/{version.version}"]
    training = run.output("ingest")
    assert quality.profiles_of([f"artifact:{training.id}"]) == {f"artifact:{training.id}": linked}  # the data's

    profile = mloop.training_profile("fraud/1")
    assert profile.rows == 400 and profile.column("amount").mean == pytest.approx(training.load()["amount"].mean())
    again = mloop.register_model("fraud", run.output("train"), metrics={"auc": 0.9})
    assert quality.profiles_of([f"model:fraud/{again.version}"]) == {"model:fraud/2": linked}  # reused

    same = mloop.detect_drift(profile, transactions(400, seed=7))
    shifted = mloop.detect_drift(mloop.drift_reference("fraud/1"), transactions(400, seed=7, shift=0.5))
    assert same.drifted_columns == []
    assert shifted.drifted_columns == ["amount"] and not shifted.exact


def test_a_drift_step_compares_with_the_models_training_data(sqlite_workspace: Path) -> None:
    mloop.register_model("fraud", lenient_training.run().output("train"))

    calm = monitoring("fraud/1", fail_on_drift=True).run()
    assert calm.output("drift").load().drifted_columns == []
    with pytest.raises(mloop.RunFailed) as caught:
        monitoring("fraud/1", fail_on_drift=True).run(shift=0.5)
    step_run = caught.value.run.step("drift")
    assert step_run.status == "failed" and step_run.error.startswith("step 'drift': data drifted: ")
    assert step_run.output().load().drifted_columns == ["amount"]
    assert [r.passed for r in mloop.list_quality_reports(kind="drift")] == [False, True]


def test_a_profile_step_stores_the_profile_of_its_input(sqlite_workspace: Path) -> None:
    from quality_example import profiled_pipeline

    run = profiled_pipeline.run(n=300)
    profile = run.output("profile_training_data").load()
    data = run.output("ingest")

    assert isinstance(profile, mloop.Profile) and profile.rows == 300
    assert profile.column("age").max == data.load()["age"].max()
    assert profile.name == f"profile_training_data input (artifact {data.id[:12]})"
    assert [(r.kind, r.subject) for r in mloop.list_quality_reports(run_id=run.id)] == [("profile", profile.name)]


def test_reports_and_profiles_of_the_same_data_are_the_same_artifact(sqlite_workspace: Path) -> None:
    """A report's bytes leave out when it was made: validating or profiling the same data twice
    stores one artifact, and a reproduce of a validated run finds its report identical."""
    first, second = validated_training.run(), validated_training.run(cache=False)
    assert first.output("data_validation.report").id == second.output("data_validation.report").id
    loaded = second.output("data_validation.report").load()
    assert loaded.created_at is None and loaded.passed  # its time is the artifact's
    frame = transactions(300)
    assert mloop.profile_data(frame).artifact_data() == mloop.profile_data(frame).artifact_data()
