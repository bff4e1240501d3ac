"""mloop: the whole ML lifecycle as one reproducible, automated loop.

    import mloop
    from mloop import step, pipeline

Everything importable from `mloop` is the public API; other modules may change.

Only the decorators load with the package; every other name loads its module the first time it
is used (PEP 562), so `import mloop` and `mloop --help` do not pay for SQLAlchemy, pyarrow and
the rest until a command needs them.
"""

from __future__ import annotations

import importlib
import typing

# Eager, and first: `mloop.pipeline` must stay the decorator, not the engine subpackage that
# importing it binds on this package.
from mloop.pipeline.definition.pipelines import Pipeline, pipeline
from mloop.pipeline.definition.step import Step, step

if typing.TYPE_CHECKING:
    from mloop.core.config import init_project
    from mloop.core.errors import (
        BackendError,
        ConfigError,
        ConflictError,
        DataCheckFailed,
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
    from mloop.pipeline.execution.interrupts import RunInterrupted
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
    from mloop.quality import (
        CheckResult,
        ColumnDrift,
        ColumnProfile,
        DataValidationError,
        DriftReport,
        DriftThresholds,
        Profile,
        Suite,
        ValidationReport,
        detect_drift,
        drift_reference,
        drift_step,
        infer_suite,
        list_quality_reports,
        merge_profiles,
        profile_data,
        profile_step,
        training_profile,
        validate,
        validation_step,
        write_report,
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

#: public name -> the module that defines it
_LAZY: dict[str, str] = {
    'CheckResult': 'mloop.quality',
    'ColumnDrift': 'mloop.quality',
    'ColumnProfile': 'mloop.quality',
    'DataValidationError': 'mloop.quality',
    'DriftReport': 'mloop.quality',
    'DriftThresholds': 'mloop.quality',
    'Profile': 'mloop.quality',
    'Suite': 'mloop.quality',
    'ValidationReport': 'mloop.quality',
    'detect_drift': 'mloop.quality',
    'drift_reference': 'mloop.quality',
    'drift_step': 'mloop.quality',
    'infer_suite': 'mloop.quality',
    'list_quality_reports': 'mloop.quality',
    'merge_profiles': 'mloop.quality',
    'profile_data': 'mloop.quality',
    'profile_step': 'mloop.quality',
    'training_profile': 'mloop.quality',
    'validate': 'mloop.quality',
    'validation_step': 'mloop.quality',
    'write_report': 'mloop.quality',
    'DataCheckFailed': 'mloop.core.errors',
    'ActiveRun': 'mloop.tracking',
    'Artifact': 'mloop.pipeline.results.runs',
    'BackendError': 'mloop.core.errors',
    'Blessing': 'mloop.registry',
    'BlessingReport': 'mloop.registry',
    'ConfigError': 'mloop.core.errors',
    'ConflictError': 'mloop.core.errors',
    'Data': 'mloop.pipeline.definition.data',
    'GraphError': 'mloop.core.errors',
    'IntegrityError': 'mloop.core.errors',
    'Lineage': 'mloop.pipeline.results.runs',
    'LoadedModel': 'mloop.registry',
    'Materializer': 'mloop.stores.artifacts',
    'MloopError': 'mloop.core.errors',
    'ModelVersion': 'mloop.registry',
    'NotFoundError': 'mloop.core.errors',
    'Plan': 'mloop.pipeline.caching.plan',
    'ReproduceReport': 'mloop.pipeline.results.reproduce',
    'Run': 'mloop.pipeline.results.runs',
    'RunData': 'mloop.tracking',
    'RunFailed': 'mloop.core.errors',
    'RunInterrupted': 'mloop.pipeline.execution.interrupts',
    'Signature': 'mloop.registry',
    'StepFailed': 'mloop.core.errors',
    'StepRun': 'mloop.pipeline.results.runs',
    'StepTimeoutError': 'mloop.core.errors',
    'ValidationError': 'mloop.core.errors',
    'Workspace': 'mloop.stores.workspace',
    'alias_history': 'mloop.registry',
    'autolog': 'mloop.tracking',
    'best_run': 'mloop.tracking',
    'bless': 'mloop.registry',
    'bless_step': 'mloop.registry',
    'compare_runs': 'mloop.tracking',
    'get_artifact': 'mloop.pipeline.results.runs',
    'get_metric_history': 'mloop.tracking',
    'get_model_version': 'mloop.registry',
    'get_run': 'mloop.pipeline.results.runs',
    'get_run_data': 'mloop.tracking',
    'get_workspace': 'mloop.stores.workspace',
    'verify_artifacts': 'mloop.stores.integrity',
    'ArtifactCheck': 'mloop.stores.integrity',
    'init_project': 'mloop.core.config',
    'list_artifacts': 'mloop.pipeline.results.runs',
    'list_models': 'mloop.registry',
    'list_runs': 'mloop.pipeline.results.runs',
    'list_versions': 'mloop.registry',
    'load_model': 'mloop.registry',
    'load_pipeline': 'mloop.pipeline.definition.loading',
    'log_artifact': 'mloop.tracking',
    'log_metric': 'mloop.tracking',
    'log_metrics': 'mloop.tracking',
    'log_param': 'mloop.tracking',
    'log_params': 'mloop.tracking',
    'model_aliases': 'mloop.registry',
    'promote': 'mloop.registry',
    'register_materializer': 'mloop.stores.artifacts',
    'register_model': 'mloop.registry',
    'reproduce_run': 'mloop.pipeline.results.reproduce',
    'resume_run': 'mloop.pipeline.results.resume',
    'rollback': 'mloop.registry',
    'search_runs': 'mloop.tracking',
    'set_stage': 'mloop.registry',
    'set_tag': 'mloop.tracking',
    'set_tags': 'mloop.tracking',
    'stage_history': 'mloop.registry',
    'start_run': 'mloop.tracking',
}


def __getattr__(name: str) -> typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mloop' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__version__ = "0.1.0"

__all__ = [
    "ActiveRun",
    "Artifact",
    "ArtifactCheck",
    "BackendError",
    "Blessing",
    "BlessingReport",
    "CheckResult",
    "ColumnDrift",
    "ColumnProfile",
    "ConfigError",
    "ConflictError",
    "Data",
    "DataCheckFailed",
    "DataValidationError",
    "DriftReport",
    "DriftThresholds",
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
    "Profile",
    "ReproduceReport",
    "Run",
    "RunData",
    "RunFailed",
    "RunInterrupted",
    "Signature",
    "Step",
    "StepFailed",
    "StepRun",
    "StepTimeoutError",
    "Suite",
    "ValidationError",
    "ValidationReport",
    "Workspace",
    "alias_history",
    "autolog",
    "best_run",
    "bless",
    "bless_step",
    "compare_runs",
    "detect_drift",
    "drift_reference",
    "drift_step",
    "get_artifact",
    "get_metric_history",
    "get_model_version",
    "get_run",
    "get_run_data",
    "get_workspace",
    "infer_suite",
    "init_project",
    "list_artifacts",
    "list_models",
    "list_quality_reports",
    "list_runs",
    "list_versions",
    "load_model",
    "load_pipeline",
    "log_artifact",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "merge_profiles",
    "model_aliases",
    "pipeline",
    "profile_data",
    "profile_step",
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
    "training_profile",
    "validate",
    "validation_step",
    "verify_artifacts",
    "write_report",
    "__version__",
]
