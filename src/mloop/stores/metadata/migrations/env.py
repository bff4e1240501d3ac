from __future__ import annotations

from alembic import context

from mloop.stores.metadata.schema import metadata

connection = context.config.attributes["connection"]
# One transaction for the whole upgrade on every dialect (SQLite too: its DDL is transactional, though
# Alembic assumes otherwise). Concurrent first opens then serialise on the write lock, and the loser
# reads the finished revision instead of replaying migrations on a half-migrated database.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
