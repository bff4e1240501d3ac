"""The serving tables: deployments, their events, readiness checks, the prediction log and labels
(part of the one schema: mloop.stores.metadata.schema re-exports them)."""

from __future__ import annotations

import sqlalchemy as sa

from mloop.stores.metadata.schema_types import Json, Time, metadata

# Serving (issue 10): what is served where (online, batch, stream), following which reference, with
# which traffic split; every start, swap, refused candidate and stop; readiness checks of versions.
deployments = sa.Table(
    "deployments", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("follows", sa.String(300), nullable=False),
    sa.Column("mode", sa.String(20), nullable=False),  # online | batch | stream
    sa.Column("version", sa.String(300), nullable=False),
    sa.Column("traffic", Json, nullable=False),
    sa.Column("url", sa.String(500), nullable=False),
    sa.Column("host", sa.String(300), nullable=False),
    sa.Column("pid", sa.Integer),
    sa.Column("status", sa.String(20), nullable=False),  # running | stopped (lost: derived from the heartbeat)
    sa.Column("started_at", Time, nullable=False),
    sa.Column("stopped_at", Time),
    sa.Column("heartbeat_at", Time, nullable=False),
)
sa.Index("ix_deployments_model_started", deployments.c.model, deployments.c.started_at)

deployment_events = sa.Table(
    "deployment_events", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("deployment_id", sa.String(40), sa.ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("time", Time, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # start | swap | refused | stop
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("from_version", sa.String(300)),
    sa.Column("to_version", sa.String(300)),
    sa.Column("detail", sa.Text, nullable=False),
)

readiness_checks = sa.Table(
    "readiness_checks", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("items", Json, nullable=False),
    sa.Column("load", Json, nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)
sa.Index("ix_readiness_checks_version", readiness_checks.c.model, readiness_checks.c.version,
         readiness_checks.c.created_at)
# Serving (issue 10): every logged prediction. `inputs`, `outputs` and `entity_key` are JSON text,
# encoded per batch by the logger (one vectorised call, not one per row) and stored as is. A flush
# over the logger's spill size is written to a Parquet file with the same columns instead, recorded
# in prediction_segments; readers query both together through DuckDB.
prediction_log = sa.Table(
    "prediction_log", metadata,
    sa.Column("request_id", sa.String(64), primary_key=True),
    sa.Column("time", Time, nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("deployment", sa.String(200)),
    sa.Column("role", sa.String(10), nullable=False),  # primary | canary | shadow
    sa.Column("training_fingerprint", sa.String(64)),
    sa.Column("inputs", sa.Text, nullable=False),
    sa.Column("outputs", sa.Text, nullable=False),
    sa.Column("latency_ms", sa.Float),
    sa.Column("entity_key", sa.Text),
)
sa.Index("ix_prediction_log_model_time", prediction_log.c.model, prediction_log.c.time)
sa.Index("ix_prediction_log_time", prediction_log.c.time)

prediction_segments = sa.Table(
    "prediction_segments", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("min_time", Time, nullable=False),
    sa.Column("max_time", Time, nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("created_at", Time, nullable=False),
)
sa.Index("ix_prediction_segments_model_time", prediction_segments.c.model, prediction_segments.c.max_time)

# Ground truth, posted after the fact: by request id, or by entity key + event time (then resolved
# to the request it applies to when logged; a label matching no prediction keeps request_id NULL).
prediction_labels = sa.Table(
    "prediction_labels", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("request_id", sa.String(64), index=True),
    sa.Column("entity_key", sa.Text),
    sa.Column("event_time", Time),
    sa.Column("label", sa.Text, nullable=False),  # JSON
    sa.Column("created_at", Time, nullable=False),
)
