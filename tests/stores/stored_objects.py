"""What an artifact store holds, looked at from outside its API: objects, staging folders, S3 keys.

The contract tests run against the local folder and S3 (moto); these helpers give both the same
answers, so a test asserts one outcome for every backend.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from mloop.stores.artifacts import ArtifactStore
from mloop.stores.artifacts.local import LocalArtifactStore
from mloop.stores.artifacts.s3 import S3ArtifactStore


def objects(store: ArtifactStore) -> list[str]:
    """Digests with anything stored under them: a complete object, or on S3 also a partial one
    (data without its marker), so a half-written object counts and fails the test."""
    if isinstance(store, LocalArtifactStore):
        return sorted(p.name for p in (store.root / "objects").glob("*/*"))
    assert isinstance(store, S3ArtifactStore)
    # keys: <ab>/<digest>/<name>... (data) and <ab>/<digest>.json (marker)
    return sorted({key.split("/")[1].removesuffix(".json") for key in s3_keys(store, "objects")})


def staged(store: ArtifactStore) -> list[Path]:
    """Staging folders left behind (the S3 store stages in the system temp folder, which the
    `store` fixture points at a folder of the test's own)."""
    if isinstance(store, LocalArtifactStore):
        return list((store.root / "tmp").glob("*"))
    return list(Path(tempfile.gettempdir()).glob("mloop-stage-*"))


def local_root(store: ArtifactStore) -> Path:
    """Where `local_path` answers from: the store itself, or the S3 store's download cache."""
    return store.root if isinstance(store, LocalArtifactStore) else store.cache_dir  # type: ignore[attr-defined]


def s3_keys(store: S3ArtifactStore, under: str = "") -> list[str]:
    """Every key under the store's prefix (or a folder of it), relative to that folder."""
    base = store._key(under)
    found = store.fs.find(base)
    return sorted(key[len(base) + 1:] for key in found)


def incomplete_objects(store: S3ArtifactStore) -> list[str]:
    """Digests whose data is on S3 without the marker that makes them visible."""
    keys = s3_keys(store, "objects")
    markers = {k.split("/")[1].removesuffix(".json") for k in keys if k.endswith(".json") and k.count("/") == 1}
    data = {k.split("/")[1] for k in keys if k.count("/") >= 2}
    return sorted(data - markers)
