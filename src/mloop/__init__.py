"""mloop: the whole ML lifecycle as one reproducible, automated loop.

    import mloop
    from mloop import step, pipeline

Everything importable from `mloop` is the public API; other modules may change.
"""

from __future__ import annotations

from mloop.core.errors import (
    BackendError,
    ConfigError,
    ConflictError,
    GraphError,
    IntegrityError,
    MloopError,
    NotFoundError,
    RunFailed,
    StepFailed,
    StepTimeoutError,
    ValidationError,
)
from mloop.pipeline.caching.plan import Plan
from mloop.pipeline.definition.data import Data
from mloop.pipeline.definition.pipelines import Pipeline, pipeline
from mloop.pipeline.definition.step import Step, step
from mloop.pipeline.results.runs import Artifact, Lineage, Run, StepRun, get_artifact, get_run, list_runs
from mloop.registry import (
    Blessing,
    BlessingReport,
    LoadedModel,
    ModelVersion,
    Signature,
    bless,
    bless_step,
    get_model_version,
    load_model,
    promote,
    register_model,
    rollback,
)
from mloop.stores.artifacts import Materializer, register_materializer
from mloop.stores.integrity import ArtifactCheck, verify_artifacts
from mloop.stores.workspace import Workspace, get_workspace
from mloop.tracking import (
    ActiveRun,
    RunData,
    autolog,
    best_run,
    compare_runs,
    get_metric_history,
    get_run_data,
    log_artifact,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    search_runs,
    set_tag,
    set_tags,
    start_run,
)

__version__ = "0.1.0"

__all__ = [
    "ActiveRun",
    "Artifact",
    "ArtifactCheck",
    "BackendError",
    "Blessing",
    "BlessingReport",
    "ConfigError",
    "ConflictError",
    "Data",
    "GraphError",
    "IntegrityError",
    "Lineage",
    "LoadedModel",
    "Materializer",
    "MloopError",
    "ModelVersion",
    "NotFoundError",
    "Pipeline",
    "Plan",
    "Run",
    "RunData",
    "RunFailed",
    "Signature",
    "Step",
    "StepFailed",
    "StepRun",
    "StepTimeoutError",
    "ValidationError",
    "Workspace",
    "__version__",
    "autolog",
    "best_run",
    "bless",
    "bless_step",
    "compare_runs",
    "get_artifact",
    "get_metric_history",
    "get_model_version",
    "get_run",
    "get_run_data",
    "get_workspace",
    "list_runs",
    "load_model",
    "log_artifact",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "pipeline",
    "promote",
    "register_materializer",
    "register_model",
    "rollback",
    "search_runs",
    "set_tag",
    "set_tags",
    "start_run",
    "step",
    "verify_artifacts",
]
