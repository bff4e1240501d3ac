"""Damaging a stored object on purpose (used by tests/stores and tests/cli)."""

from __future__ import annotations

from mloop.stores.artifacts import ArtifactStore
from mloop.stores.artifacts.local import LocalArtifactStore
from mloop.stores.artifacts.s3 import S3ArtifactStore


def corrupt(store: ArtifactStore, digest: str) -> None:
    """Flip one byte of object `digest` where the store keeps it (not in a download cache), as a bad
    disk or a careless hand would; for a folder, of its first file."""
    if isinstance(store, LocalArtifactStore):
        path = store.local_path(digest)
        file = min(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else path
        data = bytearray(file.read_bytes())
        data[len(data) // 2] ^= 0xFF
        file.write_bytes(bytes(data))
        return
    assert isinstance(store, S3ArtifactStore)
    key = min(k for k in store.fs.find(store._object(digest)))
    data = bytearray(store.fs.cat_file(key))
    data[len(data) // 2] ^= 0xFF
    store.fs.pipe_file(key, bytes(data))
    store.evict(digest)
