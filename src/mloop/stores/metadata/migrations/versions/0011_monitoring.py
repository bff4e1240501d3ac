"""Monitoring: monitors, their results, alerts, webhooks and the outbox of their deliveries, and the
cursor of registry events sent to webhooks; the request and error counts of deployments

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "monitors",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
    )
    op.create_table(
        "monitor_results",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("monitor", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("time", Time, nullable=False),
        sa.Column("window_start", Time, nullable=False),
        sa.Column("window_end", Time, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("threshold", sa.Float),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
    )
    op.create_index("ix_monitor_results_monitor_time", "monitor_results", ["monitor", "time"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("open_source", sa.String(200), unique=True),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("opened_at", Time, nullable=False),
        sa.Column("last_failed_at", Time, nullable=False),
        sa.Column("resolved_at", Time),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("last_result_id", sa.String(40)),
        sa.Column("notified_at", Time),
    )
    op.create_index("ix_alerts_source", "alerts", ["source"])
    op.create_index("ix_alerts_opened", "alerts", ["opened_at"])
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("event", sa.String(50), nullable=False),
        sa.Column("alert_id", sa.String(40)),
        sa.Column("webhook_id", sa.String(40), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", Time, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("delivered_at", Time),
    )
    op.create_index("ix_alert_deliveries_alert_id", "alert_deliveries", ["alert_id"])
    op.create_index("ix_alert_deliveries_due", "alert_deliveries", ["status", "next_attempt_at"])
    op.create_table(
        "deployment_counts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("deployment_id", sa.String(40), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("version", sa.String(300), nullable=False),
        sa.Column("time", Time, nullable=False),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("client_errors", sa.Integer, nullable=False),
        sa.Column("server_errors", sa.Integer, nullable=False),
    )
    op.create_index("ix_deployment_counts_model_time", "deployment_counts", ["model", "time"])
    op.create_table(
        "monitor_cursors",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("monitor_cursors")
    op.drop_table("deployment_counts")
    op.drop_table("alert_deliveries")
    op.drop_table("webhooks")
    op.drop_table("alerts")
    op.drop_table("monitor_results")
    op.drop_table("monitors")
