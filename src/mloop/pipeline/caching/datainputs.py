"""Raw data inputs (mloop.Data): hashed, stored once, recorded as artifacts.

A fingerprint of (size, mtime, ctime, inode) of every file lets an unchanged file skip
re-hashing. ctime changes with every write and cannot be set back by a user, so a real
change is never missed.
"""

from __future__ import annotations

import os
from pathlib import Path

from mloop.core.clock import utcnow
from mloop.core.errors import NotFoundError
from mloop.core.hashing import hash_json, hash_path
from mloop.stores.artifacts import ingest_path
from mloop.stores.metadata import ArtifactRecord
from mloop.stores.workspace import Workspace


def fingerprint(path: Path) -> str:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    entries = []
    for file in files:
        stat = file.stat()
        entries.append([os.fspath(file.relative_to(path)) if file != path else "", stat.st_size,
                        stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino])
    return hash_json(entries)


def data_digest(workspace: Workspace, path: Path) -> str:
    """The content hash of a data file or folder, without storing it (for plans)."""
    _require(path)
    known = workspace.lineage.find_fingerprint(str(path), fingerprint(path))
    return known or hash_path(path)


def resolve_data(workspace: Workspace, path: Path) -> ArtifactRecord:
    """Store the data at `path` (once per content) and return its artifact record."""
    _require(path)
    store = workspace.artifacts
    print_ = fingerprint(path)
    digest = workspace.lineage.find_fingerprint(str(path), print_)
    if digest is not None and store.exists(digest):
        return workspace.lineage.get_artifact(digest)
    digest = hash_path(path)
    stored = ingest_path(store, path, digest)
    record = ArtifactRecord(
        id=stored.digest, uri=stored.uri, kind="data", materializer="path",
        materializer_version=stored.materializer_version, type_name="data",
        size=stored.size, summary={**stored.summary, "source": str(path)}, created_at=utcnow(),
    )
    workspace.lineage.record_artifact(record)
    workspace.lineage.put_fingerprint(str(path), print_, digest)
    return record


def _require(path: Path) -> None:
    if not path.exists():
        raise NotFoundError(f"data input {path} does not exist; check the path given to mloop.Data(...)")
