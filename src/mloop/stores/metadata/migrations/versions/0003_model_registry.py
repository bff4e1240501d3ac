"""model registry: models, versions, aliases and stages with history, blessing reports

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alias_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('alias', sa.String(length=100), nullable=False),
    sa.Column('from_version', sa.Integer(), nullable=True),
    sa.Column('to_version', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('forced', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alias_history', schema=None) as batch_op:
        batch_op.create_index('ix_alias_history_model_alias', ['model', 'alias', 'id'], unique=False)

    op.create_table('models',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('latest_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('model_versions',
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('artifact_id', sa.String(length=64), nullable=False),
    sa.Column('run_id', sa.String(length=40), nullable=True),
    sa.Column('step_run_id', sa.String(length=40), nullable=True),
    sa.Column('signature', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('metrics', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('lineage', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('card', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['artifacts.id'], ),
    sa.ForeignKeyConstraint(['model'], ['models.name'], ),
    sa.PrimaryKeyConstraint('model', 'version')
    )
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_versions_artifact_id'), ['artifact_id'], unique=False)

    op.create_table('aliases',
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('alias', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['model', 'version'], ['model_versions.model', 'model_versions.version'], ),
    sa.PrimaryKeyConstraint('model', 'alias')
    )
    op.create_table('blessing_reports',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('policy', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('forced', sa.Boolean(), nullable=False),
    sa.Column('rules', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('evaluation', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['model', 'version'], ['model_versions.model', 'model_versions.version'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('blessing_reports', schema=None) as batch_op:
        batch_op.create_index('ix_blessing_reports_model_version', ['model', 'version', 'created_at'], unique=False)

    op.create_table('stage_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=20), nullable=True),
    sa.Column('to_stage', sa.String(length=20), nullable=True),
    sa.Column('forced', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['model', 'version'], ['model_versions.model', 'model_versions.version'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stage_history', schema=None) as batch_op:
        batch_op.create_index('ix_stage_history_model_version', ['model', 'version'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stage_history', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_history_model_version')

    op.drop_table('stage_history')
    with op.batch_alter_table('blessing_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_blessing_reports_model_version')

    op.drop_table('blessing_reports')
    op.drop_table('aliases')
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_versions_artifact_id'))

    op.drop_table('model_versions')
    op.drop_table('models')
    with op.batch_alter_table('alias_history', schema=None) as batch_op:
        batch_op.drop_index('ix_alias_history_model_alias')

    op.drop_table('alias_history')
