"""The public API is what `mloop.__all__` names: pinned here, so adding or removing a name is a
decision made in a diff, never an accident (after httpx's tests/test_exported_members.py)."""

from __future__ import annotations

from types import ModuleType

import mloop

PUBLIC = {
    # pipelines and runs
    "Data", "Pipeline", "Plan", "Step", "pipeline", "step", "load_pipeline", "init_project",
    "Run", "StepRun", "Artifact", "Lineage", "ReproduceReport",
    "get_run", "list_pipelines", "list_runs", "resume_run", "reproduce_run", "get_artifact", "list_artifacts",
    # tracking
    "ActiveRun", "RunData", "autolog", "best_run", "compare_runs", "count_runs", "get_metric_history", "get_run_data",
    "log_artifact", "log_metric", "log_metrics", "log_param", "log_params", "search_runs", "set_tag", "set_tags",
    "start_run",
    # registry
    "Blessing", "BlessingReport", "LoadedModel", "ModelVersion", "Signature", "alias_history", "bless", "bless_step",
    "get_model_version", "list_models", "list_versions", "load_model", "model_aliases", "promote", "register_model",
    "rollback", "set_stage", "stage_history",
    # data quality
    "CheckResult", "ColumnDrift", "ColumnProfile", "DataValidationError", "DriftReport", "DriftThresholds", "Profile",
    "Suite", "ValidationReport", "detect_drift", "drift_reference", "drift_step", "infer_suite",
    "list_quality_reports", "merge_profiles", "profile_data", "profile_step", "training_profile", "validate",
    "validation_step", "write_report",
    # feature store
    "DataFrameSource", "Entity", "Feature", "FeatureService", "FeatureView", "OnDemandFeature", "ParquetSource",
    "SqlSource", "apply_features", "feature_freshness", "get_online_features", "get_training_frame",
    "list_feature_definitions", "materialize_features", "materialize_features_incremental", "training_set_step",
    # serving
    "BatchingOptions", "ServeOptions", "create_app", "get_deployment", "list_deployments", "serve",
    "DeploymentTraffic", "deployment_traffic",
    # serving: the prediction log
    "LabelsResult", "PredictionBatch", "PredictionExplanation", "PredictionLogger", "explain_prediction", "log_labels",
    "predictions",
    "BatchScoringResult", "batch_scoring_step", "score_batch",
    "StreamScorer", "StreamStats", "score_stream",
    # monitoring
    "Alert", "Measurement", "Monitor", "MonitorResult", "add_webhook", "apply_monitors", "collect_registry_events",
    "delete_monitor", "deliver_pending", "get_alert", "get_monitor", "list_alerts", "list_deliveries", "list_monitors",
    "list_webhooks", "monitor_results", "pause_monitor", "raise_alert", "remove_webhook", "resolve_alert", "resume_monitor",
    "run_monitor", "run_monitors", "Status", "status",
    # stores
    "Materializer", "Workspace", "get_workspace", "register_materializer", "ArtifactCheck", "verify_artifacts",
    # scheduling
    "Schedule", "add_schedule", "add_trigger", "apply_schedules", "get_schedule", "list_schedulers", "list_schedules", "list_triggers",
    "pause_schedule", "remove_schedule", "remove_trigger", "resume_schedule", "run_scheduler", "schedule_fires", "trigger_fires",
    # access to a team server: tokens, the audit trail, protected aliases
    "alias_rules", "audit_trail", "create_token", "list_tokens", "protect_alias", "revoke_token",
    # errors
    "MloopError", "BackendError", "ConfigError", "ConflictError", "GraphError", "IntegrityError", "NotFoundError",
    "DataCheckFailed", "RunFailed", "RunInterrupted", "StepFailed", "StepTimeoutError", "ValidationError",
    "__version__",
}


def test_all_is_the_pinned_public_api() -> None:
    assert set(mloop.__all__) == PUBLIC
    assert len(mloop.__all__) == len(PUBLIC)  # no name listed twice


def test_every_public_name_of_the_package_is_exported() -> None:
    exec("from mloop import *", {})  # noqa: S102 - loads every lazily exported name into the namespace
    found = {name for name, value in vars(mloop).items()
             if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"}
    assert found | {"__version__"} == set(mloop.__all__)


def test_each_exported_name_is_importable_and_defined_in_mloop() -> None:
    namespace: dict[str, object] = {}
    exec("from mloop import *", namespace)  # noqa: S102
    for name in mloop.__all__:
        assert name in namespace, name
        if name == "__version__":
            assert mloop.__version__ == "0.1.0"
            continue
        assert getattr(mloop, name).__module__.startswith("mloop."), name


def test_import_mloop_loads_no_engine_or_backend() -> None:
    """`import mloop` and `mloop --help` stay fast: the database, Arrow and the engine load on first use."""
    import subprocess
    import sys

    code = ("import sys, mloop; heavy = ['sqlalchemy', 'pyarrow', 'numpy', 'pandas', 'pydantic', 'yaml', "
            "'mloop.stores.workspace', 'mloop.pipeline.execution.runner']; "
            "print(','.join(m for m in heavy if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
    assert mloop.pipeline.__module__ == "mloop.pipeline.definition.pipelines"  # the decorator, not the subpackage
    assert callable(mloop.load_model) and mloop.load_model.__module__ == "mloop.registry.loaded"


def test_the_interrupt_a_run_raises_is_public() -> None:
    from mloop.pipeline.execution.interrupts import RunInterrupted

    assert mloop.RunInterrupted is RunInterrupted  # what pipeline.run() raises at Ctrl-C
    assert issubclass(mloop.RunInterrupted, KeyboardInterrupt)
