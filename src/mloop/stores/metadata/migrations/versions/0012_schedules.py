"""Scheduling: schedules, their claimed fires, event triggers, scheduler processes

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("job_kind", sa.String(40), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("cron", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("catchup", sa.String(10), nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("folder", sa.Text, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.Column("next_due_at", Time, nullable=False),
        sa.Column("last_due_at", Time),
    )
    op.create_index("ix_schedules_next_due", "schedules", ["paused", "next_due_at"])
    op.create_table(
        "schedule_fires",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("schedule", sa.String(200), nullable=False),
        sa.Column("due_at", Time, nullable=False),
        sa.Column("fired_at", Time, nullable=False),
        sa.Column("scheduler", sa.String(300), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("run_id", sa.String(40)),
        sa.Column("error", sa.Text),
        sa.Column("result", sa.String(20)),
        sa.Column("ended_at", Time),
        sa.UniqueConstraint("source", "schedule", "due_at", name="uq_schedule_fires_claim"),
    )
    op.create_table(
        "triggers",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("job_kind", sa.String(40), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("folder", sa.Text, nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
    )
    op.create_table(
        "schedulers",
        sa.Column("id", sa.String(300), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", Time, nullable=False),
        sa.Column("heartbeat_at", Time, nullable=False),
        sa.Column("stopped_at", Time),
    )


def downgrade() -> None:
    op.drop_table("schedulers")
    op.drop_table("triggers")
    op.drop_table("schedule_fires")
    op.drop_table("schedules")
