"""FeatureDefinitionStore contract: versioned definitions and materialization records, on
SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from store_records import at

from mloop.stores.metadata import MetadataStores, open_metadata_stores
from mloop.stores.metadata.features import MaterializationRecord


def test_a_changed_spec_gets_the_next_version_and_an_unchanged_one_does_not(store: MetadataStores) -> None:
    features = store.features
    first, made = features.put_definition("view", "stats", {"b": 1, "a": [1, 2]}, "h1", "ana")
    again, made_again = features.put_definition("view", "stats", {"b": 1, "a": [1, 2]}, "h1", "bo")
    second, _ = features.put_definition("view", "stats", {"b": 2}, "h2", "bo")
    features.put_definition("entity", "stats", {"keys": ["id"]}, "e1", "ana")  # kinds have their own versions

    assert (first.version, made, again.version, made_again, second.version) == (1, True, 1, False, 2)
    assert features.definition("view", "stats") == second
    assert features.definition("view", "stats", 1) == first and list(first.spec) == ["b", "a"]
    assert [d.version for d in features.definition_history("view", "stats")] == [1, 2]
    assert [(d.kind, d.name, d.version) for d in features.latest_definitions()] == [
        ("entity", "stats", 1), ("view", "stats", 2)]
    assert [d.kind for d in features.latest_definitions("entity")] == ["entity"]
    assert features.definition("view", "nope") is None and features.definition_history("view", "nope") == []


def test_writers_at_once_never_share_a_version(metadata_url: str) -> None:
    def put(i: int) -> None:
        stores = open_metadata_stores(metadata_url)
        stores.features.put_definition("view", "race", {"i": i}, f"h{i}", "t")
        stores.close()

    first = open_metadata_stores(metadata_url)
    first.features.latest_definitions()  # the schema exists before the race
    threads = [threading.Thread(target=put, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    history = first.features.definition_history("view", "race")
    first.close()
    assert [d.version for d in history] == [1, 2, 3, 4, 5, 6]
    assert sorted(d.spec_hash for d in history) == sorted(f"h{i}" for i in range(6))


def test_materializations_are_filtered_and_listed_oldest_first(store: MetadataStores) -> None:
    def record(id: str, view: str, end: float) -> MaterializationRecord:
        return MaterializationRecord(id=id, view=view, version=1, start_time=None, end_time=at(end), rows=10,
                                     newest_event_time=at(end - 1), online_url="sqlite:///x", finished_at=at(end))

    for item in (record("1", "a", 1), record("2", "b", 2), record("3", "a", 3)):
        store.features.record_materialization(item)
    assert [m.id for m in store.features.materializations()] == ["1", "2", "3"]
    assert [m.id for m in store.features.materializations(["a"])] == ["1", "3"]
    assert [m.id for m in store.features.materializations(["a"], limit=1)] == ["3"]
    assert store.features.materializations(online_url="redis://x") == []


def test_a_training_set_manifest_is_found_by_its_artifact(store: MetadataStores) -> None:
    manifest = {"entity_hash": "e", "views": {"stats": 2}, "as_of": None}
    store.features.record_training_set("a1", manifest)
    store.features.record_training_set("a1", {"other": 1})  # the same artifact: the first manifest stays
    assert store.features.training_sets(["a1", "a2"]) == {"a1": manifest}
    assert store.features.training_sets([]) == {}
