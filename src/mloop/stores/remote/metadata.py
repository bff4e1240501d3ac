"""The role stores of a remote mloop server: each role's proxy has exactly the methods of its
Protocol (generated from it, so a method added to a Protocol is served at once) and sends each
call as one HTTP request (mloop.server.store_api runs it on the server's own stores)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, cast

from mloop.stores.metadata import (
    DeploymentStore,
    FeatureDefinitionStore,
    LineageStore,
    MetadataStores,
    MonitorStore,
    PredictionStore,
    QualityStore,
    RegistryStore,
    RunStore,
    ScheduleStore,
    TrackingStore,
)
from mloop.stores.remote.client import RemoteClient, remote_client

#: role name (a field of MetadataStores) -> its Protocol
ROLES: dict[str, type] = {
    "runs": RunStore, "lineage": LineageStore, "tracking": TrackingStore, "registry": RegistryStore,
    "quality": QualityStore, "features": FeatureDefinitionStore, "deployments": DeploymentStore,
    "predictions": PredictionStore, "monitors": MonitorStore, "schedules": ScheduleStore,
}


@cache
def protocol_methods(role: str) -> dict[str, inspect.Signature]:
    """The public methods of a role's Protocol and their signatures (unknown role: KeyError)."""
    protocol = ROLES[role]
    return {name: inspect.signature(value) for name, value in vars(protocol).items()
            if inspect.isfunction(value) and not name.startswith("_")}


class RemoteDatabase:
    """Stands where MetadataStores.database is: the server holds the database itself."""

    def __init__(self, client: RemoteClient) -> None:
        self.client = client
        self.url = client.url
        self.supports_remote_access = True

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads grouped in a snapshot locally are separate requests here (each is consistent)."""
        yield

    def check_writable(self) -> None:
        """Ask the server whether its metadata and artifact stores can be written."""
        with self.client.errors("the write check"):
            response = self.client.http.post("/stores/writable")
        self.client.raise_for(response)

    def close(self) -> None:
        """Nothing to close per store: the client's connections are shared (close_clients)."""


def remote_metadata_stores(url: str) -> MetadataStores:
    """Every role store of the server at `url`, as a MetadataStores (no I/O until used)."""
    client = remote_client(url)
    proxies = {role: _proxy_class(role)(client) for role in ROLES}
    return MetadataStores(database=cast(Any, RemoteDatabase(client)), access=cast(Any, ServerOnly()), **proxies)


class ServerOnly:
    """The access role (tokens, the audit trail, alias rules) is not served to remote clients: it
    is what decides who may call the server, so it is managed where the server runs."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        from mloop.core.errors import ConfigError

        raise ConfigError("tokens, the audit trail and alias rules are managed where the server runs: use "
                          "`mloop tokens` / `mloop audit` / `mloop aliases` there, or the /api/v1/tokens, /audit "
                          "and /alias-rules routes with an admin token")


@cache
def _proxy_class(role: str) -> type:
    methods: dict[str, Any] = {name: _remote_method(role, name, signature)
                               for name, signature in protocol_methods(role).items()}

    def __init__(self: Any, client: RemoteClient) -> None:
        self._client = client

    def __repr__(self: Any) -> str:
        return f"Remote{ROLES[role].__name__}({self._client.url!r})"

    return type(f"Remote{ROLES[role].__name__}", (), {"__init__": __init__, "__repr__": __repr__, **methods,
                                                      "__doc__": f"{role} on a remote mloop server."})


def _remote_method(role: str, name: str, signature: inspect.Signature) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self._client.call(role, name, args, kwargs)

    method.__name__ = name
    method.__qualname__ = f"Remote{ROLES[role].__name__}.{name}"
    method.__signature__ = signature  # type: ignore[attr-defined]
    method.__doc__ = f"{role}.{name} on the server (see {ROLES[role].__name__})."
    return method
