"""DeploymentStore contract: deployments, their events, liveness, readiness checks; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from store_records import at

from mloop.core.clock import utcnow
from mloop.stores.metadata import MetadataStores
from mloop.stores.metadata.deployments import DeploymentEvent, DeploymentRecord, ReadinessCheck


def deployment(id: str, model: str = "fraud", started: float = 0, beat=None) -> DeploymentRecord:  # type: ignore[no-untyped-def]
    when = at(started)
    return DeploymentRecord(id=id, model=model, follows=f"{model}@champion", mode="online", version=f"{model}/1",
                            traffic={"canary": {"ref": f"{model}/2", "percent": 10.0}}, url="http://127.0.0.1:8080",
                            host="box", pid=123, status="running", started_at=when, stopped_at=None,
                            heartbeat_at=beat or when)


def test_a_deployment_records_its_start_swaps_and_stop_once(store: MetadataStores) -> None:
    deployments = store.deployments
    now = utcnow()
    deployments.start(deployment("d1", beat=now))
    deployments.add_event(DeploymentEvent("d1", at(5), "swap", "primary", "fraud/1", "fraud/2", ""))
    deployments.set_version("d1", "fraud/2")
    deployments.add_event(DeploymentEvent("d1", at(6), "refused", "primary", "fraud/2", "fraud/3",
                                          "incompatible signature"))
    running = deployments.get_deployment("d1")
    assert running is not None and (running.status, running.version) == ("running", "fraud/2")
    assert running.traffic == {"canary": {"ref": "fraud/2", "percent": 10.0}}
    deployments.stop("d1", at(10))
    deployments.stop("d1", at(20))  # idempotent: the first stop stays
    stopped = deployments.get_deployment("d1")
    assert stopped is not None and (stopped.status, stopped.stopped_at) == ("stopped", at(10))
    assert [(e.kind, e.from_version, e.to_version) for e in deployments.events("d1")] == [
        ("start", None, "fraud/1"), ("swap", "fraud/1", "fraud/2"), ("refused", "fraud/2", "fraud/3"),
        ("stop", None, None)]
    deployments.stop("nope", at(1))  # unknown: nothing
    deployments.beat("nope", at(1))
    assert deployments.get_deployment("nope") is None


def test_a_deployment_without_a_recent_heartbeat_is_lost(store: MetadataStores) -> None:
    deployments = store.deployments
    now = utcnow()
    deployments.start(deployment("old", started=1, beat=now - timedelta(minutes=5)))
    deployments.start(deployment("fresh", started=2, beat=now))
    deployments.start(deployment("other", model="churn", started=3, beat=now))
    assert [(d.id, d.status) for d in deployments.list_deployments()] == [
        ("other", "running"), ("fresh", "running"), ("old", "lost")]
    assert [d.id for d in deployments.list_deployments(model="fraud", running_only=True)] == ["fresh"]
    deployments.beat("old", utcnow())
    assert deployments.get_deployment("old").status == "running"  # type: ignore[union-attr]


def test_the_latest_readiness_check_of_a_version(store: MetadataStores) -> None:
    deployments = store.deployments
    assert deployments.latest_check("fraud", 1) is None
    items = [{"name": "blessed", "passed": True, "detail": ""}, {"name": "signature", "passed": False, "detail": "x"}]
    first = ReadinessCheck("c1", "fraud", 1, False, items, {"c1": {"p50_ms": 1.0}}, at(1), "ana")
    second = ReadinessCheck("c2", "fraud", 1, True, items[:1], {}, at(2), "ana")
    deployments.add_check(first)
    deployments.add_check(second)
    deployments.add_check(ReadinessCheck("c3", "fraud", 2, True, [], {}, at(3), "ana"))
    assert deployments.latest_check("fraud", 1) == second
    assert deployments.latest_check("fraud", 9) is None


def test_request_counts_sum_a_models_window(store: MetadataStores) -> None:
    from mloop.stores.metadata.deployments import RequestCounts

    deployments = store.deployments
    assert deployments.request_counts("fraud", since=at(0), until=at(60)) == RequestCounts(0, 0, 0)
    deployments.add_counts("d1", "fraud", "fraud/1", at(10), RequestCounts(100, 2, 1))
    deployments.add_counts("d2", "fraud", "fraud/2", at(20), RequestCounts(50, 0, 5))
    deployments.add_counts("d1", "fraud", "fraud/1", at(60), RequestCounts(7, 0, 0))  # the window's end: out
    deployments.add_counts("d3", "churn", "churn/1", at(30), RequestCounts(9, 9, 9))
    assert deployments.request_counts("fraud", since=at(0), until=at(60)) == RequestCounts(150, 2, 6)
    assert deployments.request_counts("fraud", since=at(0), until=at(60), version="fraud/2") == RequestCounts(50, 0, 5)
