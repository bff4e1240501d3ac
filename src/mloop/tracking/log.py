"""The logging calls: `mloop.log_metric(s)`, `log_param(s)`, `set_tag(s)`, `log_artifact`.

Metric, param and tag calls only append to the buffer (no I/O); `log_artifact` stores the object
at once (it may change after the call) and records it in the same call.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.errors import ValidationError
from mloop.stores.metadata import ArtifactRecord
from mloop.stores.metadata.tracking_records import MAX_KEY_CHARS, MAX_VALUE_CHARS, as_text
from mloop.tracking.scope import Scope, current_scope

_MAX_NAME_CHARS = 190  # lineage names are "logged/<name>" in a 200-character column


def log_metric(key: str, value: float, step: int | None = None, timestamp: float | datetime | None = None) -> None:
    """Record one point of metric `key`. Without `step`, the step is one more than the last one
    logged for `key` here (0 first); `timestamp` defaults to now (epoch seconds or a datetime)."""
    scope = current_scope()
    row = _metric_row(scope, key, value, step, timestamp)
    with scope.sink.lock:
        scope.sink.metrics.append(row)
    scope.sink.wake_writer()


def log_metrics(metrics: Mapping[str, float], step: int | None = None,
                timestamp: float | datetime | None = None) -> None:
    """Record several metrics at one step (e.g. every metric of an epoch) in one call."""
    add_metrics(current_scope(), metrics, step, timestamp)


def log_param(key: str, value: Any) -> None:
    """Record a parameter of the run (text; non-strings as JSON, so 200 is "200"). Logging a key
    again replaces its value."""
    add_params(current_scope(), {key: value})


def log_params(params: Mapping[str, Any]) -> None:
    add_params(current_scope(), params)


def set_tag(key: str, value: Any) -> None:
    """Label the run (e.g. team=risk); searchable as tags.<key>. Setting a key again replaces it."""
    add_tags(current_scope(), {key: value})


def set_tags(tags: Mapping[str, Any]) -> None:
    add_tags(current_scope(), tags)


def log_artifact(obj: Any, name: str | None = None) -> str:
    """Store an object (with its materializer: a model, a DataFrame, ...) or a file or folder
    (`str` or `Path`) as an artifact of the run, and return its id. In a step it is also a
    lineage output of the step run, named "logged/<name>"."""
    return add_artifact(current_scope(), obj, name)


# ----------------------------------------------------- the same, for a given scope
def add_metrics(scope: Scope, metrics: Mapping[str, float], step: int | None,
                timestamp: float | datetime | None) -> None:
    if not isinstance(metrics, Mapping):
        raise ValidationError(f"log_metrics takes a dict of name -> number, not {type(metrics).__name__}")
    stamp = _timestamp(timestamp)
    rows = [_metric_row(scope, key, value, step, stamp) for key, value in metrics.items()]
    with scope.sink.lock:
        scope.sink.metrics.extend(rows)
    scope.sink.wake_writer()


def add_params(scope: Scope, params: Mapping[str, Any]) -> None:
    rows = [(scope.run_id, scope.step_run_id, _key(key), _text(key, value)) for key, value in _items(params, "params")]
    with scope.sink.lock:
        scope.sink.params.extend(rows)


def add_tags(scope: Scope, tags: Mapping[str, Any]) -> None:
    rows = [(scope.run_id, _key(key), _text(key, value)) for key, value in _items(tags, "tags")]
    with scope.sink.lock:
        scope.sink.tags.extend(rows)


def add_artifact(scope: Scope, obj: Any, name: str | None) -> str:
    from mloop.stores.artifacts import save_object
    from mloop.stores.opened import artifact_store

    store = artifact_store(scope.artifacts_url)
    if isinstance(obj, (str, os.PathLike)):
        path = Path(obj)
        if not path.exists():
            raise ValidationError(f"no file or folder {str(path)!r} to log as an artifact; to record a "
                                  "text value use mloop.log_param or mloop.set_tag")
        stored, default_name = save_object(store, path, "path"), path.name
    else:
        stored, default_name = save_object(store, obj), type(obj).__name__
    name = name or default_name
    if not isinstance(name, str) or not 0 < len(name) <= _MAX_NAME_CHARS:
        raise ValidationError(f"artifact name {name!r} must be a string of 1 to {_MAX_NAME_CHARS} characters")
    record = ArtifactRecord(
        id=stored.digest, uri=stored.uri, kind="logged", materializer=stored.materializer,
        materializer_version=stored.materializer_version, type_name=stored.type_name, size=stored.size,
        summary=_json_safe(stored.summary), created_at=utcnow(),
    )
    scope.sink.store.tracking.record_logged_artifact(scope.run_id, scope.step_run_id, name, record)
    return stored.digest


# ------------------------------------------------------------------- helpers
def _metric_row(scope: Scope, key: str, value: Any, step: int | None,
                timestamp: float | datetime | None) -> tuple[str, str | None, str, float, int, float]:
    if type(key) is not str or not 0 < len(key) <= MAX_KEY_CHARS:
        _key(key)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"metric {key!r} must be a number, not {value!r}") from None
    if step is None:
        step = scope.steps.get(key, -1) + 1
    elif type(step) is not int:
        step = _step(key, step)
    scope.steps[key] = step
    stamp = time.time() if timestamp is None else timestamp if type(timestamp) is float else _timestamp(timestamp)
    return (scope.run_id, scope.step_run_id, key, number, step, stamp)


def _key(key: Any) -> str:
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_CHARS:
        raise ValidationError(f"a tracked key must be a string of 1 to {MAX_KEY_CHARS} characters, not {key!r}")
    return key


def _step(key: str, step: Any) -> int:
    try:
        return int(step.__index__())
    except (AttributeError, TypeError):
        raise ValidationError(f"step of metric {key!r} must be an integer, not {step!r}") from None


def _text(key: str, value: Any) -> str:
    text = as_text(value)
    if len(text) > MAX_VALUE_CHARS:
        raise ValidationError(f"value of {key!r} has {len(text)} characters; at most {MAX_VALUE_CHARS} are kept "
                              "(log a long value as an artifact: mloop.log_artifact)")
    return text


def _timestamp(value: float | datetime | None) -> float:
    if value is None:
        return time.time()
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"timestamp must be epoch seconds or a datetime, not {value!r}") from None


def _json_safe(value: Any) -> Any:
    """A summary without NaN or infinities, which PostgreSQL's JSON refuses (e.g. error_score=nan)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _items(values: Mapping[str, Any], what: str) -> Any:
    if not isinstance(values, Mapping):
        raise ValidationError(f"{what} must be a dict of name -> value, not {type(values).__name__}")
    return values.items()
