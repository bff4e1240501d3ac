"""ScheduleStore contract: schedules, claims, triggers' compare-and-set, scheduler processes; SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from store_records import at

from mloop.core.clock import utcnow
from mloop.core.errors import ConflictError
from mloop.stores.metadata import MetadataStores
from mloop.stores.metadata.schedules import FireRecord, ScheduleRecord, SchedulerRecord, TriggerRecord


def schedule(name: str, due: float, paused: bool = False) -> ScheduleRecord:
    return ScheduleRecord(name=name, job_kind="python", target="m:f", arguments={"n": 1, "tags": ["a"]},
                          cron="@every 1m", timezone="UTC", catchup="skip", paused=paused, folder="",
                          created_at=at(0), updated_at=at(0), next_due_at=at(due), last_due_at=None)


def fire(name: str, due: float, scheduler: str = "box:1", source: str = "schedule") -> FireRecord:
    return FireRecord(source=source, schedule=name, due_at=at(due), fired_at=at(due), scheduler=scheduler,
                      outcome="started")


def test_schedules_round_trip_and_due_ones_are_found_by_time(store: MetadataStores) -> None:
    schedules = store.schedules
    schedules.add_schedule(schedule("a", 1))
    schedules.add_schedule(schedule("b", 5))
    schedules.add_schedule(schedule("c", 2, paused=True))
    with pytest.raises(ConflictError, match="mloop schedule remove a"):
        schedules.add_schedule(schedule("a", 3))
    assert schedules.get_schedule("a") == schedule("a", 1)
    assert schedules.get_schedule("nope") is None
    assert [s.name for s in schedules.list_schedules()] == ["a", "b", "c"]
    assert [s.name for s in schedules.due_schedules(at(2))] == ["a"]
    assert schedules.earliest_due() == at(1)
    assert schedules.set_paused("c", False, at(3), at(1)) and not schedules.set_paused("nope", True, None, at(1))
    assert [s.name for s in schedules.due_schedules(at(10))] == ["a", "c", "b"]
    assert schedules.remove_schedule("b") and not schedules.remove_schedule("b")


def test_a_due_time_is_claimed_once_and_moves_its_schedule(store: MetadataStores) -> None:
    schedules = store.schedules
    schedules.add_schedule(schedule("a", 1))
    schedules.add_schedule(schedule("b", 1))
    won = schedules.claim([fire("a", 1), fire("b", 1)], {"a": at(2), "b": at(2)})
    assert [f.schedule for f in won] == ["a", "b"]
    # another scheduler, late, loses a (its next due time still moves forward, never back); a new
    # due time is its own claim
    assert schedules.claim([fire("a", 1, "other:2"), fire("b", 2, "other:2")], {"a": at(9), "b": at(3)}) == [
        fire("b", 2, "other:2")]
    assert schedules.claim([], {"b": at(2.5)}) == []
    schedules.claim([fire("b", 1.5, "slow:3")], {"b": at(2.5)})  # a slow scheduler moves nothing back
    a, b = schedules.get_schedule("a"), schedules.get_schedule("b")
    assert a is not None and (a.next_due_at, a.last_due_at) == (at(9), at(1))
    assert b is not None and (b.next_due_at, b.last_due_at) == (at(3), at(2))
    schedules.record_outcome("schedule", "a", at(1), "failed", "no module m")
    schedules.finish_fires([("schedule", "b", at(2), "succeeded", None, at(2.5))])
    assert [(f.due_at, f.scheduler, f.outcome, f.error) for f in schedules.fires("a")] == [
        (at(1), "box:1", "failed", "no module m")]
    assert [(f.due_at, f.result, f.ended_at) for f in schedules.fires("b")] == [
        (at(2), "succeeded", at(2.5)), (at(1.5), None, None), (at(1), None, None)]
    schedules.claim([FireRecord("schedule", "a", at(3), at(3), "box:1", "started", "run1")], {})
    assert [(f.due_at, f.run_id) for f in schedules.unfinished_runs()] == [(at(3), "run1")]
    schedules.finish_fires([("schedule", "a", at(3), "failed", "run failed", at(4))])
    assert schedules.unfinished_runs() == []
    last = schedules.last_fires()
    assert (last["a"].due_at, last["b"].due_at) == (at(3), at(2))
    schedules.claim([FireRecord("schedule", "a", at(0.5), at(0.5), "box:1", "started", "run0")], {})
    assert schedules.prune_fires(at(2)) == 1  # a's failed fire at 1 (fires started without a result stay)
    assert [f.due_at for f in schedules.fires("a")] == [at(3), at(0.5)]
    schedules.remove_schedule("a")
    assert schedules.fires("a") == []


def test_a_claim_of_many_due_times_is_one_statement_per_chunk(store: MetadataStores) -> None:
    schedules = store.schedules
    assert len(schedules.claim([fire(f"s{index}", 1) for index in range(1, 1200, 2)], {})) == 600
    won = schedules.claim([fire(f"s{index}", 1) for index in range(1200)], {})
    assert len(won) == 600 and all(int(f.schedule[1:]) % 2 == 0 for f in won)


def trigger(name: str) -> TriggerRecord:
    return TriggerRecord(name=name, kind="new_data", config={"path": "data/*.parquet"}, job_kind="pipeline",
                         target="train.py", arguments={}, folder="", state={"seen": {}}, revision=0,
                         created_at=at(0), updated_at=at(0))


def test_a_trigger_advances_by_compare_and_set(store: MetadataStores) -> None:
    schedules = store.schedules
    schedules.add_trigger(trigger("t"))
    with pytest.raises(ConflictError, match="mloop trigger remove t"):
        schedules.add_trigger(trigger("t"))
    state = {"seen": {"data/a.parquet": [10, 1.5]}}
    assert schedules.advance_trigger("t", 0, state, at(1), fire("t", 1, source="trigger"))
    assert not schedules.advance_trigger("t", 0, {"seen": {}}, at(2), fire("t", 2, source="trigger"))  # lost
    got = schedules.get_trigger("t")
    assert got is not None and (got.state, got.revision, got.updated_at) == (state, 1, at(1))
    assert [f.due_at for f in schedules.fires("t", source="trigger")] == [at(1)]
    assert [t.name for t in schedules.list_triggers()] == ["t"]
    assert schedules.remove_trigger("t") and schedules.get_trigger("t") is None
    assert schedules.fires("t", source="trigger") == []


def test_schedulers_beat_and_stop_once(store: MetadataStores) -> None:
    schedules = store.schedules
    now = utcnow()
    schedules.scheduler_started(SchedulerRecord("box:1", "box", 1, now, now, None))
    schedules.scheduler_started(SchedulerRecord("box:2", "box", 2, at(0), at(0), None))  # stale
    assert [s.id for s in schedules.list_schedulers(running_only=True)] == ["box:1"]
    schedules.scheduler_beat("box:1", now)
    schedules.scheduler_stopped("box:1", now)
    schedules.scheduler_stopped("box:1", utcnow())
    stopped = {s.id: s for s in schedules.list_schedulers()}["box:1"]
    assert stopped.stopped_at == now
    assert schedules.list_schedulers(running_only=True) == []
