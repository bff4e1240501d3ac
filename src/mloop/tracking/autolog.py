"""`mloop.autolog()`: training with scikit-learn (and XGBoost / LightGBM, natively or through their
scikit-learn API) logs itself to the current step or run: the estimator's params, `fit_seconds`,
`training_score` (its score on the training data), per-iteration evaluation results of boosters,
and the fitted model as the artifact "model".

Every scikit-learn estimator class that defines `fit` is patched: those imported already (found
through `BaseEstimator.__subclasses__`) and those defined later (through `__init_subclass__`), so
enabling it does not import all of scikit-learn. Only the outermost fit of a run is logged (a
Pipeline, not its steps; a search, not its candidates). Outside any step or run nothing is logged.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from mloop.core.errors import ValidationError
from mloop.stores.metadata.tracking_records import MAX_VALUE_CHARS
from mloop.tracking import log
from mloop.tracking.scope import Scope, current_scope

_log = logging.getLogger("mloop.tracking")
#: (owner, attribute) -> what was there before autolog (None: nothing in the owner's own dict)
_PATCHES: dict[tuple[Any, str], Any] = {}
_FITTING: set[int] = set()  # ids of scopes inside a logged fit
_MARK = "__mloop_autolog__"
_SETTINGS = {"log_models": True}


def autolog(disable: bool = False, log_models: bool = True) -> None:
    """Turn automatic logging of model training on (idempotent) or, with disable=True, off."""
    if disable:
        for (owner, name), original in reversed(list(_PATCHES.items())):
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        _PATCHES.clear()
        return
    if _PATCHES:
        return
    _SETTINGS["log_models"] = log_models
    if importlib.util.find_spec("sklearn") is not None:
        _patch_sklearn()
    if importlib.util.find_spec("xgboost") is not None:
        import xgboost

        _patch(xgboost, "train", _wrap_booster_train(xgboost.train, _xgboost_history))
    if importlib.util.find_spec("lightgbm") is not None:
        import lightgbm

        _patch(lightgbm, "train", _wrap_booster_train(lightgbm.train, _lightgbm_history))


# ------------------------------------------------------------------ scikit-learn
def _patch_sklearn() -> None:
    from sklearn.base import BaseEstimator

    for cls in _subclasses(BaseEstimator):
        _patch_fit(cls)
    inherited = BaseEstimator.__dict__.get("__init_subclass__")

    def init_subclass(cls: type, **kwargs: Any) -> None:
        if inherited is None:
            super(BaseEstimator, cls).__init_subclass__(**kwargs)
        else:
            inherited.__func__(cls, **kwargs)
        _patch_fit(cls)

    _patch(BaseEstimator, "__init_subclass__", classmethod(init_subclass))


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _patch_fit(cls: type) -> None:
    fit = cls.__dict__.get("fit")
    if callable(fit) and not hasattr(fit, _MARK):
        _patch(cls, "fit", _wrap_fit(fit))


def _wrap_fit(fit: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fit)
    def logged_fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        scope = _outermost_scope()
        if scope is None:
            return fit(self, *args, **kwargs)
        _FITTING.add(id(scope))
        try:
            started = time.perf_counter()
            result = fit(self, *args, **kwargs)
            seconds = time.perf_counter() - started
        finally:
            _FITTING.discard(id(scope))
        _quietly(_record_fit, scope, self, args, kwargs, seconds)
        return result

    setattr(logged_fit, _MARK, fit)
    return logged_fit


def _record_fit(scope: Scope, estimator: Any, args: tuple[Any, ...], kwargs: dict[str, Any], seconds: float) -> None:
    log.add_params(scope, {k: _param_value(v) for k, v in estimator.get_params(deep=True).items()})
    log.add_tags(scope, {"estimator": f"{type(estimator).__module__}.{type(estimator).__qualname__}"})
    metrics = {"fit_seconds": seconds}
    features = args[0] if args else kwargs.get("X")
    target = args[1] if len(args) > 1 else kwargs.get("y")
    if target is not None and hasattr(estimator, "score"):
        metrics["training_score"] = float(estimator.score(features, target))
    log.add_metrics(scope, metrics, None, None)
    booster = _booster_of(estimator)
    if booster is not None:
        _log_history(scope, _xgboost_history if hasattr(estimator, "get_booster") else _lightgbm_history, estimator)
    if _SETTINGS["log_models"]:
        log.add_artifact(scope, booster if booster is not None else estimator, "model")


def _booster_of(estimator: Any) -> Any:
    """The native booster of an XGBoost / LightGBM scikit-learn model (saved in its own format)."""
    if hasattr(estimator, "get_booster"):
        return estimator.get_booster()
    return getattr(estimator, "booster_", None) if hasattr(estimator, "evals_result_") else None


# ------------------------------------------------------- native booster training
def _wrap_booster_train(train: Callable[..., Any], history: Callable[[Any], dict[str, Any]]) -> Callable[..., Any]:
    @functools.wraps(train)
    def logged_train(params: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        scope = _outermost_scope()
        if scope is None:
            return train(params, *args, **kwargs)
        recorded: dict[str, Any] = {}
        if history is _xgboost_history and kwargs.get("evals_result") is None:
            kwargs["evals_result"] = recorded
        elif history is _lightgbm_history:
            import lightgbm

            kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), lightgbm.record_evaluation(recorded)]
        _FITTING.add(id(scope))
        try:
            started = time.perf_counter()
            booster = train(params, *args, **kwargs)
            seconds = time.perf_counter() - started
        finally:
            _FITTING.discard(id(scope))
        _quietly(_record_train, scope, params, kwargs.get("evals_result") or recorded, booster, seconds)
        return booster

    setattr(logged_train, _MARK, train)
    return logged_train


def _record_train(scope: Scope, params: dict[str, Any], evals: dict[str, Any], booster: Any, seconds: float) -> None:
    log.add_params(scope, {k: _param_value(v) for k, v in (params or {}).items()})
    log.add_metrics(scope, {"fit_seconds": seconds}, None, None)
    _log_evals(scope, evals)
    if _SETTINGS["log_models"]:
        log.add_artifact(scope, booster, "model")


def _xgboost_history(model: Any) -> dict[str, Any]:
    try:
        return dict(model.evals_result())
    except Exception:  # XGBoost raises when the model was fitted without an eval set
        return {}


def _lightgbm_history(model: Any) -> dict[str, Any]:
    return dict(getattr(model, "evals_result_", None) or {})


def _log_history(scope: Scope, history: Callable[[Any], dict[str, Any]], model: Any) -> None:
    _log_evals(scope, history(model))


def _log_evals(scope: Scope, evals: dict[str, Any]) -> None:
    """{dataset: {metric: [value per iteration]}} -> metric "<dataset>_<metric>" at step = iteration."""
    for dataset, metrics in evals.items():
        for metric, values in metrics.items():
            for iteration, value in enumerate(values):
                number = value[0] if isinstance(value, (tuple, list)) else value  # (mean, std) in cv
                log.add_metrics(scope, {f"{dataset}_{metric}": number}, iteration, None)


# ----------------------------------------------------------------------- helpers
def _outermost_scope() -> Scope | None:
    try:
        scope = current_scope()
    except ValidationError:  # no step and no open run: nothing to log to
        return None
    return None if id(scope) in _FITTING else scope


def _patch(owner: Any, name: str, replacement: Any) -> None:
    _PATCHES.setdefault((owner, name), owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name))
    setattr(owner, name, replacement)


def _param_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value if not isinstance(value, str) else value[:MAX_VALUE_CHARS]
    return repr(value)[:250]


def _quietly(record: Callable[..., None], *args: Any) -> None:
    try:
        record(*args)
    except Exception as exc:  # logging must never break the user's training
        _log.warning("mloop autolog could not record a fit: %s: %s", type(exc).__name__, exc)
