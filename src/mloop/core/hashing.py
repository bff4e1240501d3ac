"""Content hashes: sha256 of bytes, files and folders, and of canonical JSON."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


def hash_bytes(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def hash_file(path: str | os.PathLike[str]) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def hash_folder(path: str | os.PathLike[str]) -> str:
    """Hash of a folder: its relative file names and their content hashes, in sorted order."""
    root = Path(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(file.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(hash_file(file).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def hash_path(path: str | os.PathLike[str]) -> str:
    return hash_folder(path) if os.path.isdir(path) else hash_file(path)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)


def hash_json(value: Any) -> str:
    return hash_bytes(canonical_json(value).encode())


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
