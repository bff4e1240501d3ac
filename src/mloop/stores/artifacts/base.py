"""The artifact-store seam: content-addressed objects (a file or a folder) under one root.

Layout: `<root>/objects/<d[:2]>/<digest>/<name>`; `name` keeps the original file or folder name,
so a stored data file still reads as `tx.parquet`. An object appears under its final key only
when it is complete (local: rename of a staged folder; remote: upload then a marker), so a
reader never sees half an object.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from mloop.core.errors import ConfigError


@runtime_checkable
class ArtifactStore(Protocol):
    url: str
    #: True when `local_path` returns the stored object itself (no copy is made).
    supports_local_paths: bool
    #: True when other machines can reach the same objects by this URL (an object store); a
    #: folder on this machine is not (a shared mount still counts as local here)
    supports_remote_access: bool

    def staging_dir(self) -> Path:
        """A new empty local folder to write an object into before `put`."""

    def put(self, source: Path, digest: str) -> str:
        """Store `source` (a file or folder) as object `digest` and return the object's URI. A source
        inside a `staging_dir` folder is consumed (moved, or discarded when the object exists
        already: put is idempotent); any other source is copied and left as it is. A stored object
        whose bytes no longer hash to `digest` (corrupted) is replaced atomically."""

    def put_bytes(self, data: bytes, digest: str, name: str) -> str:
        """Store `data` as object `digest` (a file called `name`); idempotent. Returns the URI.
        Like `put`, it replaces a stored object whose bytes no longer hash to `digest`."""

    def exists(self, digest: str) -> bool:
        """Whether object `digest` is stored completely."""

    def local_path(self, digest: str) -> Path:
        """A local path to read object `digest` (file or folder); raises NotFoundError on a miss."""

    def uri(self, digest: str) -> str:
        """Where object `digest` lives, for people and for remote workers."""

    def check_writable(self) -> None:
        """Raise ConfigError (one line: the store, the reason, the fix) unless objects can be written
        here; creates the store's folders when missing. Called once before a run is recorded."""

    def digests(self) -> Iterator[str]:
        """The digest of every complete object in the store, in no particular order."""

    def is_intact(self, digest: str) -> bool:
        """Whether object `digest`'s stored bytes hash to `digest`; raises NotFoundError on a miss."""

    def delete(self, digest: str) -> None:
        """Remove object `digest` (a no-op on a miss); a reader never sees half an object."""


_SCHEMES: dict[str, str] = {
    "": "mloop.stores.artifacts.local:LocalArtifactStore",
    "file": "mloop.stores.artifacts.local:LocalArtifactStore",
    "s3": "mloop.stores.artifacts.s3:S3ArtifactStore",
}


def not_usable(store: str, reason: str, what: str = "a writable folder") -> ConfigError:
    """The one-line error for an artifact store that cannot be written."""
    return ConfigError(f"artifact store {store} is not usable: {reason}; "
                       f"set MLOOP_ARTIFACTS_URL or artifacts_url in mloop.yaml to {what}")


def register_artifact_scheme(scheme: str, target: str) -> None:
    """Map a URL scheme to 'module:Class' of an ArtifactStore implementation."""
    _SCHEMES[scheme] = target


def open_artifact_store(url: str | os.PathLike[str], options: dict[str, str] | None = None) -> ArtifactStore:
    """The store for `url`: a local path, `file://...`, `s3://bucket/prefix`, or any scheme
    registered above. `options` go to remote stores (e.g. endpoint_url)."""
    import importlib

    text = os.fspath(url)
    scheme = text.split("://", 1)[0] if "://" in text else ""
    if scheme not in _SCHEMES:
        known = ", ".join(s + "://" for s in _SCHEMES if s)
        raise ConfigError(f"no artifact store for {scheme}:// URLs (from {text!r}); use a local path or {known}")
    module_name, class_name = _SCHEMES[scheme].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    store: ArtifactStore = cls(text, options) if options and scheme not in ("", "file") else cls(text)
    return store
