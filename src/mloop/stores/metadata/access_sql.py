"""AccessStore over the shared SQL database."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from mloop.core.clock import as_utc
from mloop.core.errors import ConflictError
from mloop.stores.metadata import schema as t
from mloop.stores.metadata.access import AliasRuleRecord, AuditRecord, TokenRecord
from mloop.stores.metadata.database import Database, as_row

R = TypeVar("R")
_TIMES = ("created_at", "last_used_at", "revoked_at", "at", "updated_at")


class SqlAccessStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    # tokens

    def add_token(self, token: TokenRecord) -> None:
        tokens = t.access_tokens
        with self._db.write() as conn:
            if conn.execute(sa.select(tokens.c.id).where(tokens.c.id == token.id)).first() is not None:
                raise ConflictError(f"token {token.id!r} exists; create the token again to get a new id")
            conn.execute(tokens.insert(), as_row(token))

    def get_token(self, token_id: str) -> TokenRecord | None:
        return self._one_token(t.access_tokens.c.id == token_id)

    def token_by_hash(self, secret_hash: str) -> TokenRecord | None:
        return self._one_token(t.access_tokens.c.secret_hash == secret_hash)

    def list_tokens(self, *, include_revoked: bool = True) -> list[TokenRecord]:
        tokens = t.access_tokens
        query = sa.select(tokens).order_by(tokens.c.created_at, tokens.c.id)
        if not include_revoked:
            query = query.where(tokens.c.revoked_at.is_(None))
        with self._db.read() as conn:
            return [_record(TokenRecord, row) for row in conn.execute(query).all()]

    def revoke_token(self, token_id: str, at: datetime) -> bool:
        tokens = t.access_tokens
        with self._db.write() as conn:
            return bool(conn.execute(tokens.update().where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
                                     .values(revoked_at=at)).rowcount)

    def touch_token(self, token_id: str, at: datetime, older_than: datetime) -> None:
        tokens = t.access_tokens
        with self._db.write() as conn:
            conn.execute(tokens.update().where(tokens.c.id == token_id, sa.or_(
                tokens.c.last_used_at.is_(None), tokens.c.last_used_at < older_than)).values(last_used_at=at))

    def _one_token(self, condition: Any) -> TokenRecord | None:
        with self._db.read() as conn:
            row = conn.execute(sa.select(t.access_tokens).where(condition)).first()
        return _record(TokenRecord, row) if row else None

    # the audit trail

    def add_audit(self, entry: AuditRecord) -> int:
        values = {k: v for k, v in as_row(entry).items() if k != "id"}
        with self._db.write() as conn:
            return int(conn.execute(t.audit_log.insert().returning(t.audit_log.c.id), values).scalar_one())

    def audit_entries(self, *, who: str | None = None, action: str | None = None, since: datetime | None = None,
                      limit: int = 100) -> list[AuditRecord]:
        log = t.audit_log
        query = sa.select(log).order_by(log.c.at.desc(), log.c.id.desc()).limit(max(limit, 0))
        if who is not None:
            query = query.where(log.c.who == who)
        if action is not None:
            query = query.where(log.c.action.startswith(action[:-1], autoescape=True) if action.endswith("*")
                                else log.c.action == action)
        if since is not None:
            query = query.where(log.c.at >= since)
        with self._db.read() as conn:
            return [_record(AuditRecord, row) for row in conn.execute(query).all()]

    # alias rules

    def set_alias_rule(self, rule: AliasRuleRecord) -> None:
        rules = t.alias_rules
        with self._db.write() as conn:
            conn.execute(rules.delete().where(rules.c.model == rule.model, rules.c.alias == rule.alias))
            conn.execute(rules.insert(), as_row(rule))

    def remove_alias_rule(self, model: str, alias: str) -> bool:
        rules = t.alias_rules
        with self._db.write() as conn:
            return bool(conn.execute(rules.delete().where(rules.c.model == model, rules.c.alias == alias)).rowcount)

    def alias_rules(self) -> list[AliasRuleRecord]:
        rules = t.alias_rules
        with self._db.read() as conn:
            rows = conn.execute(sa.select(rules).order_by(rules.c.model, rules.c.alias)).all()
        return [_record(AliasRuleRecord, row) for row in rows]


def _record(cls: type[R], row: Any) -> R:
    values = dict(row._mapping)
    for name in _TIMES:
        if values.get(name) is not None:
            values[name] = as_utc(values[name])
    return cls(**{f.name: values[f.name] for f in fields(cls)})  # type: ignore[arg-type]
