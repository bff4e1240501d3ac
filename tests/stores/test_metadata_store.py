"""One contract suite for the metadata store, run against SQLite and PostgreSQL (see `metadata_url`)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mloop.core.errors import BackendError, ConfigError, ConflictError, NotFoundError, ValidationError
from mloop.core.ids import new_id
from mloop.stores.metadata import (
    ArtifactRecord,
    LineageEdge,
    MetadataStore,
    RunRecord,
    SqlMetadataStore,
    StepRunRecord,
    open_metadata_store,
)
from mloop.stores.metadata.engine import HEAD_REVISION

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def store(metadata_url: str) -> Iterator[SqlMetadataStore]:
    opened = open_metadata_store(metadata_url)
    assert isinstance(opened, SqlMetadataStore)
    yield opened
    opened.close()


def make_run(run_id: str | None = None, *, pipeline: str = "training", status: str = "running",
             created: float = 0, **fields: Any) -> RunRecord:
    return RunRecord(
        id=run_id or new_id("r"), pipeline=pipeline, status=status,
        params={"n_estimators": 100, "path": "data/tx.parquet"},
        graph={"nodes": ["ingest", "train"], "edges": [["ingest", "train"]]}, graph_hash="g" * 64,
        created_at=at(created), **fields,
    )


def make_step(run: RunRecord, node: str, *, status: str = "pending", cache_key: str | None = None,
              ended: float | None = None, **fields: Any) -> StepRunRecord:
    return StepRunRecord(
        id=new_id("s"), run_id=run.id, node=node, step=f"steps.{node}", status=status,
        spec={"retries": 0, "resources": {"cpu": 1}}, cache_key=cache_key,
        ended_at=None if ended is None else at(ended), **fields,
    )


def make_artifact(name: str, *, created: float = 0) -> ArtifactRecord:
    digest = hashlib.sha256(name.encode()).hexdigest()
    return ArtifactRecord(
        id=digest, uri=f"/store/objects/{digest[:2]}/{digest}", kind="output", materializer="json",
        materializer_version="1", type_name="builtins.dict", size=12, summary={"length": 2},
        created_at=at(created),
    )


def finish(store: MetadataStore, step: StepRunRecord, outputs: dict[str, ArtifactRecord],
           inputs: dict[str, ArtifactRecord] | None = None, status: str = "succeeded") -> None:
    edges = [LineageEdge(step.id, "out", name, a.id, step.run_id) for name, a in outputs.items()]
    edges += [LineageEdge(step.id, "in", name, a.id, step.run_id) for name, a in (inputs or {}).items()]
    artifacts = [*outputs.values(), *(inputs or {}).values()]
    store.finish_step_run(step.id, {"status": status, "ended_at": step.ended_at}, artifacts, edges)


# ---------------------------------------------------------------------------- schema


def test_schema_is_created_by_alembic_at_head(store: SqlMetadataStore) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import mloop.stores.metadata.engine as engine_module

    config = Config()
    config.set_main_option("script_location", str(Path(engine_module.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION
    with store.engine.connect() as connection:
        versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    assert versions == [HEAD_REVISION]


def test_migrations_match_the_schema_module(store: SqlMetadataStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from mloop.stores.metadata.schema import metadata

    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_opening_twice_is_a_no_op(metadata_url: str) -> None:
    first = open_metadata_store(metadata_url)
    run = make_run()
    first.create_run(run, [make_step(run, "train")])
    first.close()
    second = open_metadata_store(metadata_url)
    assert second.get_run(run.id) == run
    assert [s.node for s in second.step_runs(run.id)] == ["train"]
    assert isinstance(second, SqlMetadataStore)
    with second.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [HEAD_REVISION]
    second.close()


@pytest.mark.postgres
@pytest.mark.parametrize("metadata_url", ["postgres"], indirect=True)
def test_postgres_store_stays_in_its_own_schema(metadata_url: str, store: SqlMetadataStore,
                                                pg_engine: sa.Engine) -> None:
    schema = metadata_url.rsplit("search_path%3D", 1)[1]
    store.create_run(make_run(), [])
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT current_schema()").scalar() == schema
    with pg_engine.connect() as connection:
        tables = set(connection.execute(
            sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = :schema"), {"schema": schema}
        ).scalars())
        runs = connection.exec_driver_sql(f"SELECT count(*) FROM {schema}.runs").scalar()
    assert {"alembic_version", "runs", "step_runs", "artifacts", "lineage", "environments"} <= tables
    assert runs == 1


def test_newer_schema_revision_is_refused_with_the_fix(metadata_url: str) -> None:
    first = open_metadata_store(metadata_url)
    assert isinstance(first, SqlMetadataStore)
    with first.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    first.close()
    second = open_metadata_store(metadata_url)
    with pytest.raises(ConfigError, match="revision '9999'.*upgrade mloop"):
        second.list_runs()
    second.close()


def test_concurrent_first_opens_both_migrate_safely(metadata_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    script = textwrap.dedent(f"""
        import pathlib, sys, time
        from mloop.stores.metadata import open_metadata_store
        from mloop.stores.metadata.records import RunRecord
        from datetime import datetime, timezone
        store = open_metadata_store({metadata_url!r})
        pathlib.Path({str(tmp_path)!r}, sys.argv[1] + ".ready").touch()
        while not pathlib.Path({str(go)!r}).exists():
            time.sleep(0.005)
        now = datetime.now(timezone.utc)
        store.create_run(RunRecord(sys.argv[1], "race", "running", {{}}, {{}}, "g", now), [])
    """)
    names = [f"race{i}" for i in range(3)]
    processes = [subprocess.Popen([sys.executable, "-c", script, name], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for name in names]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"{name}.ready").exists() for name in names) and time.monotonic() < deadline:
        if any(p.poll() for p in processes):
            break
        time.sleep(0.01)
    go.touch()
    results = [p.communicate(timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0] * 3, [err for _, err in results]
    store = open_metadata_store(metadata_url)
    assert sorted(r.id for r in store.list_runs(pipeline="race")) == sorted(names)
    assert isinstance(store, SqlMetadataStore)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [HEAD_REVISION]
    store.close()


def test_reads_of_a_database_not_created_yet_create_nothing(tmp_path: Path) -> None:
    path = tmp_path / ".mloop" / "mloop.db"
    store = open_metadata_store(f"sqlite:///{path}")
    assert store.list_runs() == [] and store.list_artifacts() == [] and store.list_models() == []
    with pytest.raises(NotFoundError):
        store.get_run("01abcdef")
    assert list(tmp_path.iterdir()) == []

    run = make_run()
    store.create_run(run, [make_step(run, "train")])  # the first write creates the folder and the file

    assert path.is_file()
    assert store.get_run(run.id) == run
    store.close()


def test_reads_see_a_database_another_process_created_since(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/mloop.db"
    reader = open_metadata_store(url)
    assert reader.list_runs() == []
    writer = open_metadata_store(url)
    run = make_run()
    writer.create_run(run, [])
    assert [r.id for r in reader.list_runs()] == [run.id]
    reader.close()
    writer.close()


def test_a_database_whose_folder_does_not_exist_is_refused_on_read(tmp_path: Path) -> None:
    missing = tmp_path / "typo"
    store = open_metadata_store(f"sqlite:///{missing}/mloop.db")
    with pytest.raises(ConfigError, match=f"folder {missing} does not exist; check MLOOP_DB_URL"):
        store.list_runs()
    assert not missing.exists()
    store.check_writable()  # a write creates what it needs
    assert (missing / "mloop.db").is_file()
    store.close()


# ------------------------------------------------------------------------------ runs


def test_create_run_with_step_runs_round_trips(store: SqlMetadataStore) -> None:
    run = make_run(code_version={"git_sha": "abc123", "dirty": False}, host="box", pid=4242,
                   options={"description": "weekly retrain", "no_cache": True}, started_at=at(1))
    steps = [make_step(run, "ingest", status="succeeded", ended=2, attempts=[{"n": 1, "ok": True}],
                       cache_key="k1", cache_parts={"source": "h1"}, source_hash="h1", log_uri="logs/ingest.log"),
             make_step(run, "train")]
    store.create_run(run, steps)
    assert store.get_run(run.id) == run
    assert store.step_runs(run.id) == sorted(steps, key=lambda s: s.id)
    assert store.get_step_run(run.id, "ingest") == steps[0]
    assert store.get_step_runs_by_id([steps[1].id]) == [steps[1]]
    assert store.get_step_runs_by_id([]) == []
    assert store.get_run(run.id).created_at.utcoffset() == timedelta(0)


def test_create_run_is_one_transaction(store: SqlMetadataStore) -> None:
    run = make_run()
    duplicate_nodes = [make_step(run, "train"), make_step(run, "train")]
    with pytest.raises(ConflictError):
        store.create_run(run, duplicate_nodes)
    with pytest.raises(NotFoundError):
        store.get_run(run.id)
    assert store.list_runs() == []


def test_create_run_twice_is_a_conflict(store: SqlMetadataStore) -> None:
    run = make_run()
    store.create_run(run, [])
    with pytest.raises(ConflictError):
        store.create_run(make_run(run.id, pipeline="other"), [])
    assert store.get_run(run.id).pipeline == "training"


def test_update_run_and_step_run(store: SqlMetadataStore) -> None:
    run = make_run(status="pending")
    step = make_step(run, "train")
    store.create_run(run, [step])
    store.update_run(run.id, status="succeeded", started_at=at(1), ended_at=at(5), heartbeat_at=at(4))
    store.update_step_run(step.id, status="failed", error="ValueError: bad input", attempts=[{"n": 1}, {"n": 2}])
    updated = store.get_run(run.id)
    assert (updated.status, updated.started_at, updated.ended_at, updated.heartbeat_at) == \
        ("succeeded", at(1), at(5), at(4))
    assert updated.params == run.params
    changed = store.get_step_run(run.id, "train")
    assert (changed.status, changed.error, changed.attempts) == ("failed", "ValueError: bad input", [{"n": 1}, {"n": 2}])


def test_get_run_by_unique_prefix(store: SqlMetadataStore) -> None:
    run = make_run()
    store.create_run(run, [])
    assert store.get_run(run.id[:6]).id == run.id
    assert store.get_run(run.id).id == run.id


def test_run_id_prefix_errors(store: SqlMetadataStore) -> None:
    for run_id in ("abcd0001", "abcd0002", "ab_x"):
        store.create_run(make_run(run_id), [])
    with pytest.raises(ConflictError, match="prefix 'abcd' is ambiguous"):
        store.get_run("abcd")
    with pytest.raises(ValidationError, match="too short"):
        store.get_run("abc")
    with pytest.raises(NotFoundError, match="no run 'zzzz'; list them with: mloop runs list"):
        store.get_run("zzzz")
    with pytest.raises(NotFoundError):  # LIKE wildcards in a prefix are taken literally
        store.get_run("ab%0")
    assert store.get_run("ab_x").id == "ab_x"  # an exact id needs no minimum length
    assert store.get_run("abcd0002").id == "abcd0002"


def test_list_runs_filters_and_orders_newest_first(store: SqlMetadataStore) -> None:
    runs = [
        make_run("r1", pipeline="training", status="succeeded", created=1),
        make_run("r2", pipeline="training", status="failed", created=2),
        make_run("r3", pipeline="scoring", status="running", created=3),
        make_run("r5", pipeline="training", status="running", created=4),
        make_run("r4", pipeline="training", status="running", created=4),  # same time: id breaks the tie
    ]
    for run in runs:
        store.create_run(run, [])
    assert [r.id for r in store.list_runs()] == ["r5", "r4", "r3", "r2", "r1"]
    assert [r.id for r in store.list_runs(pipeline="training")] == ["r5", "r4", "r2", "r1"]
    assert [r.id for r in store.list_runs(status="running")] == ["r5", "r4", "r3"]
    assert [r.id for r in store.list_runs(pipeline="training", status="running")] == ["r5", "r4"]
    assert [r.id for r in store.list_runs(limit=2)] == ["r5", "r4"]
    assert store.list_runs(pipeline="nothing") == []
    assert {r.id for r in store.running_runs()} == {"r3", "r4", "r5"}


def test_mark_run_interrupted(store: SqlMetadataStore) -> None:
    run = make_run(status="running")
    running, done, pending = (make_step(run, "train", status="running"),
                              make_step(run, "ingest", status="succeeded", ended=1), make_step(run, "evaluate"))
    other = make_run(status="running")
    other_step = make_step(other, "train", status="running")
    store.create_run(run, [running, done, pending])
    store.create_run(other, [other_step])

    assert store.mark_run_interrupted(run.id, "process 4242 on box died") is True
    interrupted = store.get_run(run.id)
    assert (interrupted.status, interrupted.error) == ("interrupted", "process 4242 on box died")
    assert interrupted.ended_at is not None
    after = {s.node: s for s in store.step_runs(run.id)}
    assert (after["train"].status, after["train"].error) == ("failed", "process 4242 on box died")
    assert after["train"].ended_at is not None
    assert after["ingest"] == done
    assert after["evaluate"] == pending
    assert store.get_run(other.id).status == "running"
    assert store.get_step_run(other.id, "train").status == "running"

    assert store.mark_run_interrupted(run.id, "again") is False
    assert store.get_run(run.id).error == "process 4242 on box died"


def test_mark_run_interrupted_leaves_finished_runs_alone(store: SqlMetadataStore) -> None:
    run = make_run(status="succeeded")
    step = make_step(run, "train", status="running")  # inconsistent on purpose: the run decides
    store.create_run(run, [step])
    assert store.mark_run_interrupted(run.id, "stale") is False
    assert store.get_run(run.id).status == "succeeded"
    assert store.get_step_run(run.id, "train").status == "running"


def test_environments(store: SqlMetadataStore) -> None:
    data = {"python": "3.11.7", "packages": {"numpy": "2.0.0", "pandas": "2.2.0"}}
    store.put_environment("env1", data)
    store.put_environment("env1", {"python": "something else"})  # ids are content hashes: first write wins
    assert store.get_environment("env1") == data
    with pytest.raises(NotFoundError):
        store.get_environment("env2")
    run = make_run(environment_id="env1")
    store.create_run(run, [])
    assert store.get_run(run.id).environment_id == "env1"


def test_data_fingerprints(store: SqlMetadataStore) -> None:
    first, second = make_artifact("v1").id, make_artifact("v2").id
    assert store.find_fingerprint("data/tx.parquet", "fp1") is None
    store.put_fingerprint("data/tx.parquet", "fp1", first)
    assert store.find_fingerprint("data/tx.parquet", "fp1") == first
    assert store.find_fingerprint("data/tx.parquet", "fp2") is None
    assert store.find_fingerprint("data/other.parquet", "fp1") is None
    store.put_fingerprint("data/tx.parquet", "fp2", second)  # the file changed: replaces the old entry
    assert store.find_fingerprint("data/tx.parquet", "fp2") == second
    assert store.find_fingerprint("data/tx.parquet", "fp1") is None


# ------------------------------------------------------------ artifacts and lineage


def test_finish_step_run_writes_artifacts_and_lineage_idempotently(store: SqlMetadataStore) -> None:
    run = make_run()
    ingest, train = make_step(run, "ingest", status="running"), make_step(run, "train", status="running")
    store.create_run(run, [ingest, train])
    raw, model = make_artifact("raw", created=1), make_artifact("model", created=2)
    ingest.ended_at = at(1)
    finish(store, ingest, {"output": raw})
    train.ended_at = at(2)
    finish(store, train, {"output": model}, inputs={"df": raw})
    finish(store, train, {"output": model}, inputs={"df": raw})  # a retried write changes nothing

    assert store.get_step_run(run.id, "train").status == "succeeded"
    assert store.get_step_run(run.id, "train").ended_at == at(2)
    assert store.get_artifact(model.id) == model
    assert store.get_artifact(model.id[:10]) == model
    assert [a.id for a in store.list_artifacts()] == [model.id, raw.id]
    assert [a.id for a in store.list_artifacts(limit=1)] == [model.id]
    assert set(store.step_run_edges([train.id])) == {
        LineageEdge(train.id, "out", "output", model.id, run.id),
        LineageEdge(train.id, "in", "df", raw.id, run.id),
    }
    assert set(store.artifact_edges([raw.id])) == {
        LineageEdge(ingest.id, "out", "output", raw.id, run.id),
        LineageEdge(train.id, "in", "df", raw.id, run.id),
    }
    assert store.step_run_edges([]) == [] and store.artifact_edges([]) == []


def test_record_artifact_is_idempotent(store: SqlMetadataStore) -> None:
    artifact = make_artifact("logged")
    store.record_artifact(artifact)
    store.record_artifact(artifact)
    assert store.list_artifacts() == [artifact]
    with pytest.raises(NotFoundError, match="mloop artifacts list"):
        store.get_artifact("0000ffff")


def test_finish_step_run_is_one_transaction(store: SqlMetadataStore) -> None:
    run = make_run()
    step = make_step(run, "train", status="running")
    store.create_run(run, [step])
    dangling = LineageEdge(step.id, "out", "output", "f" * 64, run.id)  # no such artifact
    with pytest.raises(ConflictError):
        store.finish_step_run(step.id, {"status": "succeeded"}, [make_artifact("model")], [dangling])
    assert store.get_step_run(run.id, "train").status == "running"
    assert store.list_artifacts() == []


def test_apply_step_updates_is_one_idempotent_transaction(store: SqlMetadataStore) -> None:
    run = make_run()
    ingest, train = make_step(run, "ingest", status="running"), make_step(run, "train", status="running")
    store.create_run(run, [ingest, train])
    raw, model = make_artifact("raw"), make_artifact("model")
    edges = [LineageEdge(ingest.id, "out", "output", raw.id, run.id),
             LineageEdge(train.id, "in", "df", raw.id, run.id), LineageEdge(train.id, "out", "output", model.id, run.id)]
    updates = [(ingest.id, {"status": "succeeded", "ended_at": at(1)}), (train.id, {"status": "cached", "ended_at": at(2)})]

    dangling = LineageEdge(train.id, "out", "metrics", "f" * 64, run.id)
    with pytest.raises(ConflictError):
        store.apply_step_updates(updates, [raw, model], [*edges, dangling])
    assert {s.status for s in store.step_runs(run.id)} == {"running"}
    assert store.list_artifacts() == []

    store.apply_step_updates(updates, [raw, model], edges)
    store.apply_step_updates(updates, [raw, model], edges)
    assert {s.node: (s.status, s.ended_at) for s in store.step_runs(run.id)} == {
        "ingest": ("succeeded", at(1)), "train": ("cached", at(2))}
    assert set(store.step_run_edges([ingest.id, train.id])) == set(edges)
    assert len(store.list_artifacts()) == 2
    store.apply_step_updates([], [], [])


def test_get_artifacts_by_exact_ids(store: SqlMetadataStore) -> None:
    first, second = make_artifact("first"), make_artifact("second")
    store.record_artifact(first)
    store.record_artifact(second)
    assert store.get_artifacts([first.id, second.id, "0" * 64]) == {first.id: first, second.id: second}
    assert store.get_artifacts([first.id[:10]]) == {}  # no prefix matching here
    assert store.get_artifacts([]) == {}


def test_find_cached_returns_the_newest_successful_execution(store: SqlMetadataStore) -> None:
    old_run, new_run, failed_run, cached_run = (make_run(created=i) for i in range(4))
    old = make_step(old_run, "train", status="running", cache_key="K", ended=1)
    new = make_step(new_run, "train", status="running", cache_key="K", ended=2)
    failed = make_step(failed_run, "train", status="running", cache_key="K", ended=3)
    cached = make_step(cached_run, "train", status="running", cache_key="K", ended=4, cached_from=new.id)
    for run, step in ((old_run, old), (new_run, new), (failed_run, failed), (cached_run, cached)):
        store.create_run(run, [step])
    old_model, new_model = make_artifact("old-model"), make_artifact("new-model")
    finish(store, old, {"model": old_model})
    finish(store, new, {"model": new_model, "report": make_artifact("report")})
    finish(store, failed, {}, status="failed")
    finish(store, cached, {"model": new_model}, status="cached")

    hit = store.find_cached("K")
    assert hit is not None
    step, outputs = hit
    assert step.id == new.id and step.status == "succeeded"
    assert outputs["model"] == new_model
    assert set(outputs) == {"model", "report"}
    assert store.find_cached("missing") is None


def test_find_cached_many(store: SqlMetadataStore) -> None:
    run = make_run()
    a = make_step(run, "a", status="running", cache_key="KA", ended=1)
    b = make_step(run, "b", status="running", cache_key="KB", ended=2)
    c = make_step(run, "c", status="running", cache_key="KC", ended=3)
    store.create_run(run, [a, b, c])
    finish(store, a, {"output": make_artifact("a")})
    finish(store, b, {"train": make_artifact("b-train"), "test": make_artifact("b-test")})
    finish(store, c, {"output": make_artifact("c")}, status="failed")

    found = store.find_cached_many(["KA", "KB", "KC", "nothing"])
    assert set(found) == {"KA", "KB"}
    assert found["KA"][0].id == a.id and found["KA"][1] == {"output": make_artifact("a")}
    assert found["KB"][0].id == b.id
    assert found["KB"][1] == {"train": make_artifact("b-train"), "test": make_artifact("b-test")}
    assert store.find_cached_many([]) == {}
    assert store.find_cached_many(["nothing"]) == {}


def test_last_step_run(store: SqlMetadataStore) -> None:
    first, second, third = (make_run(created=i) for i in range(3))
    elsewhere = make_run(pipeline="scoring")
    succeeded = make_step(first, "train", status="succeeded", cache_key="K", ended=1)
    cached = make_step(second, "train", status="cached", cache_key="K", ended=2)
    failed = make_step(third, "train", status="failed", cache_key="K", ended=3)
    other = make_step(elsewhere, "train", status="succeeded", cache_key="K", ended=9)
    uncached = make_step(third, "ingest", status="succeeded", ended=5)  # ran with caching off
    store.create_run(first, [succeeded])
    store.create_run(second, [cached])
    store.create_run(third, [failed, uncached])
    store.create_run(elsewhere, [other])

    last = store.last_step_run("training", "train")
    assert last is not None and last.id == cached.id
    in_scoring = store.last_step_run("scoring", "train")
    assert in_scoring is not None and in_scoring.id == other.id
    assert store.last_step_run("training", "ingest") is None
    assert store.last_step_run("training", "nothing") is None


def test_get_step_run_miss(store: SqlMetadataStore) -> None:
    run = make_run()
    store.create_run(run, [make_step(run, "train")])
    with pytest.raises(NotFoundError, match=f"run {run.id} has no step 'predict'"):
        store.get_step_run(run.id, "predict")


# ------------------------------------------------------------------- opening a store


def test_constructor_does_no_io(tmp_path: Path) -> None:
    open_metadata_store(f"sqlite:///{tmp_path}/later/mloop.db")
    assert not (tmp_path / "later").exists()


@pytest.mark.parametrize("url", ["not a url", "mysql://root@localhost/mloop"])
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="sqlite"):
        open_metadata_store(url).list_runs()


def test_unreachable_database_is_a_backend_error() -> None:
    store = open_metadata_store("postgresql://nobody:secret@127.0.0.1:9/mloop")
    with pytest.raises(BackendError, match=r"metadata store postgresql\+psycopg://nobody:\*\*\*@127.0.0.1:9/mloop") as info:
        store.list_runs()
    assert "secret" not in str(info.value)
