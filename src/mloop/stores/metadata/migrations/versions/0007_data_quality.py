"""Data quality: which profile belongs to which data artifact or model version, and a summary row
per validation, drift or profile report

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "data_profiles",
        sa.Column("subject", sa.String(300), primary_key=True),
        sa.Column("profile_id", sa.String(64), nullable=False),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_table(
        "quality_reports",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("artifact_id", sa.String(64), nullable=False, index=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("passed", sa.Boolean),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("run_id", sa.String(40), index=True),
        sa.Column("step_run_id", sa.String(40)),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_index("ix_quality_reports_kind_created", "quality_reports", ["kind", "created_at"])


def downgrade() -> None:
    op.drop_table("quality_reports")
    op.drop_table("data_profiles")
