"""Feature store: versioned definitions (entities, feature views, on-demand features, services)
the record of what was materialized into the online store, and training-set manifests

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feature_definitions",
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("spec_hash", sa.String(64), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "feature_materializations",
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
    op.create_index("ix_feature_materializations_view", "feature_materializations", ["view", "end_time"])
    op.create_table(
        "training_sets",
        sa.Column("artifact_id", sa.String(64), primary_key=True),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("training_sets")
    op.drop_table("feature_materializations")
    op.drop_table("feature_definitions")
