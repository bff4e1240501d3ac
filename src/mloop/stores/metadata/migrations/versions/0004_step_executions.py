"""step executions recorded by workers

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "step_executions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("step_run_id", sa.String(length=40), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["step_run_id"], ["step_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("step_executions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_step_executions_step_run_id"), ["step_run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("step_executions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_step_executions_step_run_id"))
    op.drop_table("step_executions")
