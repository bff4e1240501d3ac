"""Stores say whether another machine can reach them; the Dask executor checks it on its workers."""

from __future__ import annotations

from pathlib import Path

from mloop.stores.artifacts import open_artifact_store
from mloop.stores.metadata import open_metadata_stores


def test_a_sqlite_file_and_a_local_folder_are_this_machine_s_only(tmp_path: Path) -> None:
    assert open_metadata_stores(f"sqlite:///{tmp_path}/mloop.db").supports_remote_access is False
    assert open_artifact_store(str(tmp_path / "artifacts")).supports_remote_access is False
    assert open_artifact_store(f"file://{tmp_path}/artifacts").supports_remote_access is False
    assert not (tmp_path / "mloop.db").exists()  # asking does not open anything


def test_a_database_server_and_an_object_store_are_reachable_from_elsewhere() -> None:
    assert open_metadata_stores("postgresql+psycopg://mloop@db.example:5432/mloop").supports_remote_access is True
    assert open_artifact_store("s3://bucket/prefix").supports_remote_access is True
