"""The blessing gate: every rule with its values, champion and candidate on the same data, the
leak rule, checks, forcing, and the gate as a pipeline step."""

from __future__ import annotations

import subprocess
from pathlib import Path

import fraud_example as fe
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import mloop
from mloop.registry import Blessing, evaluate, list_versions


def eval_data(seed: int = 9, n: int = 300) -> pd.DataFrame:
    return fe.transactions(n, seed).fillna(0.0)


def auc(version: str, data: pd.DataFrame) -> float:
    model = mloop.load_model(version).model
    return float(roc_auc_score(data["y"], model.predict_proba(data.drop(columns="y"))[:, 1]))


def test_min_and_max_on_recorded_metrics(trained: mloop.Run) -> None:
    low = mloop.register_model("fraud", trained.output("train"), metrics={"val_auc": 0.7})
    leaky = mloop.register_model("fraud", trained.output("train"), metrics={"val_auc": 0.9995})
    policy = Blessing(metric="val_auc", min=0.8, max=0.999)

    refused = mloop.bless(low, policy)
    too_good = mloop.bless(leaky, policy)

    assert not refused.passed and not refused.blessed
    assert [(r.rule, r.passed, r.value, r.threshold) for r in refused.rules] == [
        ("min", False, 0.7, 0.8), ("max", True, 0.7, 0.999)]
    assert refused.rules[0].reason == "val_auc 0.7 < min 0.8"
    assert too_good.failures[0].reason == "val_auc 0.9995 > max 0.999 (too good to be true: a leak?)"
    assert refused.summary() == "fraud/1 is not blessed: val_auc 0.7 < min 0.8"
    stored = mloop.get_model_version("fraud/1").blessing
    assert stored is not None and stored.rules == refused.rules and stored.policy == policy.to_dict()
    assert stored.evaluation["source"] == "recorded metrics"


def test_missing_metric_fails_with_the_fix(trained: mloop.Run) -> None:
    version = mloop.register_model("fraud", trained.output("train"))
    report = mloop.bless(version, Blessing(metric="val_auc", min=0.8))
    assert report.failures[0].reason == ("fraud/1 has no val_auc (register it with metrics={'val_auc': ...} or "
                                         "bless with evaluation data)")


@pytest.mark.parametrize(("candidate", "tolerance", "passes"), [(0.899, 0.002, True), (0.85, 0.002, False),
                                                                 (0.95, 0.0, True)])
def test_must_beat_the_champion_within_tolerance_on_recorded_metrics(trained: mloop.Run, candidate: float,
                                                                     tolerance: float, passes: bool) -> None:
    champion = mloop.register_model("fraud", trained.output("train"), metrics={"val_auc": 0.9})
    mloop.promote(champion, "champion", force=True)
    challenger = mloop.register_model("fraud", trained.output("train"), metrics={"val_auc": candidate})

    report = mloop.bless(challenger, Blessing(metric="val_auc", must_beat="champion", tolerance=tolerance))

    [rule] = report.rules
    assert (rule.rule, rule.passed, rule.value, rule.baseline) == ("must_beat", passes, candidate, 0.9)
    assert rule.threshold == pytest.approx(0.9 - tolerance)
    assert report.evaluation["champion"] == 1


def test_lower_is_better_metrics_compare_the_other_way(trained: mloop.Run) -> None:
    champion = mloop.register_model("fraud", trained.output("train"), metrics={"val_rmse": 10.0})
    mloop.promote(champion, "champion", force=True)
    worse = mloop.register_model("fraud", trained.output("train"), metrics={"val_rmse": 10.5})
    better = mloop.register_model("fraud", trained.output("train"), metrics={"val_rmse": 9.0})
    policy = Blessing(metric="val_rmse", must_beat="champion", tolerance=0.1)

    assert not mloop.bless(worse, policy).passed
    assert mloop.bless(better, policy).passed


def test_no_champion_yet_passes_must_beat(trained: mloop.Run) -> None:
    version = mloop.register_model("fraud", trained.output("train"), metrics={"val_auc": 0.9})
    [rule] = mloop.bless(version, Blessing(metric="val_auc", must_beat="champion")).rules
    assert rule.passed and rule.reason == "no champion yet: nothing to beat"


def test_champion_and_candidate_are_scored_on_the_same_evaluation_data(workspace: Path) -> None:
    champion_run = fe.training.run(seed=0)
    candidate_run = fe.training.run(seed=5, n=120, c=0.001)  # less data, heavily regularised
    data = eval_data()
    mloop.register_model("fraud", champion_run.output("train"), metrics={"val_auc": 0.5})  # recorded: ignored
    mloop.promote("fraud/1", "champion", force=True)
    mloop.register_model("fraud", candidate_run.output("train"), metrics={"val_auc": 0.99})
    champion_auc, candidate_auc = auc("fraud/1", data), auc("fraud/2", data)
    gap = champion_auc - candidate_auc
    assert gap > 0.005  # the candidate is worse on this data, whatever it recorded

    strict = mloop.bless("fraud/2", Blessing(metric="val_auc", must_beat="champion", tolerance=gap - 0.002),
                         eval_data=data, target="y")
    lenient = mloop.bless("fraud/2", Blessing(metric="val_auc", must_beat="champion", tolerance=gap + 0.002),
                          eval_data=data, target="y")

    for report, passes in ((strict, False), (lenient, True)):
        [rule] = report.rules
        assert rule.passed is passes
        assert rule.value == pytest.approx(candidate_auc) and rule.baseline == pytest.approx(champion_auc)
        assert "on the same evaluation data" in rule.reason
        assert report.evaluation["source"] == "evaluation data" and report.evaluation["rows"] == len(data)
    assert strict.evaluation["data_hash"] == lenient.evaluation["data_hash"]
    assert mloop.get_model_version("fraud/2").blessed  # the newest report decides


def test_evaluation_data_stores_the_model_card(trained: mloop.Run) -> None:
    mloop.register_model("fraud", trained.output("train"))
    report = mloop.bless("fraud/1", Blessing(metric="val_auc", min=0.6), eval_data=eval_data(), target="y",
                         slice_by="country")
    card = mloop.get_model_version("fraud/1").card

    assert report.passed and card is not None
    evaluation = card["evaluation"]
    assert evaluation["metrics"]["roc_auc"] == pytest.approx(auc("fraud/1", eval_data()))
    assert {s["value"] for s in evaluation["slices"]["values"]} == {"DE", "FR", "US"}
    assert sum(s["rows"] for s in evaluation["slices"]["values"]) == 300
    names = [f["name"] for f in card["importance"]["features"]]
    assert sorted(names) == ["age", "amount", "country", "hour"]
    assert 0 < card["importance"]["top_share"] < 0.8


def test_max_feature_importance_share_refuses_a_model_leaning_on_a_leaky_column(workspace: Path) -> None:
    honest, leaky = fe.balanced(800, seed=1), fe.balanced(800, seed=1, leak=True)
    for name, frame in (("honest", honest), ("leaky", leaky)):
        model = LogisticRegression().fit(frame.drop(columns="y"), frame["y"])
        mloop.register_model(name, model, training_data=frame, target="y")
    policy = Blessing(metric="val_auc", min=0.7, max_feature_importance_share=0.8)

    kept = mloop.bless("honest/1", policy, eval_data=fe.balanced(400, seed=2), target="y")
    refused = mloop.bless("leaky/1", policy, eval_data=fe.balanced(400, seed=2, leak=True), target="y")

    assert kept.passed
    assert not refused.passed
    [rule] = refused.failures
    assert rule.rule == "max_feature_importance_share" and rule.value is not None and rule.value > 0.8
    assert rule.reason.startswith("top feature 'leak' carries ")
    assert rule.reason.endswith("(> 80%): the model leans on one column (a leak?)")


def test_importance_rule_without_evaluation_data_or_card_fails_with_the_fix(trained: mloop.Run) -> None:
    version = mloop.register_model("fraud", trained.output("train"), metrics={"val_auc": 0.9})
    [rule] = mloop.bless(version, Blessing(metric="val_auc", max_feature_importance_share=0.8)).rules
    assert not rule.passed
    assert rule.reason == "no feature importance to check: bless with evaluation data (--eval-data)"
    evaluate(version, eval_data(), "y")  # a stored card is used from then on
    assert mloop.bless(version, Blessing(metric="val_auc", max_feature_importance_share=0.8)).passed


def test_required_checks_from_arguments_and_from_the_source_run(workspace: Path) -> None:
    good = fe.training.run(seed=0)
    bad = fe.training.run(seed=0, fail_validation=True)
    policy = Blessing(metric="val_auc", require=["data_validation"])
    mloop.register_model("fraud", good.output("train"))
    mloop.register_model("fraud", f"{bad.id}:train")  # its training step is a cache hit of `good`'s
    mloop.register_model("fraud", fe.fit_fraud(fe.transactions(100).fillna(0.0)),
                         training_data=fe.transactions(100).fillna(0.0), target="y")

    assert mloop.bless("fraud/1", policy).rules[0].reason == \
        f"step 'data_validation' of source run {good.id} passed"
    assert not mloop.bless("fraud/2", policy).passed
    no_run = mloop.bless("fraud/3", policy).rules[0]
    assert not no_run.passed and no_run.reason.startswith("no data validation report for the training data")
    assert mloop.bless("fraud/3", policy, checks={"data_validation": {"passed": True}}).passed
    assert not mloop.bless("fraud/1", policy, checks={"data_validation": False}).passed


def test_force_records_a_blessing_despite_failures(trained: mloop.Run) -> None:
    version = mloop.register_model("fraud", trained.output("train"), metrics={"val_auc": 0.5})
    report = mloop.bless(version, Blessing(metric="val_auc", min=0.8), force=True)
    assert not report.passed and report.forced and report.blessed
    assert report.summary() == "fraud/1 blessed by force despite val_auc 0.5 < min 0.8"
    mloop.promote(version, "champion")  # allowed: the forced blessing is on record


def test_policy_from_yaml_and_its_errors(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("metric: val_auc\nmin: 0.8\nmust_beat: champion\ntolerance: 0.002\nrequire: [data_validation]\n")
    assert Blessing.from_yaml(path) == Blessing(metric="val_auc", min=0.8, must_beat="champion", tolerance=0.002,
                                                require=("data_validation",))
    path.write_text("metric: val_auc\nminimum: 0.8\n")
    with pytest.raises(mloop.ValidationError, match="unknown blessing setting 'minimum'; known: higher_is_better"):
        Blessing.from_yaml(path)
    with pytest.raises(mloop.ValidationError, match="min 0.9 is above max 0.8"):
        Blessing(metric="auc", min=0.9, max=0.8)


def test_evaluation_data_errors(trained: mloop.Run) -> None:
    version = mloop.register_model("fraud", trained.output("train"))
    with pytest.raises(mloop.ValidationError, match="needs its label column: pass target="):
        mloop.bless(version, Blessing(metric="val_auc"), eval_data=eval_data())
    with pytest.raises(mloop.ValidationError, match="cannot compute 'val_gini' on evaluation data"):
        mloop.bless(version, Blessing(metric="val_gini"), eval_data=eval_data(), target="y")
    with pytest.raises(mloop.ValidationError, match="evaluation data has no target column 'label'"):
        mloop.bless(version, Blessing(metric="val_auc"), eval_data=eval_data(), target="label")


def test_the_gate_as_a_pipeline_step_registers_blesses_and_promotes(workspace: Path) -> None:
    first = fe.gated_training.run(seed=0)
    report = first.output("bless").load()
    assert report["blessed"] and report["promoted"] == "champion" and report["version"] == 1
    champion = mloop.get_model_version("fraud@champion")
    assert champion.version == 1 and champion.run_id == first.id
    assert champion.metrics["val_auc"] == pytest.approx(champion.blessing.rules[0].value)  # type: ignore[union-attr]

    failing = fe.gated_training.run(seed=1, fail_validation=True).output("bless").load()
    assert not failing["blessed"] and failing["promoted"] is None
    assert any(r["rule"] == "require:data_validation" and not r["passed"] for r in failing["rules"])
    assert mloop.get_model_version("fraud@champion").version == 1

    fe.gated_training.run(seed=0)  # the same trained artifact (cached): no new version
    assert [v.version for v in list_versions("fraud")] == [1, 2]


def test_the_gate_outside_a_pipeline_runs_at_once(workspace: Path) -> None:
    frame = fe.transactions(400).fillna(0.0)
    model = fe.fit_fraud(frame)
    gate = mloop.bless_step("fraud", {"metric": "val_auc", "min": 0.6}, target="y")
    with pytest.raises(mloop.ValidationError, match="pass training_data="):
        gate(model, eval_data())  # an object from nowhere: no training data to infer a signature from
    version = mloop.register_model("fraud", model, training_data=frame, target="y")
    assert gate(mloop.get_artifact(version.artifact_id), eval_data())["version"] == 2


def test_rerunning_the_gate_on_the_champion_records_no_alias_move(workspace: Path) -> None:
    first = fe.gated_training.run(seed=0)
    assert first.output("bless").load()["promoted"] == "champion"

    again = fe.gated_training.run(seed=0)  # the same model, blessed again

    assert again.output("bless").load()["promoted"] == "champion"
    assert [(c.from_version, c.to_version) for c in mloop.alias_history("fraud")] == [(None, 1)]


def test_a_version_the_gate_registers_records_its_runs_git_commit(workspace: Path) -> None:
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    subprocess.run(["git", "-C", str(workspace), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q",
                    "--allow-empty", "-m", "first"], check=True)
    sha = subprocess.run(["git", "-C", str(workspace), "rev-parse", "HEAD"], capture_output=True, text=True,
                         check=True).stdout.strip()

    run = fe.gated_training.run(seed=0)  # registered from inside the run, before the run records its code

    champion = mloop.get_model_version("fraud@champion")
    assert champion.lineage["code_version"]["git_sha"] == sha
    assert mloop.get_run(run.id).code_version["git_sha"] == sha


def test_f1_of_a_slice_without_positives_is_undefined_not_a_warning() -> None:
    import numpy as np
    import pandas as pd
    from sklearn.dummy import DummyClassifier

    from mloop.registry import scoring

    features = pd.DataFrame({"x": np.arange(6.0)})
    model = DummyClassifier(strategy="constant", constant=0).fit(features, [0, 1, 0, 1, 0, 1])
    assert scoring.score(model, features, pd.Series([0] * 6), "f1") is None  # no true nor predicted positive
    assert scoring.score(model, features, pd.Series([1, 0, 0, 0, 0, 0]), "f1") == 0.0
