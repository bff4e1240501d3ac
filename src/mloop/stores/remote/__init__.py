"""Remote client mode: the metadata role stores and the artifact store of an mloop server, over
HTTP (`MLOOP_TRACKING_URI=http://host:5000` or `tracking_uri:` in mloop.yaml). The server side is
mloop.server.store_api; calls travel in the JSON codec of codec.py."""

from __future__ import annotations

from mloop.stores.remote.artifacts import RemoteArtifactStore
from mloop.stores.remote.client import RemoteClient, close_clients, remote_client
from mloop.stores.remote.metadata import remote_metadata_stores

__all__ = ["RemoteArtifactStore", "RemoteClient", "close_clients", "remote_client", "remote_metadata_stores"]
