"""Search indexes cover the run id: `runs.id IN (SELECT run_id FROM params WHERE key = ? AND
value = ?)` is answered from the index alone, without a table lookup per matching row

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("latest_metrics", "params", "tags")


def upgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_key_value", table_name=table)
        op.create_index(f"ix_{table}_key_value", table, ["key", "value", "run_id"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_key_value", table_name=table)
        op.create_index(f"ix_{table}_key_value", table, ["key", "value"])
