"""mloop: the whole ML lifecycle as one reproducible, automated loop.

    import mloop
    from mloop import step, pipeline

Everything importable from `mloop` is the public API; other modules may change.
"""

from __future__ import annotations

from mloop.core.config import init_project
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
from mloop.pipeline.definition.loading import load_pipeline
from mloop.pipeline.definition.pipelines import Pipeline, pipeline
from mloop.pipeline.definition.step import Step, step
from mloop.pipeline.results.reproduce import ReproduceReport, reproduce_run
from mloop.pipeline.results.resume import resume_run
from mloop.pipeline.results.runs import (
    Artifact,
    Lineage,
    Run,
    StepRun,
    get_artifact,
    get_run,
    list_artifacts,
    list_runs,
)
from mloop.registry import (
    Blessing,
    BlessingReport,
    LoadedModel,
    ModelVersion,
    Signature,
    alias_history,
    bless,
    bless_step,
    get_model_version,
    list_models,
    list_versions,
    load_model,
    model_aliases,
    promote,
    register_model,
    rollback,
    set_stage,
    stage_history,
)
from mloop.stores.artifacts import Materializer, register_materializer
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
    "ReproduceReport",
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
    "alias_history",
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
    "init_project",
    "list_artifacts",
    "list_models",
    "list_runs",
    "list_versions",
    "load_model",
    "load_pipeline",
    "log_artifact",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "model_aliases",
    "pipeline",
    "promote",
    "register_materializer",
    "register_model",
    "reproduce_run",
    "resume_run",
    "rollback",
    "search_runs",
    "set_stage",
    "set_tag",
    "set_tags",
    "stage_history",
    "start_run",
    "step",
]
