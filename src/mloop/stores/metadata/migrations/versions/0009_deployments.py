"""Serving: deployments (what is served where, following which alias, with which traffic split),
their events (start, swap, refused candidate, stop) and readiness checks of model versions

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("follows", sa.String(300), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("version", sa.String(300), nullable=False),
        sa.Column("traffic", sa.JSON(), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("host", sa.String(300), nullable=False),
        sa.Column("pid", sa.Integer),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", Time, nullable=False),
        sa.Column("stopped_at", Time),
        sa.Column("heartbeat_at", Time, nullable=False),
    )
    op.create_index("ix_deployments_model_started", "deployments", ["model", "started_at"])
    op.create_table(
        "deployment_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("deployment_id", sa.String(40), sa.ForeignKey("deployments.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("time", Time, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("from_version", sa.String(300)),
        sa.Column("to_version", sa.String(300)),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_table(
        "readiness_checks",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("load", sa.JSON(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_readiness_checks_version", "readiness_checks", ["model", "version", "created_at"])


def downgrade() -> None:
    op.drop_table("readiness_checks")
    op.drop_table("deployment_events")
    op.drop_table("deployments")
