"""What only the S3 store has to prove (the shared contract runs in test_artifact_store.py): the marker
written last, folders as many keys, idempotent and concurrent puts, and the local download cache.
Everything runs against a real moto server (`s3_url`)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest
from stored_objects import incomplete_objects, objects, s3_keys, staged

from mloop.core.errors import BackendError, ConfigError, IntegrityError, NotFoundError
from mloop.core.hashing import hash_folder
from mloop.stores.artifacts import ArtifactStore, load_object, open_artifact_store, save_object
from mloop.stores.artifacts.s3 import S3ArtifactStore


@pytest.fixture
def store(s3_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> S3ArtifactStore:
    staging = tmp_path / "system-tmp"
    staging.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(staging))
    return reopen(s3_url)


def reopen(url: str, cache: Path | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> S3ArtifactStore:
    """A new store on the same prefix: it knows nothing the other one saw (another worker, say)."""
    if cache is not None and monkeypatch is not None:
        monkeypatch.setenv("MLOOP_CACHE_DIR", str(cache))
    opened = open_artifact_store(url)
    assert isinstance(opened, S3ArtifactStore)
    return opened


def write_folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


# ---------------------------------------------------------------------------------- addressing


def test_s3_url_picks_the_s3_store_without_any_io(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: a request would fail
    store = open_artifact_store("s3://bucket/team/artifacts/")
    assert isinstance(store, S3ArtifactStore) and isinstance(store, ArtifactStore)
    assert not store.supports_local_paths
    assert store.url == "s3://bucket/team/artifacts"
    assert store.uri("ab" * 32) == f"s3://bucket/team/artifacts/objects/ab/{'ab' * 32}"
    with pytest.raises(ConfigError, match="names no bucket; write s3://bucket/prefix"):
        open_artifact_store("s3:///prefix")


def test_endpoint_from_options_wins_over_the_environment(s3_url: str, moto_s3: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """`s3_endpoint_url` in mloop.yaml reaches the store as options (and the tasks sent to workers)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    store = open_artifact_store(s3_url, {"endpoint_url": moto_s3})
    stored = save_object(store, {"via": "options"})
    assert load_object(store, stored.digest, "json") == {"via": "options"}


def test_unreachable_endpoint_is_one_backend_error_naming_the_store(s3_url: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    with pytest.raises(BackendError, match=rf"lookup of artifact abababababab on {s3_url}: \w+") as caught:
        reopen(s3_url).exists("ab" * 32)
    assert "\n" not in str(caught.value)


def test_missing_bucket_is_named(s3_url: str) -> None:
    with pytest.raises(NotFoundError, match="not found in s3://no-such-bucket/x .*bucket does not exist"):
        reopen("s3://no-such-bucket/x").put_bytes(b"a", hashlib.sha256(b"a").hexdigest(), "a.bin")


# --------------------------------------------------------------------------------- marker last


def test_data_without_its_marker_is_not_an_object(store: S3ArtifactStore) -> None:
    data = b"a half-finished upload"
    digest = hashlib.sha256(data).hexdigest()
    store.fs.pipe_file(store._object(digest) + "/value.bin", data)  # the bytes, as a crash leaves them
    assert incomplete_objects(store) == [digest]
    assert not store.exists(digest)
    with pytest.raises(NotFoundError, match=f"{digest[:12]} is missing"):
        store.local_path(digest)
    with pytest.raises(NotFoundError):
        load_object(store, digest, "bytes")
    # a later put completes it: the marker makes it visible
    store.put_bytes(data, digest, "value.bin")
    assert incomplete_objects(store) == []
    assert reopen(store.url).exists(digest)
    assert load_object(store, digest, "bytes") == data


def test_upload_killed_midway_leaves_no_visible_object(store: S3ArtifactStore, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "dataset", {f"part-{i:03}.csv": f"a\n{i}\n" for i in range(600)})
    digest = hash_folder(folder)
    uploader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        from pathlib import Path
        from mloop.stores.artifacts import open_artifact_store
        open_artifact_store({store.url!r}).put(Path({str(folder)!r}), {digest!r})
    """)], env=dict(os.environ))
    deadline = time.monotonic() + 60
    try:
        while not s3_keys(store, "objects"):  # wait for the first file of the object to land
            assert uploader.poll() is None, "the upload finished before it could be interrupted"
            assert time.monotonic() < deadline, "the upload never started"
            time.sleep(0.01)
    finally:
        uploader.send_signal(signal.SIGKILL)
        uploader.wait()
    assert incomplete_objects(store) == [digest]
    fresh = reopen(store.url)
    assert not fresh.exists(digest)
    with pytest.raises(NotFoundError):
        load_object(fresh, digest, "path")
    assert folder.is_dir()  # a source the store did not stage is never consumed
    fresh.put(folder, digest)
    assert hash_folder(load_object(fresh, digest, "path")) == digest
    assert incomplete_objects(store) == []


# ------------------------------------------------------------------------------ folders and puts


def test_folder_is_stored_as_one_key_per_file_then_its_marker(store: S3ArtifactStore, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_folder(tmp_path / "dataset", {"part-0.csv": "a\n1\n", "nested/deeper/part-1.csv": "a\n2\n"})
    stored = save_object(store, folder)
    digest = stored.digest
    assert s3_keys(store, f"objects/{digest[:2]}") == [
        f"{digest}.json", f"{digest}/dataset/nested/deeper/part-1.csv", f"{digest}/dataset/part-0.csv",
    ]
    marker = json.loads(store.fs.cat_file(store._marker(digest)))
    assert marker == {"name": "dataset", "kind": "folder"}
    elsewhere = reopen(store.url, tmp_path / "other-cache", monkeypatch)
    loaded = load_object(elsewhere, digest, "path")
    assert loaded.name == "dataset" and loaded.is_relative_to(tmp_path / "other-cache")
    assert (loaded / "nested" / "deeper" / "part-1.csv").read_text() == "a\n2\n"
    assert hash_folder(loaded) == digest
    assert staged(store) == []


def test_empty_folder_round_trip(store: S3ArtifactStore, tmp_path: Path) -> None:
    (tmp_path / "no-anomalies").mkdir()
    stored = save_object(store, tmp_path / "no-anomalies")
    loaded = load_object(reopen(store.url), stored.digest, "path")
    assert loaded.is_dir() and loaded.name == "no-anomalies" and list(loaded.iterdir()) == []


def test_put_of_an_existing_object_uploads_nothing_and_consumes_the_staged_source(store: S3ArtifactStore) -> None:
    digest = save_object(store, b"original bytes").digest
    before = {key: store.fs.info(f"{store._key('objects')}/{key}")["ETag"] for key in s3_keys(store, "objects")}
    again = reopen(store.url)  # knows nothing: must ask S3, not its memory
    staging = again.staging_dir()
    (staging / "data.bin").write_bytes(b"other bytes under the same name")
    assert again.put(staging / "data.bin", digest) == store.uri(digest)
    assert not staging.exists()
    assert {key: store.fs.info(f"{store._key('objects')}/{key}")["ETag"] for key in s3_keys(store, "objects")} == before
    assert load_object(again, digest, "bytes") == b"original bytes"


def test_concurrent_identical_puts_store_one_object(store: S3ArtifactStore) -> None:
    payload = os.urandom(256 * 1024)
    writers = [reopen(store.url) for _ in range(4)]  # like four workers producing the same output
    start = threading.Barrier(len(writers))
    results: list[object] = [None] * len(writers)

    def write(index: int) -> None:
        start.wait()
        try:
            results[index] = save_object(writers[index], payload)
        except BaseException as exc:  # reported below
            results[index] = exc

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    digest = hashlib.sha256(payload).hexdigest()
    assert [getattr(r, "digest", r) for r in results] == [digest] * len(writers)
    assert {getattr(r, "uri", r) for r in results} == {store.uri(digest)}
    assert objects(store) == [digest] and incomplete_objects(store) == []
    assert s3_keys(store, f"objects/{digest[:2]}") == [f"{digest}.json", f"{digest}/value.bin"]
    assert load_object(reopen(store.url), digest, "bytes") == payload
    assert staged(store) == []


# -------------------------------------------------------------------------------- download cache


def test_local_path_downloads_once(store: S3ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    digest = save_object(store, b"x" * 1000).digest
    first = store.local_path(digest)
    assert first.is_relative_to(tmp_path / "s3-cache")
    seen = first.stat()
    # the object's bytes leave S3 (only the marker stays): a second download would now fail
    store.fs.rm(store._object(digest), recursive=True)
    again = store.local_path(digest)
    assert again == first and (again.stat().st_ino, again.stat().st_mtime_ns) == (seen.st_ino, seen.st_mtime_ns)
    assert load_object(reopen(store.url), digest, "bytes") == b"x" * 1000  # shared by stores on this machine
    with pytest.raises(NotFoundError):
        reopen(store.url, tmp_path / "empty-cache", monkeypatch).local_path(digest)


def test_corrupted_cached_copy_is_refused_then_fetched_again(store: S3ArtifactStore) -> None:
    stored = save_object(store, {"weights": [0.5, 0.25]})
    cached = store.local_path(stored.digest)
    cached.write_text('{"weights": [666]}')
    with pytest.raises(IntegrityError, match=f"artifact {stored.digest[:12]} is corrupted"):
        load_object(store, stored.digest, "json")
    assert not cached.exists()  # the bad copy is dropped; the object on S3 was never touched
    assert load_object(store, stored.digest, "json") == {"weights": [0.5, 0.25]}
