"""The registry and artifacts in remote client mode: register, promote and load a model through the
server (the model's bytes go up once and come back hash-checked), and what happens to bytes that
do not match their digest on either side."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
import remote_project as rp

import mloop
from mloop.core.hashing import hash_bytes
from mloop.stores.workspace import get_workspace


def test_register_promote_and_load_a_model_through_the_server(remote_workspace: Path, server_folder: Path) -> None:
    run = rp.training.run(n=150)
    version = mloop.register_model("remote-model", run.output("train"), metrics={"val_auc": 0.8})
    mloop.promote("remote-model/1", alias="challenger", reason="first")

    assert (version.ref, version.run_id) == ("remote-model/1", run.id)
    assert mloop.model_aliases("remote-model") == {"remote-model": {"challenger": 1}}
    assert [c.reason for c in mloop.alias_history("remote-model")] == ["first"]
    # loaded from the client's download cache, which holds exactly the server's bytes
    loaded = mloop.load_model("remote-model@challenger")
    assert loaded.predict(rp.frame(10, seed=1)[["a", "b"]]).shape == (10,)
    cached = list((remote_workspace / ".mloop" / "cache" / "remote").rglob("model.skops"))
    stored = list((server_folder / ".mloop" / "artifacts" / "objects").rglob("model.skops"))
    assert len(cached) == len(stored) == 1 and cached[0].read_bytes() == stored[0].read_bytes()


def test_registry_runs_on_a_postgres_backed_server(pg_remote_workspace: Path) -> None:
    run = rp.training.run(n=60)
    mloop.register_model("pg-model", run.output("train"))
    mloop.register_model("pg-model", run.output("train"))
    mloop.promote("pg-model/2", alias="champion", force=True, reason="hotfix")

    assert [v.version for v in mloop.list_versions("pg-model")] == [1, 2]
    assert mloop.get_model_version("pg-model@champion").version == 2
    assert mloop.alias_history("pg-model")[-1].forced is True
    assert mloop.load_model("pg-model@champion").predict(rp.frame(5)[["a", "b"]]).shape == (5,)


def test_an_upload_whose_bytes_do_not_match_its_digest_is_refused(remote_workspace: Path) -> None:
    store = get_workspace().artifacts
    claimed = hash_bytes(b"the real bytes")
    response = httpx.put(f"{store.url}/api/v1/artifacts/{claimed}", params={"name": "x.bin"}, content=b"tampered")

    assert response.status_code == 409
    assert "nothing was stored" in response.json()["error"]["message"]
    assert not store.exists(claimed)
    # the client's put of the right bytes then stores them
    store.put_bytes(b"the real bytes", claimed, "x.bin")
    assert store.local_path(claimed).read_bytes() == b"the real bytes"


def test_a_folder_object_round_trips_as_a_tar(remote_workspace: Path, tmp_path: Path) -> None:
    from mloop.core.hashing import hash_folder

    source = tmp_path / "bundle"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("a")
    (source / "sub" / "b.txt").write_text("b")
    digest = hash_folder(source)
    store = get_workspace().artifacts
    store.put(source, digest)

    path = store.local_path(digest)
    assert path.name == "bundle" and (path / "sub" / "b.txt").read_text() == "b"
    assert hash_folder(path) == digest and store.is_intact(digest) and digest in set(store.digests())


def test_a_download_that_fails_its_hash_is_refused_and_not_cached(remote_workspace: Path,
                                                                  server_folder: Path) -> None:
    store = get_workspace().artifacts
    digest = hash_bytes(b"model bytes")
    store.put_bytes(b"model bytes", digest, "m.bin")
    stored = next((server_folder / ".mloop" / "artifacts" / "objects").rglob("m.bin"))
    stored.write_bytes(b"rotted bytes")  # the server's copy goes bad

    with pytest.raises(mloop.IntegrityError, match=f"artifact {digest[:12]} downloaded from .* hashes to"):
        store.local_path(digest)
    assert not list((remote_workspace / ".mloop" / "cache" / "remote").rglob("m.bin"))
    assert store.is_intact(digest) is False


def test_artifact_routes_take_only_digests_and_plain_names(remote_workspace: Path) -> None:
    url = get_workspace().artifacts.url + "/api/v1/artifacts"
    digest = hash_bytes(b"x")

    assert httpx.get(f"{url}/..%2F..%2Fmloop.db").status_code in (404, 422)
    assert httpx.get(f"{url}/{'g' * 64}").status_code == 422
    assert httpx.put(f"{url}/{digest}", params={"name": "../x"}, content=b"x").status_code == 422
    assert httpx.put(f"{url}/{digest}", params={"name": "x", "kind": "link"}, content=b"x").status_code == 422
    assert httpx.head(f"{url}/{digest}").status_code == 404


def test_uploads_over_the_servers_limit_are_refused(remote_workspace: Path, remote_server: object) -> None:
    remote_server.app.state.max_upload_bytes = 1000  # type: ignore[attr-defined]
    try:
        data = b"y" * 5000
        response = httpx.put(f"{get_workspace().artifacts.url}/api/v1/artifacts/{hash_bytes(data)}",
                             params={"name": "big.bin"}, content=data)
        with pytest.raises(mloop.ValidationError, match="larger than this server's limit"):
            get_workspace().artifacts.put_bytes(data, hash_bytes(data), "big.bin")
    finally:
        remote_server.app.state.max_upload_bytes = None  # type: ignore[attr-defined]
    assert response.status_code == 413
    assert not get_workspace().artifacts.exists(hash_bytes(data))


def test_the_server_never_serves_from_a_remote_store(remote_workspace: Path, remote_server: object,
                                                     tmp_path: Path) -> None:
    shutil.rmtree(tmp_path / "server", ignore_errors=True)
    remote_server.serve(None)  # type: ignore[attr-defined]  # the current folder's: itself, by MLOOP_TRACKING_URI
    with pytest.raises(mloop.ConfigError, match="cannot be another server"):
        mloop.list_runs()
