"""Registering versions: from a pipeline run, an artifact id, RUN:step or a fitted object; what is
refused; immutability; numbering under concurrency (two processes)."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import fraud_example as fe
import pandas as pd
import pytest
from registry_races import READY, race

import mloop
from mloop.registry import list_versions


def test_register_from_a_pipeline_run_records_signature_lineage_and_code(trained: mloop.Run) -> None:
    version = mloop.register_model("fraud", trained.output("train"), metrics={"val_auc": 0.91},
                                   description="first try")

    assert (version.name, version.version, version.ref) == ("fraud", 1, "fraud/1")
    assert version.artifact_id == trained.output("train").id
    assert version.metrics == {"train_accuracy": pytest.approx(0.88, abs=0.1), "val_auc": 0.91}  # logged + given
    assert version.description == "first try"
    assert version.run_id == trained.id
    signature = version.signature
    assert signature is not None
    assert [(c.name, c.type, c.nullable) for c in signature.inputs] == [
        ("amount", "float", False), ("age", "integer", False), ("country", "string", False), ("hour", "integer", False)]
    assert signature.inputs[2].categories == ["DE", "FR", "US"]
    prediction, probabilities = signature.outputs
    assert (prediction.name, prediction.type, prediction.classes) == ("prediction", "integer", [0, 1])
    assert (probabilities.name, probabilities.shape) == ("probabilities", [-1, 2])
    lineage = version.lineage
    assert lineage["pipeline"] == "fraud-training" and lineage["step"] == "train"
    assert [d["artifact_id"] for d in lineage["training_data"]] == [trained.output("split.train").id]
    assert lineage["code_version"]["step_source_hash"] == trained.step("train").record.source_hash
    assert "git_sha" in lineage["code_version"]
    # the id that serving logs with every prediction: the bytes this version was trained on
    assert version.training_fingerprint == trained.output("split.train").id


def test_register_inside_a_notebook_run_links_the_run_and_its_logged_metrics(workspace: Path) -> None:
    frame = fe.transactions(300, seed=3)
    with mloop.start_run(experiment="fraud-notebook") as run:
        model = fe.fit_fraud(frame)
        run.log_metrics({"val_auc": 0.87, "val_loss": 0.4})
        version = mloop.register_model("fraud", model, training_data=frame, target="y", metrics={"val_loss": 0.3})

    assert version.run_id == run.id
    assert version.metrics == {"val_auc": 0.87, "val_loss": 0.3}  # logged, overridden by what was given
    assert version.lineage["experiment"] == "fraud-notebook"
    assert mloop.get_model_version("fraud/1").run_id == run.id
    # once the run is over, a registered object has no run
    assert mloop.register_model("fraud", model, training_data=frame, target="y").run_id is None


def test_a_table_in_memory_is_fingerprinted_by_its_content(sqlite_workspace: Path) -> None:
    frame = fe.transactions(300, seed=3)
    model = fe.fit_fraud(frame)
    first = mloop.register_model("fraud", model, training_data=frame, target="y")
    same = mloop.register_model("fraud", model, training_data=frame.copy(), target="y")
    changed = frame.copy()
    changed.loc[7, "amount"] += 1.0
    other = mloop.register_model("fraud", model, training_data=changed, target="y")

    described = first.lineage["training_frame"]
    assert described["shape"] == list(frame.shape) and described["bytes"] > 0
    assert first.training_fingerprint == described["fingerprint"] == same.training_fingerprint
    assert other.training_fingerprint != first.training_fingerprint  # one value differs: other bytes
    assert mloop.get_model_version(first.ref).training_fingerprint == described["fingerprint"]  # read back


def test_register_from_an_artifact_id_prefix_and_from_run_and_step(trained: mloop.Run) -> None:
    artifact = trained.output("train")
    by_id = mloop.register_model("fraud", artifact.id[:10])
    by_run = mloop.register_model("fraud", f"{trained.id}:train")

    assert [by_id.version, by_run.version] == [1, 2]
    assert by_id.artifact_id == by_run.artifact_id == artifact.id
    assert by_run.lineage["step_run_id"] == trained.step("train").id
    assert by_id.signature == by_run.signature


def test_register_a_fitted_object_with_training_data(workspace: Path) -> None:
    frame = fe.transactions(300, seed=3)
    model = fe.fit_fraud(frame)

    version = mloop.register_model("fraud", model, training_data=frame, target="y")

    assert version.run_id is None and version.artifact.materializer == "sklearn.skops"
    assert version.signature is not None
    amount = version.signature.inputs[0]
    assert (amount.name, amount.nullable) == ("amount", True)  # 5% of amounts are missing
    assert version.signature.columns == ["amount", "age", "country", "hour"]
    assert mloop.load_model("fraud/1").predict(frame.drop(columns="y").fillna(0.0)).shape == (300,)


def test_register_an_object_without_training_data_is_refused_with_the_fix(workspace: Path) -> None:
    model = fe.fit_fraud(fe.transactions(200))
    with pytest.raises(mloop.ValidationError, match="pass training_data="):
        mloop.register_model("fraud", model)


@pytest.mark.parametrize("thing", [pd.DataFrame({"a": [1, 2]}), {"a": 1}, "not an id at all but long"])
def test_registering_a_non_model_is_refused(workspace: Path, thing: object) -> None:
    expected = mloop.NotFoundError if isinstance(thing, str) else mloop.ValidationError
    with pytest.raises(expected) as error:
        mloop.register_model("fraud", thing)
    if not isinstance(thing, str):
        assert "is not a model" in str(error.value)
    assert mloop.registry.list_models() == []


def test_registering_a_data_artifact_is_refused_without_loading_it(trained: mloop.Run) -> None:
    data = trained.output("split.train")
    with pytest.raises(mloop.ValidationError, match=r"a pandas.DataFrame is not a model; register the output of the "
                                                    r"training step, e.g. run.output\('train'\)"):
        mloop.register_model("fraud", data)


def test_an_unfitted_estimator_is_refused(workspace: Path) -> None:
    with pytest.raises(mloop.ValidationError, match="is not fitted; call .fit"):
        mloop.register_model("fraud", fe.fraud_model(), training_data=fe.transactions(50))


def test_invalid_names_and_metrics(trained: mloop.Run) -> None:
    with pytest.raises(mloop.ValidationError, match="model name 'fr@ud' is not valid"):
        mloop.register_model("fr@ud", trained.output("train"))
    with pytest.raises(mloop.ValidationError, match="metric 'auc' must be a number"):
        mloop.register_model("fraud", trained.output("train"), metrics={"auc": "high"})


def test_versions_are_immutable_and_numbered_per_model(trained: mloop.Run) -> None:
    first = mloop.register_model("fraud", trained.output("train"), metrics={"val_auc": 0.9})
    mloop.register_model("churn", trained.output("train"))
    second = mloop.register_model("fraud", trained.output("train"), metrics={"val_auc": 0.7})

    with pytest.raises(AttributeError):
        first.version = 5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.record.metrics = {}  # type: ignore[misc]
    assert [v.version for v in list_versions("fraud")] == [1, 2]
    assert second.version == 2 and mloop.get_model_version("churn@latest").version == 1
    again = mloop.get_model_version("fraud/1")
    assert again.metrics["val_auc"] == 0.9 and again.record == first.record


def test_unknown_model_version_and_alias_errors(trained: mloop.Run) -> None:
    mloop.register_model("fraud", trained.output("train"))
    with pytest.raises(mloop.NotFoundError, match="no model 'churn'; list them with: mloop models list"):
        mloop.load_model("churn@champion")
    with pytest.raises(mloop.NotFoundError, match=r"model 'fraud' has no version 7 \(versions: 1..1\)"):
        mloop.load_model("fraud/7")
    with pytest.raises(mloop.NotFoundError) as error:
        mloop.load_model("fraud@champion")
    assert str(error.value) == ("model 'fraud' has no alias 'champion'; set one with: "
                                "mloop models promote fraud VERSION --alias champion")
    with pytest.raises(mloop.ValidationError, match="write NAME/VERSION or NAME@ALIAS"):
        mloop.load_model("fraud")


def test_load_by_version_alias_and_latest(trained: mloop.Run) -> None:
    mloop.register_model("fraud", trained.output("train"))
    mloop.register_model("fraud", trained.output("train"))
    mloop.promote("fraud/1", "challenger")

    assert mloop.load_model("fraud@latest").version.version == 2
    assert mloop.load_model("fraud@challenger").version.version == 1
    loaded = mloop.load_model("fraud/2")
    assert type(loaded.model).__name__ == "Pipeline"
    rows = fe.transactions(10, seed=4).fillna(0.0).drop(columns="y")
    assert list(loaded.predict(rows)) == list(loaded.model.predict(rows))
    assert loaded.predict_proba(rows).shape == (10, 2)


def test_concurrent_registrations_from_two_processes_get_distinct_numbers(trained: mloop.Run, tmp_path: Path) -> None:
    artifact = trained.output("train").id
    script = textwrap.dedent("""
        import mloop, sklearn.pipeline, skops.io
        mloop.get_workspace().registry.list_models()
    """) + READY + textwrap.dedent(f"""
        for _ in range(8):
            print(mloop.register_model("fraud", {artifact!r}).version)
    """)
    outputs = race(script, 2, tmp_path)

    numbers = [int(n) for out in outputs for n in out.split()]
    assert sorted(numbers) == list(range(1, 17))
    assert [v.version for v in list_versions("fraud")] == list(range(1, 17))
    assert mloop.get_model_version("fraud@latest").version == 16


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_boosters_register_load_and_bless(workspace: Path, library: str) -> None:
    frame = fe.balanced(300)
    features, labels = frame.drop(columns="y"), frame["y"]
    if library == "xgboost":
        import xgboost as xgb

        booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(features, label=labels), 10)
    else:
        import lightgbm as lgb

        booster = lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(features, labels), 10)

    version = mloop.register_model("scores", booster, training_data=frame, target="y")

    assert version.signature is not None and version.signature.columns == ["x1", "x2", "x3", "x4"]
    predictions = mloop.load_model("scores/1").predict(features.head(3))
    assert predictions.shape == (3,) and ((predictions >= 0) & (predictions <= 1)).all()
    assert mloop.bless(version, mloop.Blessing(metric="val_auc", min=0.7), eval_data=fe.balanced(200, seed=3),
                       target="y").passed
