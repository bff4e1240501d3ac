"""Saving and loading objects through a materializer into a content-addressed store."""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mloop.core.errors import IntegrityError
from mloop.core.hashing import hash_bytes, hash_path
from mloop.stores.artifacts.base import ArtifactStore
from mloop.stores.artifacts.materializers import Materializer, get_materializer, materializer_for


@dataclass(frozen=True)
class StoredObject:
    """What was written: enough to find, verify and load it again from any machine."""

    digest: str
    uri: str
    materializer: str
    materializer_version: str
    type_name: str
    size: int
    summary: dict[str, Any] = field(default_factory=dict)


def save_object(store: ArtifactStore, obj: Any, materializer: str | Materializer | None = None) -> StoredObject:
    """Serialise `obj`, hash its bytes and store it once under that hash (atomic)."""
    chosen = _resolve(materializer) if materializer else materializer_for(obj)
    type_name = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if chosen.in_memory:
        data, summary = chosen.dumps(obj)
        summary = _json_safe(summary)
        digest = hash_bytes(data)
        uri = store.put_bytes(data, digest, chosen.filename)  # a no-op when stored intact
        return StoredObject(digest, uri, chosen.name, chosen.version, type_name, len(data), summary)
    staging = store.staging_dir()
    try:
        name = chosen.filename or Path(obj).name
        path = staging / name
        summary = _json_safe(chosen.save(obj, path))
        digest = hash_path(path)
        size = _size(path)
        uri = store.put(path, digest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return StoredObject(digest, uri, chosen.name, chosen.version, type_name, size, summary)


def ingest_path(store: ArtifactStore, source: Path, digest: str | None = None) -> StoredObject:
    """Store a data file or folder as it is (copied, never moved). `digest` skips re-hashing."""
    from mloop.stores.artifacts.materializers import PathMaterializer

    if digest is not None and store.exists(digest):
        size = _size(source)
        return StoredObject(digest, store.uri(digest), "path", PathMaterializer.version, "pathlib.Path", size,
                            {"kind": "folder" if source.is_dir() else "file", "name": source.name})
    return save_object(store, Path(source), "path")


def load_object(store: ArtifactStore, digest: str, materializer: str, *, verify: bool = True) -> Any:
    """Load object `digest`; with `verify`, refuse bytes whose hash is not `digest`."""
    chosen = get_materializer(materializer)
    path = store.local_path(digest)
    try:
        if chosen.in_memory and path.is_file():
            data = path.read_bytes()
            if verify:
                _check(digest, hash_bytes(data))
            return chosen.loads(data)
        if verify:
            _check(digest, hash_path(path))
    except IntegrityError:
        evict = getattr(store, "evict", None)
        if evict is not None and not store.supports_local_paths:
            evict(digest)  # a damaged downloaded copy: drop it, so the next load fetches the object again
        raise
    return chosen.load(path)


def _check(digest: str, actual: str) -> None:
    if actual != digest:
        raise IntegrityError(
            f"artifact {digest[:12]} is corrupted: stored bytes hash to {actual[:12]}; "
            f"it was not loaded (re-run the step that produced it with --no-cache)"
        )


def _resolve(materializer: str | Materializer) -> Materializer:
    return get_materializer(materializer) if isinstance(materializer, str) else materializer


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return os.path.getsize(path)


def _json_safe(value: Any) -> Any:
    """Summaries go into JSON columns: NaN and infinities (PostgreSQL refuses them) become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
