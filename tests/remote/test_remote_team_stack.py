"""The stack a team runs: one server with PostgreSQL and S3-compatible storage (moto) behind it,
and clients that know only the server's URL: a pipeline's artifacts land in the bucket, the run in
PostgreSQL, and a model registered and loaded on a client comes back with the bucket's bytes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
import remote_project as rp

import mloop
from mloop.core.config import Settings
from mloop.stores.workspace import Workspace
from remote.server_thread import ThreadedServer, client_project


@pytest.fixture
def team_client(remote_server: ThreadedServer, pg_schema_url: str, s3_url: str, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    server_side = tmp_path / "server"
    server_side.mkdir()
    remote_server.serve(Workspace(Settings(root=server_side, db_url=pg_schema_url, artifacts_url=s3_url)))
    try:
        yield client_project(tmp_path / "client", remote_server, monkeypatch), s3_url
    finally:
        remote_server.serve(None)


def test_a_run_and_a_model_go_through_the_server_into_postgres_and_the_bucket(team_client: tuple[Path, str]) -> None:
    client_folder, bucket = team_client
    run = rp.training.run(n=80)
    mloop.register_model("team-model", run.output("train"))
    mloop.promote("team-model/1", alias="challenger")

    assert mloop.get_run(run.id).status == "succeeded"
    assert [r.id for r in mloop.list_runs(pipeline="remote-training")] == [run.id]
    # every output of the run is an object in the bucket, under its digest
    fs, root = fsspec.core.url_to_fs(bucket)
    stored = fs.find(root)
    for step_run in run.steps:
        for artifact in step_run.outputs.values():
            assert any(artifact.id in path for path in stored), artifact.id
    # the client has no store of its own: only the checked download cache
    assert not (client_folder / ".mloop" / "mloop.db").exists()
    assert not (client_folder / ".mloop" / "artifacts").exists()
    loaded = mloop.load_model("team-model@challenger")
    assert loaded.predict(rp.frame(6, seed=3)[["a", "b"]]).shape == (6,)
