"""RegistryStore contract: models, numbered versions, aliases and stages with their history,
blessing reports; on SQLite and PostgreSQL. Registry policy (blessing, rollback) is tested in
tests/registry."""

from __future__ import annotations

import dataclasses

import pytest
from store_records import at, make_artifact

from mloop.core.errors import ConflictError, NotFoundError, ValidationError
from mloop.stores.metadata import MetadataStores
from mloop.stores.metadata.registry_records import BlessingRecord, ModelVersionRecord


def draft(model: str, artifact: str, *, created: float = 0) -> ModelVersionRecord:
    return ModelVersionRecord(model=model, version=0, artifact_id=make_artifact(artifact).id, run_id=None,
                              step_run_id=None, signature=None, metrics={"auc": 0.9}, lineage={}, description="",
                              card=None, stage=None, created_at=at(created), created_by="ana")


def register(store: MetadataStores, model: str, *artifacts: str) -> list[int]:
    numbers = []
    for name in artifacts:
        store.lineage.record_artifact(make_artifact(name))
        numbers.append(store.registry.create_model_version(draft(model, name), "fraud scorer").version)
    return numbers


def test_versions_are_numbered_per_model_and_read_back(store: MetadataStores) -> None:
    assert register(store, "fraud", "m1", "m2") == [1, 2]
    assert register(store, "churn", "m3") == [1]
    assert [m.name for m in store.registry.list_models()] == ["churn", "fraud"]
    fraud = store.registry.get_model("fraud")
    assert (fraud.latest_version, fraud.description) == (2, "fraud scorer")
    second = store.registry.get_model_version("fraud", 2)
    assert second == dataclasses.replace(draft("fraud", "m2"), version=2)
    assert [v.version for v in store.registry.list_model_versions("fraud")] == [1, 2]
    found = store.registry.find_model_version("fraud", make_artifact("m1").id)
    assert found is not None and found.version == 1
    assert store.registry.find_model_version("fraud", make_artifact("m3").id) is None


def test_misses_raise_not_found_with_the_fix(store: MetadataStores) -> None:
    register(store, "fraud", "m1")
    with pytest.raises(NotFoundError, match="no model 'nope'; list them with: mloop models list"):
        store.registry.get_model("nope")
    with pytest.raises(NotFoundError, match="no model 'nope'"):
        store.registry.list_model_versions("nope")
    with pytest.raises(NotFoundError, match=r"model 'fraud' has no version 7 \(versions: 1..1\)"):
        store.registry.get_model_version("fraud", 7)
    assert store.registry.model_aliases("nope") == {}
    assert store.registry.alias_history("nope") == []
    assert store.registry.blessing_reports("nope") == []


def test_alias_moves_are_recorded_and_compare_and_set(store: MetadataStores) -> None:
    register(store, "fraud", "m1", "m2")
    first = store.registry.move_alias("fraud", "champion", 1, changed_by="ana", reason="first", expect=0)
    assert (first.from_version, first.to_version, first.action) == (None, 1, "set")
    with pytest.raises(ConflictError, match="points at version 1, not the expected nothing"):
        store.registry.move_alias("fraud", "champion", 2, changed_by="bob", expect=0)
    store.registry.move_alias("fraud", "champion", 2, changed_by="bob", expect=1)
    store.registry.move_alias("fraud", "challenger", 1, changed_by="bob")
    assert store.registry.model_aliases("fraud") == {"fraud": {"challenger": 1, "champion": 2}}
    store.registry.move_alias("fraud", "challenger", None, changed_by="bob")
    assert store.registry.model_aliases() == {"fraud": {"champion": 2}}
    history = store.registry.alias_history("fraud", "champion")
    assert [(c.from_version, c.to_version, c.changed_by) for c in history] == [(None, 1, "ana"), (1, 2, "bob")]
    assert [c.action for c in store.registry.alias_history("fraud")] == ["set", "set", "set", "delete"]
    with pytest.raises(NotFoundError, match="has no version 9"):
        store.registry.move_alias("fraud", "champion", 9, changed_by="bob")
    with pytest.raises(NotFoundError, match="has no alias 'staging'"):
        store.registry.move_alias("fraud", "staging", None, changed_by="bob")
    assert store.registry.model_aliases("fraud") == {"fraud": {"champion": 2}}


def test_stages_and_their_history(store: MetadataStores) -> None:
    register(store, "fraud", "m1")
    change = store.registry.set_stage("fraud", 1, "staging", changed_by="ana", reason="try it")
    assert (change.from_stage, change.to_stage, change.reason) == (None, "staging", "try it")
    store.registry.set_stage("fraud", 1, None, changed_by="ana", forced=True)
    assert store.registry.get_model_version("fraud", 1).stage is None
    assert [(c.to_stage, c.forced) for c in store.registry.stage_history("fraud", 1)] == [("staging", False),
                                                                                         (None, True)]
    with pytest.raises(ValidationError, match="unknown stage 'live'; use one of: staging, production, archived"):
        store.registry.set_stage("fraud", 1, "live", changed_by="ana")


def test_blessing_reports_and_model_cards(store: MetadataStores) -> None:
    register(store, "fraud", "m1")
    reports = [BlessingRecord(id=f"b{i}", model="fraud", version=1, policy={"auc": ">= 0.8"}, passed=bool(i),
                              forced=False, rules=[{"name": "auc", "passed": bool(i)}], evaluation={}, created_at=at(i),
                              created_by="ana") for i in range(2)]
    for report in reports:
        store.registry.add_blessing_report(report)
    assert store.registry.blessing_reports("fraud") == reports
    assert store.registry.blessing_reports("fraud", 2) == []
    with pytest.raises(NotFoundError):
        store.registry.add_blessing_report(BlessingRecord(**{**reports[0].__dict__, "id": "b9", "version": 2}))
    store.registry.set_model_card("fraud", 1, {"overall": {"auc": 0.91}})
    assert store.registry.get_model_version("fraud", 1).card == {"overall": {"auc": 0.91}}
