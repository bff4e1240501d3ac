"""The access tables of a team server: API tokens, the audit trail of writes, and the rules of
protected aliases (part of the one schema: mloop.stores.metadata.schema re-exports them)."""

from __future__ import annotations

import sqlalchemy as sa

from mloop.stores.metadata.schema_types import Json, Time, metadata

# A token keeps the sha256 of its secret, never the secret: the secret is shown once at creation.
access_tokens = sa.Table(
    "access_tokens", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),  # viewer | editor | admin
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("last_used_at", Time),
    sa.Column("revoked_at", Time),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", Time, nullable=False, index=True),
    sa.Column("who", sa.String(200), nullable=False, index=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("action", sa.String(200), nullable=False),
    sa.Column("target", sa.String(500), nullable=False),
    sa.Column("detail", Json, nullable=False),
)

# `model` is a glob (fnmatch) over model names; `rule` says who may move the alias: "admin" (admins
# only) or "blessed" (admins, or anyone who may write when the version has a passing blessing report).
alias_rules = sa.Table(
    "alias_rules", metadata,
    sa.Column("model", sa.String(200), primary_key=True),
    sa.Column("alias", sa.String(200), primary_key=True),
    sa.Column("rule", sa.String(20), nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)
