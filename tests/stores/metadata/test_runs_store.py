"""RunStore contract: runs, step runs, environments, cache lookup; on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from store_records import (
    at,
    finish,
    finish_step_run,
    make_artifact,
    make_run,
    make_step,
    step_run,
    update_step_run,
)

from mloop.core.errors import ConflictError, NotFoundError, ValidationError
from mloop.stores.metadata import LineageEdge, MetadataStores


def test_create_run_with_step_runs_round_trips(store: MetadataStores) -> None:
    run = make_run(code_version={"git_sha": "abc123", "dirty": False}, host="box", pid=4242,
                   options={"description": "weekly retrain", "no_cache": True}, started_at=at(1))
    steps = [make_step(run, "ingest", status="succeeded", ended=2, attempts=[{"n": 1, "ok": True}],
                       cache_key="k1", cache_parts={"source": "h1"}, source_hash="h1", log_uri="logs/ingest.log"),
             make_step(run, "train")]
    store.runs.create_run(run, steps)
    assert store.runs.get_run(run.id) == run
    assert store.runs.step_runs(run.id) == sorted(steps, key=lambda s: s.id)
    assert step_run(store, run.id, "ingest") == steps[0]
    assert store.runs.get_step_runs_by_id([steps[1].id]) == [steps[1]]
    assert store.runs.get_step_runs_by_id([]) == []
    assert store.runs.get_run(run.id).created_at.utcoffset() == timedelta(0)



def test_create_run_is_one_transaction(store: MetadataStores) -> None:
    run = make_run()
    duplicate_nodes = [make_step(run, "train"), make_step(run, "train")]
    with pytest.raises(ConflictError):
        store.runs.create_run(run, duplicate_nodes)
    with pytest.raises(NotFoundError):
        store.runs.get_run(run.id)
    assert store.runs.list_runs() == []



def test_create_run_twice_is_a_conflict(store: MetadataStores) -> None:
    run = make_run()
    store.runs.create_run(run, [])
    with pytest.raises(ConflictError):
        store.runs.create_run(make_run(run.id, pipeline="other"), [])
    assert store.runs.get_run(run.id).pipeline == "training"



def test_update_run_and_step_run(store: MetadataStores) -> None:
    run = make_run(status="pending")
    step = make_step(run, "train")
    store.runs.create_run(run, [step])
    store.runs.update_run(run.id, status="succeeded", started_at=at(1), ended_at=at(5), heartbeat_at=at(4))
    update_step_run(store, step.id, status="failed", error="ValueError: bad input", attempts=[{"n": 1}, {"n": 2}])
    updated = store.runs.get_run(run.id)
    assert (updated.status, updated.started_at, updated.ended_at, updated.heartbeat_at) == \
        ("succeeded", at(1), at(5), at(4))
    assert updated.params == run.params
    changed = step_run(store, run.id, "train")
    assert (changed.status, changed.error, changed.attempts) == ("failed", "ValueError: bad input", [{"n": 1}, {"n": 2}])



def test_get_run_by_unique_prefix(store: MetadataStores) -> None:
    run = make_run()
    store.runs.create_run(run, [])
    assert store.runs.get_run(run.id[:6]).id == run.id
    assert store.runs.get_run(run.id).id == run.id



def test_run_id_prefix_errors(store: MetadataStores) -> None:
    for run_id in ("abcd0001", "abcd0002", "ab_x"):
        store.runs.create_run(make_run(run_id), [])
    with pytest.raises(ConflictError, match="prefix 'abcd' is ambiguous"):
        store.runs.get_run("abcd")
    with pytest.raises(ValidationError, match="too short"):
        store.runs.get_run("abc")
    with pytest.raises(NotFoundError, match="no run 'zzzz'; list them with: mloop runs list"):
        store.runs.get_run("zzzz")
    with pytest.raises(NotFoundError):  # LIKE wildcards in a prefix are taken literally
        store.runs.get_run("ab%0")
    assert store.runs.get_run("ab_x").id == "ab_x"  # an exact id needs no minimum length
    assert store.runs.get_run("abcd0002").id == "abcd0002"



def test_list_runs_filters_and_orders_newest_first(store: MetadataStores) -> None:
    runs = [
        make_run("r1", pipeline="training", status="succeeded", created=1),
        make_run("r2", pipeline="training", status="failed", created=2),
        make_run("r3", pipeline="scoring", status="running", created=3),
        make_run("r5", pipeline="training", status="running", created=4),
        make_run("r4", pipeline="training", status="running", created=4),  # same time: id breaks the tie
    ]
    for run in runs:
        store.runs.create_run(run, [])
    assert [r.id for r in store.runs.list_runs()] == ["r5", "r4", "r3", "r2", "r1"]
    assert [r.id for r in store.runs.list_runs(pipeline="training")] == ["r5", "r4", "r2", "r1"]
    assert [r.id for r in store.runs.list_runs(status="running")] == ["r5", "r4", "r3"]
    assert [r.id for r in store.runs.list_runs(pipeline="training", status="running")] == ["r5", "r4"]
    assert [r.id for r in store.runs.list_runs(limit=2)] == ["r5", "r4"]
    assert store.runs.list_runs(pipeline="nothing") == []
    assert {r.id for r in store.runs.running_runs()} == {"r3", "r4", "r5"}



def test_pipeline_summaries_count_by_status_and_name_the_newest_run(store: MetadataStores) -> None:
    assert store.runs.pipeline_summaries() == []
    for run in [make_run("r1", pipeline="training", status="succeeded", created=1),
                make_run("r2", pipeline="training", status="failed", created=2),
                make_run("r3", pipeline="scoring", status="running", created=2),
                make_run("r5", pipeline="training", status="succeeded", created=3),
                make_run("r4", pipeline="training", status="running", created=3)]:  # same time: the higher id is newer
        store.runs.create_run(run, [])
    scoring, training = store.runs.pipeline_summaries()
    assert (training.name, training.runs, training.by_status) == ("training", 4, {"succeeded": 2, "failed": 1,
                                                                                  "running": 1})
    assert (training.last_run_id, training.last_status, training.last_created_at) == ("r5", "succeeded", at(3))
    assert (scoring.name, scoring.runs, scoring.last_run_id, scoring.kind) == ("scoring", 1, "r3", "pipeline")


def test_mark_run_interrupted(store: MetadataStores) -> None:
    run = make_run(status="running")
    running, done, pending = (make_step(run, "train", status="running"),
                              make_step(run, "ingest", status="succeeded", ended=1), make_step(run, "evaluate"))
    other = make_run(status="running")
    other_step = make_step(other, "train", status="running")
    store.runs.create_run(run, [running, done, pending])
    store.runs.create_run(other, [other_step])

    assert store.runs.mark_run_interrupted(run.id, "process 4242 on box died") is True
    interrupted = store.runs.get_run(run.id)
    assert (interrupted.status, interrupted.error) == ("interrupted", "process 4242 on box died")
    assert interrupted.ended_at is not None
    after = {s.node: s for s in store.runs.step_runs(run.id)}
    assert (after["train"].status, after["train"].error) == ("failed", "process 4242 on box died")
    assert after["train"].ended_at is not None
    assert after["ingest"] == done
    assert after["evaluate"] == pending
    assert store.runs.get_run(other.id).status == "running"
    assert step_run(store, other.id, "train").status == "running"

    assert store.runs.mark_run_interrupted(run.id, "again") is False
    assert store.runs.get_run(run.id).error == "process 4242 on box died"



def test_mark_run_interrupted_leaves_finished_runs_alone(store: MetadataStores) -> None:
    run = make_run(status="succeeded")
    step = make_step(run, "train", status="running")  # inconsistent on purpose: the run decides
    store.runs.create_run(run, [step])
    assert store.runs.mark_run_interrupted(run.id, "stale") is False
    assert store.runs.get_run(run.id).status == "succeeded"
    assert step_run(store, run.id, "train").status == "running"



def test_environments(store: MetadataStores) -> None:
    data = {"python": "3.11.7", "packages": {"numpy": "2.0.0", "pandas": "2.2.0"}}
    store.runs.put_environment("env1", data)
    store.runs.put_environment("env1", {"python": "something else"})  # ids are content hashes: first write wins
    assert store.runs.get_environment("env1") == data
    with pytest.raises(NotFoundError):
        store.runs.get_environment("env2")
    run = make_run(environment_id="env1")
    store.runs.create_run(run, [])
    assert store.runs.get_run(run.id).environment_id == "env1"



def test_finish_step_run_is_one_transaction(store: MetadataStores) -> None:
    run = make_run()
    step = make_step(run, "train", status="running")
    store.runs.create_run(run, [step])
    dangling = LineageEdge(step.id, "out", "output", "f" * 64, run.id)  # no such artifact
    with pytest.raises(ConflictError):
        finish_step_run(store, step.id, {"status": "succeeded"}, [make_artifact("model")], [dangling])
    assert step_run(store, run.id, "train").status == "running"
    assert store.lineage.list_artifacts() == []



def test_apply_step_updates_is_one_idempotent_transaction(store: MetadataStores) -> None:
    run = make_run()
    ingest, train = make_step(run, "ingest", status="running"), make_step(run, "train", status="running")
    store.runs.create_run(run, [ingest, train])
    raw, model = make_artifact("raw"), make_artifact("model")
    edges = [LineageEdge(ingest.id, "out", "output", raw.id, run.id),
             LineageEdge(train.id, "in", "df", raw.id, run.id), LineageEdge(train.id, "out", "output", model.id, run.id)]
    updates = [(ingest.id, {"status": "succeeded", "ended_at": at(1)}), (train.id, {"status": "cached", "ended_at": at(2)})]

    dangling = LineageEdge(train.id, "out", "metrics", "f" * 64, run.id)
    with pytest.raises(ConflictError):
        store.runs.apply_step_updates(updates, [raw, model], [*edges, dangling])
    assert {s.status for s in store.runs.step_runs(run.id)} == {"running"}
    assert store.lineage.list_artifacts() == []

    store.runs.apply_step_updates(updates, [raw, model], edges)
    store.runs.apply_step_updates(updates, [raw, model], edges)
    assert {s.node: (s.status, s.ended_at) for s in store.runs.step_runs(run.id)} == {
        "ingest": ("succeeded", at(1)), "train": ("cached", at(2))}
    assert set(store.lineage.step_run_edges([ingest.id, train.id])) == set(edges)
    assert len(store.lineage.list_artifacts()) == 2
    store.runs.apply_step_updates([], [], [])



def test_apply_step_updates_round_trips_json_times_and_nulls(store: MetadataStores) -> None:
    run = make_run()
    step = make_step(run, "train", status="pending")
    store.runs.create_run(run, [step])
    artifact = make_artifact("model")
    artifact = dataclasses.replace(artifact, summary={"shape": [3, 2], "columns": {"a": "int64"}, "nan": None})
    attempts = [{"attempt": 1, "status": "succeeded", "worker": "h:1", "error": None}]
    parts = {"code": "c", "inputs": {"df": "d" * 64}, "params": {"n": 1.5}}
    store.runs.apply_step_updates([(step.id, {"status": "running", "started_at": at(1), "attempts": attempts[:0],
                                              "cache_key": "K", "cache_parts": parts, "error": None})], [], [])
    store.runs.apply_step_updates([(step.id, {"status": "succeeded", "ended_at": at(2), "attempts": attempts,
                                              "log_uri": None})],
                                  [artifact], [LineageEdge(step.id, "out", "output", artifact.id, run.id)])
    [stored] = store.runs.step_runs(run.id)
    assert (stored.status, stored.started_at, stored.ended_at) == ("succeeded", at(1), at(2))
    assert (stored.attempts, stored.cache_key, stored.cache_parts, stored.log_uri) == (attempts, "K", parts, None)
    assert store.lineage.get_artifacts([artifact.id])[artifact.id] == artifact


def test_find_cached_returns_the_newest_successful_execution(store: MetadataStores) -> None:
    old_run, new_run, failed_run, cached_run = (make_run(created=i) for i in range(4))
    old = make_step(old_run, "train", status="running", cache_key="K", ended=1)
    new = make_step(new_run, "train", status="running", cache_key="K", ended=2)
    failed = make_step(failed_run, "train", status="running", cache_key="K", ended=3)
    cached = make_step(cached_run, "train", status="running", cache_key="K", ended=4, cached_from=new.id)
    for run, step in ((old_run, old), (new_run, new), (failed_run, failed), (cached_run, cached)):
        store.runs.create_run(run, [step])
    old_model, new_model = make_artifact("old-model"), make_artifact("new-model")
    finish(store, old, {"model": old_model})
    finish(store, new, {"model": new_model, "report": make_artifact("report")})
    finish(store, failed, {}, status="failed")
    finish(store, cached, {"model": new_model}, status="cached")

    hit = store.runs.find_cached("K")
    assert hit is not None
    step, outputs = hit
    assert step.id == new.id and step.status == "succeeded"
    assert outputs["model"] == new_model
    assert set(outputs) == {"model", "report"}
    assert store.runs.find_cached("missing") is None



def test_find_cached_many(store: MetadataStores) -> None:
    run = make_run()
    a = make_step(run, "a", status="running", cache_key="KA", ended=1)
    b = make_step(run, "b", status="running", cache_key="KB", ended=2)
    c = make_step(run, "c", status="running", cache_key="KC", ended=3)
    store.runs.create_run(run, [a, b, c])
    finish(store, a, {"output": make_artifact("a")})
    finish(store, b, {"train": make_artifact("b-train"), "test": make_artifact("b-test")})
    finish(store, c, {"output": make_artifact("c")}, status="failed")

    found = store.runs.find_cached_many(["KA", "KB", "KC", "nothing"])
    assert set(found) == {"KA", "KB"}
    assert found["KA"][0].id == a.id and found["KA"][1] == {"output": make_artifact("a")}
    assert found["KB"][0].id == b.id
    assert found["KB"][1] == {"train": make_artifact("b-train"), "test": make_artifact("b-test")}
    assert store.runs.find_cached_many([]) == {}
    assert store.runs.find_cached_many(["nothing"]) == {}



def test_last_step_run(store: MetadataStores) -> None:
    first, second, third = (make_run(created=i) for i in range(3))
    elsewhere = make_run(pipeline="scoring")
    succeeded = make_step(first, "train", status="succeeded", cache_key="K", ended=1)
    cached = make_step(second, "train", status="cached", cache_key="K", ended=2)
    failed = make_step(third, "train", status="failed", cache_key="K", ended=3)
    other = make_step(elsewhere, "train", status="succeeded", cache_key="K", ended=9)
    uncached = make_step(third, "ingest", status="succeeded", ended=5)  # ran with caching off
    store.runs.create_run(first, [succeeded])
    store.runs.create_run(second, [cached])
    store.runs.create_run(third, [failed, uncached])
    store.runs.create_run(elsewhere, [other])

    last = store.runs.last_step_run("training", "train")
    assert last is not None and last.id == cached.id
    in_scoring = store.runs.last_step_run("scoring", "train")
    assert in_scoring is not None and in_scoring.id == other.id
    assert store.runs.last_step_run("training", "ingest") is None
    assert store.runs.last_step_run("training", "nothing") is None
