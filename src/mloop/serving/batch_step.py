"""Batch scoring as a pipeline step.

    score = mloop.batch_scoring_step("fraud@champion", id_column="tx_id")

    @mloop.pipeline
    def nightly():
        score(load_transactions())      # output: the scored DataFrame

The step resolves the alias when it runs, and is never cached (`cache=False`): the same input
scored after the alias moved must be scored by the new version, and the cache key (code,
parameters, input hashes) cannot see an alias move. Which version scored the data is recorded
three ways: the output's `model_version` column (so it is in the artifact's bytes), the step
run's parameters `model_version` and `training_fingerprint`, and `frame.attrs["mloop_model_version"]`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from mloop.core.config import load_settings
from mloop.pipeline.definition.step import Step, step
from mloop.pipeline.execution.task import current_task
from mloop.registry.references import parse_ref
from mloop.stores.workspace import Workspace, get_workspace

#: the key of the scoring version in a scored DataFrame's attrs (kept out of the artifact's bytes)
ATTRS_KEY = "mloop_model_version"


def batch_scoring_step(model_ref: str, *, id_column: str | None = None, name: str = "batch_scoring",
                       keep_columns: Sequence[str] | None = None, probabilities: bool = True,
                       chunk_rows: int = 100_000) -> Step[..., Any]:
    """A step scoring its input (a DataFrame or Arrow table, or the path of Parquet/CSV files)
    with `model_ref` ('fraud@champion', 'fraud/3'); output: the scored DataFrame (id and kept
    columns, `prediction`, `probability_<class>`, `model_version`)."""
    parse_ref(model_ref)  # a malformed reference fails where the pipeline is defined
    scoring = score_data.with_options(name=name, cache=False)
    params: dict[str, Any] = {"model_ref": model_ref, "id_column": id_column,
                              "keep_columns": list(keep_columns or []), "probabilities": probabilities,
                              "chunk_rows": chunk_rows}

    def call(data: Any) -> Any:
        return scoring(data, **params)

    call.step = scoring  # type: ignore[attr-defined]
    return call  # type: ignore[return-value]


@step(name="batch_scoring", cache=False)
def score_data(data: object, *, model_ref: str, id_column: str | None = None, keep_columns: list[str] | None = None,
               probabilities: bool = True, chunk_rows: int = 100_000) -> object:
    """Score `data` with the version `model_ref` names now."""
    from mloop.registry.versions import get_model_version
    from mloop.serving.batch import score_table
    from mloop.tracking.log import log_params

    version = get_model_version(model_ref, workspace=_workspace())
    source = os.fspath(data) if isinstance(data, os.PathLike) else data
    table = score_table(version, source, id_column=id_column, keep_columns=keep_columns,
                        probabilities=probabilities, chunk_rows=chunk_rows)
    if current_task() is not None:
        log_params({"model_version": version.ref, "training_fingerprint": version.training_fingerprint or ""})
    frame = table.to_pandas()
    frame.attrs[ATTRS_KEY] = version.ref
    return frame


def _workspace() -> Workspace:
    """The workspace of the step running here (its stores, on any worker), else the default one."""
    task = current_task()
    if task is None:
        return get_workspace()
    return get_workspace(load_settings().with_overrides(db_url=task.metadata_url or None,
                                                        artifacts_url=task.artifacts_url))
