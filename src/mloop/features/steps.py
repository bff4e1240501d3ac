"""A training set as a pipeline step: its output is the training DataFrame, stored with its
manifest, so a model trained from it — and registered — carries which feature values trained it.

    build = mloop.training_set_step("fraud_v1")

    @mloop.pipeline
    def training():
        frame = build(load_labels())
        gate(train(frame), ...)
"""

from __future__ import annotations

from typing import Any

from mloop.pipeline.definition.step import step


def training_set_step(features: Any, *, name: str = "training_set", as_of: str | None = None,
                      known_at_time: bool = True, timestamp_column: str = "event_timestamp") -> Any:
    """A step joining its input entity rows (with labels) to `features` (a service name or
    ["view:feature", ...] of registered definitions); output: the training DataFrame."""
    refs: Any = features if isinstance(features, str) else [str(f) for f in features]
    built = build_training_set.with_options(name=name)
    params = {"features": refs, "as_of": as_of, "known_at_time": known_at_time, "timestamp_column": timestamp_column}

    def call(entity_rows: Any) -> Any:
        return built(entity_rows, **params)

    call.step = built  # type: ignore[attr-defined]
    return call


@step(name="training_set", cache=False)  # its sources may change under the same inputs: always rebuilt
def build_training_set(entity_rows: object, *, features: Any, as_of: str | None = None, known_at_time: bool = True,
                       timestamp_column: str = "event_timestamp") -> object:
    from mloop.features.training import get_training_frame
    from mloop.quality.recorded import task_workspace

    return get_training_frame(entity_rows, features, as_of=as_of, known_at_time=known_at_time,
                              timestamp_column=timestamp_column, workspace=task_workspace())
