"""The metadata tables (SQLAlchemy Core). Changes go through an Alembic revision in migrations/."""

from __future__ import annotations

import sqlalchemy as sa

from mloop.stores.metadata.schema_types import Json, Time, metadata

pipelines = sa.Table(
    "pipelines", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
)

environments = sa.Table(
    "environments", metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # hash of `data`
    sa.Column("data", Json, nullable=False),
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("pipeline", sa.String(200), nullable=False, index=True),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("params", Json, nullable=False),
    sa.Column("graph", Json, nullable=False),
    sa.Column("graph_hash", sa.String(64), nullable=False),
    sa.Column("created_at", Time, nullable=False, index=True),
    sa.Column("started_at", Time),
    sa.Column("ended_at", Time),
    sa.Column("error", sa.Text),
    sa.Column("code_version", Json),
    sa.Column("environment_id", sa.String(64), sa.ForeignKey("environments.id")),
    sa.Column("host", sa.String(255), nullable=False, default=""),
    sa.Column("pid", sa.Integer, nullable=False, default=0),
    sa.Column("heartbeat_at", Time),
    sa.Column("reproduces", sa.String(40)),
    sa.Column("options", Json, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False, default="pipeline", server_default="pipeline"),  # | experiment
)

step_runs = sa.Table(
    "step_runs", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("node", sa.String(200), nullable=False),
    sa.Column("step", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("cache_key", sa.String(64)),
    sa.Column("cache_parts", Json),
    sa.Column("cached_from", sa.String(40)),
    sa.Column("source_hash", sa.String(64)),
    sa.Column("attempts", Json, nullable=False),
    sa.Column("started_at", Time),
    sa.Column("ended_at", Time),
    sa.Column("error", sa.Text),
    sa.Column("log_uri", sa.Text),
    sa.Column("spec", Json, nullable=False),
    sa.UniqueConstraint("run_id", "node", name="uq_step_runs_run_node"),
)
sa.Index("ix_step_runs_cache_key", step_runs.c.cache_key, step_runs.c.status)
sa.Index("ix_step_runs_step", step_runs.c.step, step_runs.c.ended_at)

artifacts = sa.Table(
    "artifacts", metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # sha256 of the stored bytes
    sa.Column("uri", sa.Text, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # output | data | logged
    sa.Column("materializer", sa.String(100), nullable=False),
    sa.Column("materializer_version", sa.String(20), nullable=False),
    sa.Column("type_name", sa.String(300), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("summary", Json, nullable=False),
    sa.Column("created_at", Time, nullable=False),
)

lineage = sa.Table(
    "lineage", metadata,
    sa.Column("step_run_id", sa.String(40), sa.ForeignKey("step_runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("direction", sa.String(3), primary_key=True),  # "in": consumed, "out": produced
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("artifact_id", sa.String(64), sa.ForeignKey("artifacts.id"), nullable=False, index=True),
    sa.Column("run_id", sa.String(40), nullable=False, index=True),
)

data_fingerprints = sa.Table(
    "data_fingerprints", metadata,
    sa.Column("path", sa.Text, primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),  # hash of (size, mtime_ns, inode) of every file
    sa.Column("artifact_id", sa.String(64), nullable=False),
)

# ------------------------------------------------------------------ tracking (revision 0002)
# A notebook run (`mloop.start_run(experiment=...)`) is a `runs` row with kind "experiment" whose
# `pipeline` column holds the experiment name.
experiments = sa.Table(
    "experiments", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("created_at", Time, nullable=False),
)

# Logged metric points, stored by series chunk: one row per (run, step run, key) and flush, holding
# that flush's points as little-endian arrays (steps int64, values and timestamps float64, epoch
# seconds). A flush of 100,000 points of 10 metrics is 10 rows, so logging is bounded by memory
# speed, not by one B-tree insert per point; a history is read back as arrays. NaN is kept as is.
metric_chunks = sa.Table(
    "metric_chunks", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("step_run_id", sa.String(40)),
    sa.Column("key", sa.String(250), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("first_step", sa.BigInteger, nullable=False),
    sa.Column("last_step", sa.BigInteger, nullable=False),
    sa.Column("steps", sa.LargeBinary, nullable=False),
    sa.Column("values", sa.LargeBinary, nullable=False),
    sa.Column("timestamps", sa.LargeBinary, nullable=False),
)
sa.Index("ix_metric_chunks_run_key", metric_chunks.c.run_id, metric_chunks.c.key)

# The newest point per (run, key) (highest step, then newest timestamp), upserted with every
# flush, so that a search over many runs reads one indexed row per run and key.
latest_metrics = sa.Table(
    "latest_metrics", metadata,
    sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("step_run_id", sa.String(40)),
    sa.Column("value", sa.Double),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("timestamp", sa.Double, nullable=False),
)
sa.Index("ix_latest_metrics_key_value", latest_metrics.c.key, latest_metrics.c.value, latest_metrics.c.run_id)

# One value per (run, key); a later write replaces it. Values are short text (indexed for search).
params = sa.Table(
    "params", metadata,
    sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("step_run_id", sa.String(40)),
    sa.Column("value", sa.Text, nullable=False),
)
sa.Index("ix_params_key_value", params.c.key, params.c.value, params.c.run_id)

tags = sa.Table(
    "tags", metadata,
    sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
sa.Index("ix_tags_key_value", tags.c.key, tags.c.value, tags.c.run_id)

# Artifacts logged with `mloop.log_artifact`, by run (with the step run when logged in a step,
# which also gets a lineage "out" edge named "logged/<name>").
run_artifacts = sa.Table(
    "run_artifacts", metadata,
    sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("step_run_id", sa.String(40)),
    sa.Column("artifact_id", sa.String(64), sa.ForeignKey("artifacts.id"), nullable=False, index=True),
    sa.Column("created_at", Time, nullable=False),
)

# ------------------------------------------------------------ model registry (revision 0003)
# `latest_version` is the version counter, bumped under the model row's lock.
models = sa.Table(
    "models", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("latest_version", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", Time, nullable=False),
)

# A version is immutable once written, except `stage` (moved with a stage_history row) and `card`
# (its evaluation, which may be attached later). run_id/step_run_id: the run that produced it, if any.
model_versions = sa.Table(
    "model_versions", metadata,
    sa.Column("model", sa.String(200), sa.ForeignKey("models.name"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("artifact_id", sa.String(64), sa.ForeignKey("artifacts.id"), nullable=False, index=True),
    sa.Column("run_id", sa.String(40)),
    sa.Column("step_run_id", sa.String(40)),
    sa.Column("signature", Json),
    sa.Column("metrics", Json, nullable=False),
    sa.Column("lineage", Json, nullable=False),  # training data artifacts, data sources, code version
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("card", Json),  # evaluation overall and per slice, permutation importance
    sa.Column("stage", sa.String(20)),  # staging | production | archived
    sa.Column("created_at", Time, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)

aliases = sa.Table(
    "aliases", metadata,
    sa.Column("model", sa.String(200), primary_key=True),
    sa.Column("alias", sa.String(100), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    sa.ForeignKeyConstraint(["model", "version"], ["model_versions.model", "model_versions.version"]),
)

alias_history = sa.Table(
    "alias_history", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("alias", sa.String(100), nullable=False),
    sa.Column("from_version", sa.Integer),
    sa.Column("to_version", sa.Integer),
    sa.Column("action", sa.String(20), nullable=False),  # set | rollback | delete
    sa.Column("forced", sa.Boolean, nullable=False, default=False),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("changed_by", sa.String(200), nullable=False),
    sa.Column("changed_at", Time, nullable=False),
)
sa.Index("ix_alias_history_model_alias", alias_history.c.model, alias_history.c.alias, alias_history.c.id)

stage_history = sa.Table(
    "stage_history", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("from_stage", sa.String(20)),
    sa.Column("to_stage", sa.String(20)),
    sa.Column("forced", sa.Boolean, nullable=False, default=False),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("changed_by", sa.String(200), nullable=False),
    sa.Column("changed_at", Time, nullable=False),
    sa.ForeignKeyConstraint(["model", "version"], ["model_versions.model", "model_versions.version"]),
)
sa.Index("ix_stage_history_model_version", stage_history.c.model, stage_history.c.version)

blessing_reports = sa.Table(
    "blessing_reports", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("policy", Json, nullable=False),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("forced", sa.Boolean, nullable=False, default=False),
    sa.Column("rules", Json, nullable=False),  # every rule: name, passed, value, threshold/baseline, reason
    sa.Column("evaluation", Json, nullable=False),  # what was compared: data, champion version, values
    sa.Column("created_at", Time, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.ForeignKeyConstraint(["model", "version"], ["model_versions.model", "model_versions.version"]),
)
sa.Index("ix_blessing_reports_model_version", blessing_reports.c.model, blessing_reports.c.version,
         blessing_reports.c.created_at)

# Where a step actually executed: one row per execution on a worker, written by the worker
# itself (remote executors), so an execution lost with its worker is still on record.
step_executions = sa.Table(
    "step_executions", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("step_run_id", sa.String(40), sa.ForeignKey("step_runs.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("worker", sa.String(300), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # running | succeeded | failed | lost | refused
    sa.Column("started_at", Time, nullable=False),
    sa.Column("ended_at", Time),
    sa.Column("error", sa.Text),
)

# Data quality (issue 8). A profile is an artifact; this says whose it is: "artifact:<id>" (a data
# artifact, profiled once since its bytes never change) or "model:<name>/<version>" (the training
# data of a registered version), so drift against a model's training data never re-reads it.
data_profiles = sa.Table(
    "data_profiles", metadata,
    sa.Column("subject", sa.String(300), primary_key=True),
    sa.Column("profile_id", sa.String(64), nullable=False),
    sa.Column("created_at", Time, nullable=False),
)

# One summary row per validation, drift or profile report (the report itself is an artifact).
quality_reports = sa.Table(
    "quality_reports", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),  # validation | drift | profile
    sa.Column("artifact_id", sa.String(64), nullable=False, index=True),
    sa.Column("subject", sa.String(300), nullable=False),  # what was checked: a data name or a model ref
    sa.Column("passed", sa.Boolean),
    sa.Column("summary", Json, nullable=False),
    sa.Column("run_id", sa.String(40), index=True),
    sa.Column("step_run_id", sa.String(40)),
    sa.Column("created_at", Time, nullable=False),
)
sa.Index("ix_quality_reports_kind_created", quality_reports.c.kind, quality_reports.c.created_at)

# Feature store (issue 9): every version of every definition (entity, feature view, on-demand
# feature, feature service) as its canonical JSON spec, and what was materialized online.
feature_definitions = sa.Table(
    "feature_definitions", metadata,
    sa.Column("kind", sa.String(20), primary_key=True),  # entity | view | on_demand | service
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("spec", Json, nullable=False),
    sa.Column("spec_hash", sa.String(64), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)

feature_materializations = sa.Table(
    "feature_materializations", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("view", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("start_time", Time),
    sa.Column("end_time", Time, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("newest_event_time", Time),
    sa.Column("online_url", sa.String(500), nullable=False),
    sa.Column("finished_at", Time, nullable=False),
)
sa.Index("ix_feature_materializations_view", feature_materializations.c.view, feature_materializations.c.end_time)

# A training set is an artifact (its Parquet bytes); this is its manifest: the entity frame's hash,
# the feature views' versions, the sources' hashes, the as-of time.
training_sets = sa.Table(
    "training_sets", metadata,
    sa.Column("artifact_id", sa.String(64), primary_key=True),
    sa.Column("manifest", Json, nullable=False),
    sa.Column("created_at", Time, nullable=False),
)

# The tables of the later domains live in their own modules (the schema is one MetaData); they are
# imported here, after the shared names above exist, so `schema.<table>` names every table.
from mloop.stores.metadata.schema_access import *  # noqa: E402, F403
from mloop.stores.metadata.schema_loop import *  # noqa: E402, F403
from mloop.stores.metadata.schema_serving import *  # noqa: E402, F403
