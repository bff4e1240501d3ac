"""JSON columns as json, not jsonb, on PostgreSQL: jsonb reorders object keys (by length), so an
artifact summary's column list came back in another order than on SQLite

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: every JSON column, by table (SQLite stores JSON as text already: nothing to change there)
COLUMNS = {
    "artifacts": ["summary"],
    "environments": ["data"],
    "runs": ["params", "graph", "code_version", "options"],
    "step_runs": ["cache_parts", "attempts", "spec"],
    "model_versions": ["signature", "metrics", "lineage", "card"],
    "blessing_reports": ["policy", "rules", "evaluation"],
}


def upgrade() -> None:
    _retype(sa.JSON(), "json")


def downgrade() -> None:
    _retype(postgresql.JSONB(astext_type=sa.Text()), "jsonb")


def _retype(new_type: sa.types.TypeEngine, cast: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=new_type, postgresql_using=f"{column}::{cast}")
