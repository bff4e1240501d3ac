"""The stores this process has opened: one per URL, shared by every workspace, by step tasks on
workers and by the tracking writer, so a process holds one connection pool per database."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

from mloop.core.errors import ConfigError

if TYPE_CHECKING:
    from mloop.stores.artifacts import ArtifactStore
    from mloop.stores.metadata import MetadataStores
    from mloop.stores.online import OnlineStore

#: URLs of an mloop server (remote client mode) rather than of a database or bucket
REMOTE_SCHEMES = ("http://", "https://")
_METADATA: dict[str, MetadataStores] = {}
_ARTIFACTS: dict[str, ArtifactStore] = {}
_ONLINE: dict[str, OnlineStore] = {}
_LOCK = threading.Lock()


def metadata_stores(url: str) -> MetadataStores:
    """The role stores of the metadata database at `url` (opened on first use); an `http(s)://`
    URL is an mloop server (remote client mode: mloop.stores.remote)."""
    stores = _METADATA.get(url)
    if stores is None:
        if url.startswith(REMOTE_SCHEMES):
            open_metadata_stores = _remote_module().remote_metadata_stores
        else:
            from mloop.stores.metadata import open_metadata_stores

        with _LOCK:
            stores = _METADATA.get(url) or _METADATA.setdefault(url, open_metadata_stores(url))
    return stores


def artifact_store(url: str, options: dict[str, str] | None = None) -> ArtifactStore:
    """The artifact store at `url` with these options; an `http(s)://` URL is an mloop server, whose
    downloads are cached in `.mloop/cache/remote/` of the project."""
    key = url + repr(sorted((options or {}).items()))
    store = _ARTIFACTS.get(key)
    if store is None:
        with _LOCK:
            store = _ARTIFACTS.get(key) or _ARTIFACTS.setdefault(key, _open_artifacts(url, options))
    return store


def _open_artifacts(url: str, options: dict[str, str] | None) -> ArtifactStore:
    if url.startswith(REMOTE_SCHEMES):
        from mloop.core.config import load_settings

        return _remote_module().RemoteArtifactStore(url, load_settings().state_dir / "cache" / "remote")
    from mloop.stores.artifacts import open_artifact_store

    return open_artifact_store(url, options)


def _remote_module() -> Any:
    """mloop.stores.remote, or the one-line fix when its HTTP client is not installed."""
    try:
        from mloop.stores import remote
    except ImportError as exc:
        raise ConfigError(f"remote client mode (an http:// tracking_uri) needs {exc.name}; install it with: "
                          "pip install 'mloop[serve]'") from None
    return remote


def online_store(url: str) -> OnlineStore:
    """The online feature store at `url` (SQLite or Redis)."""
    store = _ONLINE.get(url)
    if store is None:
        from mloop.stores.online import open_online_store

        with _LOCK:
            store = _ONLINE.get(url) or _ONLINE.setdefault(url, open_online_store(url))
    return store


def close_stores() -> None:
    """Close every opened database's connections and forget every store (e.g. between tests)."""
    with _LOCK:
        opened = list(_METADATA.values())
        online = list(_ONLINE.values())
        _METADATA.clear()
        _ARTIFACTS.clear()
        _ONLINE.clear()
    for stores in opened:
        stores.close()
    for store in online:
        store.close()
    remote = sys.modules.get("mloop.stores.remote.client")  # loaded only in remote client mode
    if remote is not None:
        remote.close_clients()
