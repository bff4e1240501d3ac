"""The shared database under every role store: schema and migrations, opening, URLs, errors;
on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from store_records import make_run, make_step

from mloop.core.errors import BackendError, ConfigError, NotFoundError
from mloop.stores.metadata import MetadataStores, open_metadata_stores
from mloop.stores.metadata.engine import HEAD_REVISION


def test_schema_is_created_by_alembic_at_head(store: MetadataStores) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import mloop.stores.metadata.engine as engine_module

    config = Config()
    config.set_main_option("script_location", str(Path(engine_module.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION
    with store.database.engine.connect() as connection:
        versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    assert versions == [HEAD_REVISION]



def test_migrations_match_the_schema_module(store: MetadataStores) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from mloop.stores.metadata.schema import metadata

    with store.database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []



def test_opening_twice_is_a_no_op(metadata_url: str) -> None:
    first = open_metadata_stores(metadata_url)
    run = make_run()
    first.runs.create_run(run, [make_step(run, "train")])
    first.close()
    second = open_metadata_stores(metadata_url)
    assert second.runs.get_run(run.id) == run
    assert [s.node for s in second.runs.step_runs(run.id)] == ["train"]
    assert isinstance(second, MetadataStores)
    with second.database.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [HEAD_REVISION]
    second.close()



@pytest.mark.postgres
@pytest.mark.parametrize("metadata_url", ["postgres"], indirect=True)
def test_postgres_store_stays_in_its_own_schema(metadata_url: str, store: MetadataStores,
                                                pg_engine: sa.Engine) -> None:
    schema = metadata_url.rsplit("search_path%3D", 1)[1]
    store.runs.create_run(make_run(), [])
    with store.database.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT current_schema()").scalar() == schema
    with pg_engine.connect() as connection:
        tables = set(connection.execute(
            sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = :schema"), {"schema": schema}
        ).scalars())
        runs = connection.exec_driver_sql(f"SELECT count(*) FROM {schema}.runs").scalar()
    assert {"alembic_version", "runs", "step_runs", "artifacts", "lineage", "environments"} <= tables
    assert runs == 1



def test_newer_schema_revision_is_refused_with_the_fix(metadata_url: str) -> None:
    first = open_metadata_stores(metadata_url)
    assert isinstance(first, MetadataStores)
    with first.database.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    first.close()
    second = open_metadata_stores(metadata_url)
    with pytest.raises(ConfigError, match="revision '9999'.*upgrade mloop"):
        second.runs.list_runs()
    second.close()



def test_concurrent_first_opens_both_migrate_safely(metadata_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    script = textwrap.dedent(f"""
        import pathlib, sys, time
        from mloop.stores.metadata import open_metadata_stores
        from mloop.stores.metadata.records import RunRecord
        from datetime import datetime, timezone
        store = open_metadata_stores({metadata_url!r})
        pathlib.Path({str(tmp_path)!r}, sys.argv[1] + ".ready").touch()
        while not pathlib.Path({str(go)!r}).exists():
            time.sleep(0.005)
        now = datetime.now(timezone.utc)
        store.runs.create_run(RunRecord(sys.argv[1], "race", "running", {{}}, {{}}, "g", now), [])
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
    store = open_metadata_stores(metadata_url)
    assert sorted(r.id for r in store.runs.list_runs(pipeline="race")) == sorted(names)
    assert isinstance(store, MetadataStores)
    with store.database.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [HEAD_REVISION]
    store.close()



def test_constructor_does_no_io(tmp_path: Path) -> None:
    open_metadata_stores(f"sqlite:///{tmp_path}/later/mloop.db")
    assert not (tmp_path / "later").exists()



@pytest.mark.parametrize("url", ["not a url", "mysql://root@localhost/mloop"])
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="sqlite"):
        open_metadata_stores(url).runs.list_runs()



def test_unreachable_database_is_a_backend_error() -> None:
    store = open_metadata_stores("postgresql://nobody:secret@127.0.0.1:9/mloop")
    with pytest.raises(BackendError, match=r"metadata store postgresql\+psycopg://nobody:\*\*\*@127.0.0.1:9/mloop") as info:
        store.runs.list_runs()
    assert "secret" not in str(info.value)


@pytest.mark.postgres
@pytest.mark.parametrize("metadata_url", ["postgres"], indirect=True)
def test_upgrade_to_json_columns_keeps_existing_rows(metadata_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    import mloop.stores.metadata.engine as engine_module

    config = Config()
    config.set_main_option("script_location", str(Path(engine_module.__file__).parent / "migrations"))
    engine = engine_module.create_engine(metadata_url)
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")  # JSON columns were jsonb up to here
        connection.commit()
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO environments (id, data) VALUES ('env1', CAST(:data AS jsonb))"),
                           {"data": '{"python": "3.11", "packages": {"numpy": "2.0"}}'})
    engine.dispose()

    store = open_metadata_stores(metadata_url)
    store.runs.create_run(make_run(environment_id="env1"), [])  # a run may still point at it
    assert store.runs.get_environment("env1") == {"python": "3.11", "packages": {"numpy": "2.0"}}
    with store.database.engine.connect() as connection:
        kinds = set(connection.exec_driver_sql(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND column_name IN ('summary', 'data', 'params', 'spec', 'metrics', 'rules') "
            # the JSON columns of revision 0005 (monitor results' and alerts' summary is a line of text)
            "AND table_name NOT IN ('monitor_results', 'alerts')").scalars())
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD_REVISION
    assert kinds == {"json"}
    store.close()


def test_remote_access_is_declared_without_opening_anything(tmp_path: Path) -> None:
    assert open_metadata_stores(f"sqlite:///{tmp_path}/mloop.db").supports_remote_access is False
    assert not (tmp_path / "mloop.db").exists()
    assert open_metadata_stores("postgresql+psycopg://mloop@db.example:5432/mloop").supports_remote_access is True


def test_reads_of_a_database_not_created_yet_create_nothing(tmp_path: Path) -> None:
    path = tmp_path / ".mloop" / "mloop.db"
    stores = open_metadata_stores(f"sqlite:///{path}")
    assert stores.runs.list_runs() == [] and stores.lineage.list_artifacts() == [] and stores.registry.list_models() == []
    with pytest.raises(NotFoundError):
        stores.runs.get_run("01abcdef")
    assert list(tmp_path.iterdir()) == []

    run = make_run()
    stores.runs.create_run(run, [make_step(run, "train")])  # the first write creates the folder and the file

    assert path.is_file()
    assert stores.runs.get_run(run.id) == run
    stores.close()


def test_reads_see_a_database_another_process_created_since(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/mloop.db"
    reader = open_metadata_stores(url)
    assert reader.runs.list_runs() == []
    writer = open_metadata_stores(url)
    run = make_run()
    writer.runs.create_run(run, [])
    assert [r.id for r in reader.runs.list_runs()] == [run.id]
    reader.close()
    writer.close()


def test_a_database_whose_folder_does_not_exist_is_refused_on_read(tmp_path: Path) -> None:
    missing = tmp_path / "typo"
    stores = open_metadata_stores(f"sqlite:///{missing}/mloop.db")
    with pytest.raises(ConfigError, match=f"folder {missing} does not exist; check MLOOP_DB_URL"):
        stores.runs.list_runs()
    assert not missing.exists()
    stores.check_writable()  # a write creates what it needs
    assert (missing / "mloop.db").is_file()
    stores.close()


def test_reads_in_a_snapshot_share_one_connection_and_see_the_store(store: MetadataStores) -> None:
    run = make_run()
    store.runs.create_run(run, [make_step(run, "a")])
    checkouts: list[object] = []
    sa.event.listen(store.database.engine, "checkout", lambda *args: checkouts.append(args))
    with store.database.snapshot():
        assert store.runs.get_run(run.id).id == run.id
        assert [s.node for s in store.runs.step_runs(run.id)] == ["a"]
        assert store.lineage.step_run_edges([]) == []
    assert len(checkouts) == 1
    store.runs.get_run(run.id)
    assert len(checkouts) == 2  # outside, each read takes its own connection again
