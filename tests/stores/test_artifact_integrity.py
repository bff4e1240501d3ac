"""Corrupted objects and unusable stores, on a local folder and on S3 (moto): a write replaces a
corrupted object, a check finds it, and a store that cannot be written is refused in one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from stored_objects import objects

from corrupting import corrupt
from mloop.core.errors import ConfigError, IntegrityError
from mloop.core.hashing import hash_path
from mloop.stores.artifacts import ArtifactStore, load_object, open_artifact_store, save_object
from mloop.stores.artifacts.s3 import S3ArtifactStore

FIX = "set MLOOP_ARTIFACTS_URL or artifacts_url in mloop.yaml to a writable folder"


def test_saving_again_replaces_a_corrupted_object(store: ArtifactStore) -> None:
    stored = save_object(store, {"weights": list(range(50))})
    corrupt(store, stored.digest)
    with pytest.raises(IntegrityError, match=f"artifact {stored.digest[:12]} is corrupted"):
        load_object(store, stored.digest, stored.materializer)

    again = save_object(store, {"weights": list(range(50))})

    assert again.digest == stored.digest
    assert load_object(store, stored.digest, stored.materializer) == {"weights": list(range(50))}
    assert objects(store) == [stored.digest]


def test_saving_again_replaces_a_truncated_object(tmp_path: Path) -> None:
    store = open_artifact_store(str(tmp_path / "artifacts"))
    stored = save_object(store, {"weights": list(range(50))})
    path = store.local_path(stored.digest)
    path.write_bytes(path.read_bytes()[:-3])

    again = save_object(store, {"weights": list(range(50))})

    assert again.digest == stored.digest
    assert hash_path(store.local_path(stored.digest)) == stored.digest


def test_putting_a_file_again_replaces_a_corrupted_object(store: ArtifactStore, tmp_path: Path) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(os.urandom(4096))
    digest = hash_path(source)
    store.put(source, digest)
    corrupt(store, digest)
    assert not store.is_intact(digest)

    store.put(source, digest)

    assert store.is_intact(digest)
    assert load_object(store, digest, "path").read_bytes() == source.read_bytes()


def test_a_corrupted_folder_object_is_replaced(store: ArtifactStore, tmp_path: Path) -> None:
    folder = tmp_path / "dataset"
    (folder / "part").mkdir(parents=True)
    (folder / "part" / "a.csv").write_text("x\n1\n")
    (folder / "b.csv").write_text("y\n2\n")
    stored = save_object(store, folder)
    corrupt(store, stored.digest)
    assert not store.is_intact(stored.digest)

    assert save_object(store, folder).digest == stored.digest

    assert hash_path(load_object(store, stored.digest, "path")) == stored.digest


def test_an_intact_object_is_not_written_again(store: ArtifactStore) -> None:
    stored = save_object(store, np.arange(10))
    path = store.local_path(stored.digest)
    before = path.stat().st_mtime_ns
    save_object(store, np.arange(10))
    assert store.local_path(stored.digest).stat().st_mtime_ns == before
    assert store.is_intact(stored.digest)


def test_digests_list_every_object_and_delete_removes_one(store: ArtifactStore, tmp_path: Path) -> None:
    first = save_object(store, [1, 2, 3]).digest
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "f.txt").write_text("hello")
    second = save_object(store, tmp_path / "folder").digest
    assert sorted(store.digests()) == sorted([first, second])

    store.delete(first)
    store.delete(first)  # a miss is a no-op

    assert list(store.digests()) == [second]
    assert not store.exists(first)
    assert objects(store) == [second]


def test_check_writable_accepts_a_new_store(store: ArtifactStore) -> None:
    store.check_writable()
    stored = save_object(store, "after the check")
    assert load_object(store, stored.digest, "json") == "after the check"


@pytest.mark.parametrize("where", ["/proc/mloop-nope", "file", "under-a-file"])
def test_an_unusable_local_folder_is_refused_in_one_line(where: str, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    url = {"file": str(tmp_path / "file"), "under-a-file": str(tmp_path / "file" / "artifacts")}.get(where, where)
    store = open_artifact_store(url)
    with pytest.raises(ConfigError) as caught:
        store.check_writable()
    message = str(caught.value)
    assert message.startswith(f"artifact store {url} is not usable: ") and message.endswith(FIX)
    assert "\n" not in message
    if where != "/proc/mloop-nope":
        assert f"{tmp_path / 'file'} is a file, not a folder" in message
    assert (tmp_path / "file").read_text() == "not a folder"


def as_unprivileged(tmp_path: Path) -> list[str]:
    """A command prefix under which file permissions hold: nothing as a normal user; as root, the
    same user without CAP_DAC_OVERRIDE (root ignores a folder's write permission otherwise)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only folder cannot be made here")
    return [setpriv, "--bounding-set=-dac_override"]


def test_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    script = ("from mloop.stores.artifacts import open_artifact_store\n"
              "from mloop.core.errors import ConfigError\n"
              f"try:\n    open_artifact_store({str(folder / 'artifacts')!r}).check_writable()\n"
              "except ConfigError as exc:\n    print(exc)\n")
    done = subprocess.run([*as_unprivileged(tmp_path), sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == (f"artifact store {folder / 'artifacts'} is not usable: cannot create folder "
                                   f"(Permission denied); {FIX}")
    assert list(folder.iterdir()) == []


def test_an_s3_bucket_that_does_not_exist_is_refused_in_one_line(s3_url: str) -> None:
    store = open_artifact_store("s3://mloop-no-such-bucket/prefix")
    assert isinstance(store, S3ArtifactStore)
    with pytest.raises(ConfigError) as caught:
        store.check_writable()
    message = str(caught.value)
    assert message.startswith("artifact store s3://mloop-no-such-bucket/prefix is not usable: cannot write to it (")
    assert message.endswith("set MLOOP_ARTIFACTS_URL or artifacts_url in mloop.yaml to a writable bucket and prefix")
    assert "\n" not in message
