"""mloop.autolog() with real scikit-learn, XGBoost and LightGBM training."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mloop


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 4))
    return features, (features[:, 0] + 0.5 * features[:, 1] > 0).astype(int)


@pytest.mark.usefixtures("workspace")
def test_sklearn_fit_logs_params_time_score_and_model(data: tuple[np.ndarray, np.ndarray]) -> None:
    features, labels = data
    mloop.autolog()
    with mloop.start_run("auto") as run:
        model = LogisticRegression(C=0.5, max_iter=200).fit(features, labels)

    tracked = mloop.get_run_data(run.id)
    assert tracked.params["C"] == "0.5" and tracked.params["max_iter"] == "200"
    assert tracked.tags["estimator"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert tracked.metrics["training_score"] == pytest.approx(model.score(features, labels))
    assert 0 < tracked.metrics["fit_seconds"] < 60
    loaded = tracked.artifacts["model"].load()
    assert (loaded.predict(features) == model.predict(features)).all()


@pytest.mark.usefixtures("workspace")
def test_only_the_outermost_fit_is_logged_and_enabling_twice_logs_once(data: tuple[np.ndarray, np.ndarray]) -> None:
    features, labels = data
    mloop.autolog()
    mloop.autolog()
    with mloop.start_run("auto") as run:
        make_pipeline(StandardScaler(), LogisticRegression()).fit(features, labels)
        search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2).fit(features, labels)

    history = mloop.get_metric_history(run.id, "fit_seconds")
    assert len(history) == 2  # the pipeline and the search, not their 2 + 5 inner fits
    tracked = mloop.get_run_data(run.id)
    assert tracked.params["param_grid"] == repr({"C": [0.1, 1.0]})
    assert tracked.tags["estimator"].endswith("GridSearchCV")
    assert tracked.artifacts["model"].load().best_params_ == search.best_params_


@pytest.mark.usefixtures("workspace")
def test_disable_restores_fit_and_classes_defined_later_are_patched(data: tuple[np.ndarray, np.ndarray]) -> None:
    features, labels = data
    original = LogisticRegression.fit
    mloop.autolog()
    assert LogisticRegression.fit is not original

    class Majority(ClassifierMixin, BaseEstimator):  # defined after autolog(): patched on definition
        def fit(self, X: np.ndarray, y: np.ndarray) -> Majority:
            self.classes_ = np.unique(y)
            self.value_ = np.bincount(y).argmax()
            return self

        def predict(self, X: np.ndarray) -> np.ndarray:
            return np.full(len(X), self.value_)

    with mloop.start_run("auto") as run:
        Majority().fit(features, labels)
    assert mloop.get_run_data(run.id).tags["estimator"].endswith("Majority")

    mloop.autolog(disable=True)
    assert LogisticRegression.fit is original
    with mloop.start_run("manual") as quiet:
        LogisticRegression().fit(features, labels)
    assert mloop.get_run_data(quiet.id).metrics == {}


@pytest.mark.usefixtures("sqlite_workspace")
def test_fit_outside_any_run_logs_nothing_and_works(data: tuple[np.ndarray, np.ndarray]) -> None:
    features, labels = data
    mloop.autolog()
    model = LogisticRegression().fit(features, labels)
    assert model.score(features, labels) > 0.9
    assert mloop.search_runs().empty


@pytest.mark.usefixtures("sqlite_workspace")
def test_autolog_inside_a_pipeline_step(data: tuple[np.ndarray, np.ndarray]) -> None:
    features, labels = data

    @mloop.step(cache=False)
    def fit(c: float) -> LogisticRegression:
        return LogisticRegression(C=c).fit(features, labels)

    @mloop.pipeline(name="auto-pipeline")
    def training(c: float = 2.0):
        fit(c)

    mloop.autolog()
    run = training.run()
    tracked = mloop.get_run_data(run.id)
    assert tracked.params["C"] == "2.0"
    assert "training_score" in tracked.metrics
    assert mloop.get_metric_history(run.id, "training_score")["step_run_id"].tolist() == [run.step("fit").id]
    assert set(mloop.get_run(run.id).step("fit").outputs) == {"output", "logged/model"}


@pytest.mark.usefixtures("sqlite_workspace")
def test_boosters_log_their_evaluation_history(data: tuple[np.ndarray, np.ndarray]) -> None:
    xgboost = pytest.importorskip("xgboost")
    lightgbm = pytest.importorskip("lightgbm")
    features, labels = data
    mloop.autolog()
    with mloop.start_run("boost") as run:
        train = xgboost.DMatrix(features, label=labels)
        xgboost.train({"objective": "binary:logistic", "eval_metric": "logloss"}, train, num_boost_round=4,
                      evals=[(train, "train")], verbose_eval=False)
        lightgbm.LGBMClassifier(n_estimators=3, verbose=-1).fit(features, labels, eval_X=(features,), eval_y=(labels,))

    tracked = mloop.get_run_data(run.id)
    assert mloop.get_metric_history(run.id, "train_logloss")["step"].tolist() == [0, 1, 2, 3]
    assert mloop.get_metric_history(run.id, "valid_0_binary_logloss")["step"].tolist() == [0, 1, 2]
    assert tracked.params["n_estimators"] == "3" and tracked.params["eval_metric"] == "logloss"  # one run: both
    assert type(tracked.artifacts["model"].load()).__name__ == "Booster"  # LightGBM's, logged last
