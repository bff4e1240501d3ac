"""Prediction log: logged predictions, their Parquet segments, and ground-truth labels

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "prediction_log",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("time", Time, nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("deployment", sa.String(200)),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("training_fingerprint", sa.String(64)),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("outputs", sa.Text, nullable=False),
        sa.Column("latency_ms", sa.Float),
        sa.Column("entity_key", sa.Text),
    )
    op.create_index("ix_prediction_log_model_time", "prediction_log", ["model", "time"])
    op.create_index("ix_prediction_log_time", "prediction_log", ["time"])
    op.create_table(
        "prediction_segments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("min_time", Time, nullable=False),
        sa.Column("max_time", Time, nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_index("ix_prediction_segments_model_time", "prediction_segments", ["model", "max_time"])
    op.create_table(
        "prediction_labels",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.String(64)),
        sa.Column("entity_key", sa.Text),
        sa.Column("event_time", Time),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_index("ix_prediction_labels_request_id", "prediction_labels", ["request_id"])


def downgrade() -> None:
    op.drop_table("prediction_labels")
    op.drop_table("prediction_segments")
    op.drop_table("prediction_log")
