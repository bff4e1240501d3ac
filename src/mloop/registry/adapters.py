"""What counts as a model, and one way to call any of them: scikit-learn estimators and
pipelines (and anything with `predict`), XGBoost and LightGBM boosters."""

from __future__ import annotations

from typing import Any

from mloop.core.errors import ValidationError

#: materializers that only ever hold data, never a model: refused without loading the bytes
DATA_MATERIALIZERS = frozenset({"pandas.parquet", "arrow.parquet", "polars.parquet", "json", "numpy", "bytes",
                                "path"})


def type_name(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def is_xgboost_booster(model: Any) -> bool:
    return type_name(model) == "xgboost.core.Booster"


def check_model(obj: Any, what: str) -> None:
    """Refuse anything that cannot predict, and scikit-learn estimators that were never fitted."""
    if not callable(getattr(obj, "predict", None)):
        raise ValidationError(
            f"cannot register {what}: a {type_name(obj)} is not a model (it has no predict method); register a "
            "fitted estimator or booster, or the artifact a training step returned, e.g. run.output('train')"
        )
    if type(obj).__module__.startswith("sklearn"):
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        try:
            check_is_fitted(obj)
        except NotFittedError:
            raise ValidationError(f"cannot register {what}: the {type(obj).__name__} is not fitted; call .fit(...) "
                                  "before registering it") from None
        except TypeError:
            pass  # not an estimator after all (a helper with predict): nothing more to check


def feature_names(model: Any) -> list[str] | None:
    """The input columns the model was fitted on, when it knows them."""
    names = getattr(model, "feature_names_in_", None)
    if names is None and is_xgboost_booster(model):
        names = model.feature_names
    if names is None and callable(getattr(model, "feature_name", None)):  # lightgbm.Booster
        names = model.feature_name()
    return [str(n) for n in names] if names is not None else None


def n_features(model: Any) -> int | None:
    count = getattr(model, "n_features_in_", None)
    if count is None and is_xgboost_booster(model):
        count = model.num_features()
    if count is None and callable(getattr(model, "num_feature", None)):
        count = model.num_feature()
    return int(count) if count is not None else None


def predict(model: Any, frame: Any) -> Any:
    if is_xgboost_booster(model):
        import xgboost as xgb

        return model.predict(xgb.DMatrix(frame))
    return model.predict(frame)


def predict_proba(model: Any, frame: Any) -> Any | None:
    """Class probabilities (n, classes), or None when the model does not give them."""
    if callable(getattr(model, "predict_proba", None)):
        return model.predict_proba(frame)
    return None


def classes(model: Any) -> list[Any] | None:
    values = getattr(model, "classes_", None)
    return [v.item() if hasattr(v, "item") else v for v in values] if values is not None else None


def is_classifier(model: Any) -> bool:
    return classes(model) is not None or callable(getattr(model, "predict_proba", None))


class Estimator:
    """A scikit-learn-shaped view of any model, for sklearn.inspection on boosters as well."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def fit(self, *_: Any) -> Estimator:  # never called: permutation importance only scores
        return self

    def predict(self, frame: Any) -> Any:
        return predict(self.model, frame)

    def predict_proba(self, frame: Any) -> Any:
        probabilities = predict_proba(self.model, frame)
        if probabilities is None:
            raise ValidationError(f"a {type_name(self.model)} gives no class probabilities (predict_proba)")
        return probabilities
