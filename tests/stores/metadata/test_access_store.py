"""AccessStore contract: tokens by id and secret hash, revocation, throttled last-use, the audit
trail's filters, alias rules; SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from store_records import at

from mloop.core.errors import ConflictError
from mloop.stores.metadata import MetadataStores
from mloop.stores.metadata.access import AliasRuleRecord, AuditRecord, TokenRecord


def token(token_id: str, role: str = "editor", created: float = 0) -> TokenRecord:
    return TokenRecord(id=token_id, name=f"name-{token_id}", role=role, secret_hash=f"{token_id:0>64}",
                       created_at=at(created), created_by="local")


def test_tokens_are_found_by_id_and_hash_and_revoked_once(store: MetadataStores) -> None:
    access = store.access
    access.add_token(token("a", "admin", 1))
    access.add_token(token("b", "viewer", 2))
    with pytest.raises(ConflictError):
        access.add_token(token("a"))
    assert access.get_token("a") == token("a", "admin", 1)
    assert access.token_by_hash(f"{'b':0>64}") == token("b", "viewer", 2)
    assert access.get_token("nope") is None and access.token_by_hash("0" * 64) is None
    assert access.revoke_token("a", at(5)) and not access.revoke_token("a", at(6)) and not access.revoke_token("x", at(6))
    revoked = access.get_token("a")
    assert revoked is not None and revoked.revoked_at == at(5)
    assert [t.id for t in access.list_tokens()] == ["a", "b"]
    assert [t.id for t in access.list_tokens(include_revoked=False)] == ["b"]


def test_last_use_is_written_at_most_once_per_interval(store: MetadataStores) -> None:
    access = store.access
    access.add_token(token("a"))
    access.touch_token("a", at(100), older_than=at(40))
    access.touch_token("a", at(110), older_than=at(50))  # used 10 s ago: not written again
    assert access.get_token("a").last_used_at == at(100)  # type: ignore[union-attr]
    access.touch_token("a", at(200), older_than=at(140))
    assert access.get_token("a").last_used_at == at(200)  # type: ignore[union-attr]


def test_audit_trail_is_newest_first_and_filtered(store: MetadataStores) -> None:
    access = store.access
    first = access.add_audit(AuditRecord(at(1), "ann", "admin", "tokens.create", "tokens/t1", {"role": "viewer"}))
    second = access.add_audit(AuditRecord(at(2), "bob", "editor", "models.promote", "models/fraud/champion",
                                          {"blessing": {"id": "r1", "passed": True}, "nested": [1, 2]}))
    access.add_audit(AuditRecord(at(3), "ann", "admin", "models.rollback", "models/fraud/champion"))
    assert second > first
    entries = access.audit_entries()
    assert [e.action for e in entries] == ["models.rollback", "models.promote", "tokens.create"]
    assert entries[1] == AuditRecord(at(2), "bob", "editor", "models.promote", "models/fraud/champion",
                                     {"blessing": {"id": "r1", "passed": True}, "nested": [1, 2]}, id=second)
    assert [e.at for e in access.audit_entries(who="ann")] == [at(3), at(1)]
    assert [e.action for e in access.audit_entries(action="models.*")] == ["models.rollback", "models.promote"]
    assert [e.action for e in access.audit_entries(action="models.promote")] == ["models.promote"]
    assert [e.at for e in access.audit_entries(since=at(2))] == [at(3), at(2)]
    assert len(access.audit_entries(limit=2)) == 2
    assert access.audit_entries(action="models_*") == []  # "_" is not a wildcard


def test_alias_rules_are_replaced_and_removed(store: MetadataStores) -> None:
    access = store.access
    access.set_alias_rule(AliasRuleRecord("fraud", "champion", "admin", at(1), "ann"))
    access.set_alias_rule(AliasRuleRecord("*", "champion", "blessed", at(1), "ann"))
    access.set_alias_rule(AliasRuleRecord("fraud", "champion", "blessed", at(2), "bob"))
    assert access.alias_rules() == [AliasRuleRecord("*", "champion", "blessed", at(1), "ann"),
                                    AliasRuleRecord("fraud", "champion", "blessed", at(2), "bob")]
    assert access.remove_alias_rule("fraud", "champion") and not access.remove_alias_rule("fraud", "champion")
    assert [r.model for r in access.alias_rules()] == ["*"]
