"""tracking: experiments, metric chunks and the latest value per key, params, tags, logged artifacts; runs.kind

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('experiments',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('metric_chunks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('step_run_id', sa.String(length=40), nullable=True),
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_step', sa.BigInteger(), nullable=False),
    sa.Column('last_step', sa.BigInteger(), nullable=False),
    sa.Column('steps', sa.LargeBinary(), nullable=False),
    sa.Column('values', sa.LargeBinary(), nullable=False),
    sa.Column('timestamps', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('metric_chunks', schema=None) as batch_op:
        batch_op.create_index('ix_metric_chunks_run_key', ['run_id', 'key'], unique=False)

    op.create_table('latest_metrics',
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('step_run_id', sa.String(length=40), nullable=True),
    sa.Column('value', sa.Double(), nullable=True),
    sa.Column('step', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'key')
    )
    with op.batch_alter_table('latest_metrics', schema=None) as batch_op:
        batch_op.create_index('ix_latest_metrics_key_value', ['key', 'value'], unique=False)

    op.create_table('params',
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('step_run_id', sa.String(length=40), nullable=True),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'key')
    )
    with op.batch_alter_table('params', schema=None) as batch_op:
        batch_op.create_index('ix_params_key_value', ['key', 'value'], unique=False)

    op.create_table('run_artifacts',
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('step_run_id', sa.String(length=40), nullable=True),
    sa.Column('artifact_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['artifacts.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'name')
    )
    with op.batch_alter_table('run_artifacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_run_artifacts_artifact_id'), ['artifact_id'], unique=False)

    op.create_table('tags',
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'key')
    )
    with op.batch_alter_table('tags', schema=None) as batch_op:
        batch_op.create_index('ix_tags_key_value', ['key', 'value'], unique=False)

    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='pipeline', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_column('kind')

    with op.batch_alter_table('tags', schema=None) as batch_op:
        batch_op.drop_index('ix_tags_key_value')

    op.drop_table('tags')
    with op.batch_alter_table('run_artifacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_run_artifacts_artifact_id'))

    op.drop_table('run_artifacts')
    with op.batch_alter_table('params', schema=None) as batch_op:
        batch_op.drop_index('ix_params_key_value')

    op.drop_table('params')
    with op.batch_alter_table('latest_metrics', schema=None) as batch_op:
        batch_op.drop_index('ix_latest_metrics_key_value')

    op.drop_table('latest_metrics')
    with op.batch_alter_table('metric_chunks', schema=None) as batch_op:
        batch_op.drop_index('ix_metric_chunks_run_key')

    op.drop_table('metric_chunks')
    op.drop_table('experiments')
