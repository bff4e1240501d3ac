"""The online-store seam: the latest feature values per entity, per feature view, for serving.

A view holds one row per entity key (`entity_key(...)` text): its event time (UTC, microseconds),
an optional created time, and its feature values (JSON scalars: float, int, str, bool, None).
Backends: SQLite (the default, a file) and Redis (for scale), chosen by URL.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol, runtime_checkable

import pyarrow as pa

from mloop.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class OnlineRow:
    """One entity's stored row. `values` holds the requested features that the row has: a feature
    written as null (or NaN) is present as None; a feature never written for this row is absent."""

    event_time: datetime
    values: dict[str, Any]
    created_time: datetime | None = None


class OnlineStats(NamedTuple):
    rows: int
    #: the newest event time of any stored row; None for an empty or unknown view
    newest: datetime | None


@runtime_checkable
class OnlineStore(Protocol):
    url: str

    def write_batch(self, view: str, keys: Sequence[str] | pa.Array, event_times: Any,
                    values: pa.Table | Mapping[str, Sequence[Any]], *, created_times: Any = None) -> int:
        """Upsert one row per key (`keys[i]`, `event_times[i]`, row i of `values`) and return how many
        rows were stored. A stored row is replaced only by one whose event time is the same or newer,
        so out-of-order or repeated materialization never regresses a value; within one batch a
        repeated key resolves the same way, in batch order. Event times are datetimes or a datetime64
        array (naive ones are UTC). Atomic per call on SQLite; on Redis per chunk of 1,000 rows.
        Raises ValidationError for bad input before anything is written."""

    def read(self, view: str, keys: Sequence[str], features: Sequence[str] | None = None) -> list[OnlineRow | None]:
        """The stored row of each key, in key order: None for an unknown key. An unknown view (or a
        store that does not exist yet) reads as all None and creates nothing. `features` limits
        `values` to those names (default: all)."""

    def views(self) -> list[str]:
        """The names of the views that hold rows, sorted."""

    def stats(self, view: str) -> OnlineStats:
        """How many rows `view` holds and its newest event time (its freshness); (0, None) when unknown."""

    def delete_view(self, view: str) -> int:
        """Remove every row of `view` and return how many there were; 0 for an unknown view."""

    def check_writable(self) -> None:
        """Raise ConfigError (one line: the store, the reason, the fix) unless rows can be written."""

    def close(self) -> None:
        """Release connections; the store reopens them if used again."""


_SCHEMES: dict[str, str] = {
    "sqlite": "mloop.stores.online.sqlite:SqliteOnlineStore",
    "redis": "mloop.stores.online.redis:RedisOnlineStore",
    "rediss": "mloop.stores.online.redis:RedisOnlineStore",
}


def register_online_scheme(scheme: str, target: str) -> None:
    """Map a URL scheme to 'module:Class' of an OnlineStore implementation."""
    _SCHEMES[scheme] = target


def open_online_store(url: str | os.PathLike[str]) -> OnlineStore:
    """The online store at `url`: `sqlite:///path/online.db` or a plain path (SQLite),
    `redis://host:6379/0[?prefix=mloop:]` or `rediss://...` (Redis). Does no I/O."""
    import importlib

    text = os.fspath(url)
    scheme = text.split("://", 1)[0].lower() if "://" in text else "sqlite"
    if scheme not in _SCHEMES:
        known = ", ".join(s + "://" for s in _SCHEMES)
        raise ConfigError(f"no online store for {scheme}:// URLs (from {text!r}); set MLOOP_ONLINE_URL "
                          f"to a file path or a URL starting with {known}")
    module_name, class_name = _SCHEMES[scheme].split(":")
    store: OnlineStore = getattr(importlib.import_module(module_name), class_name)(text)
    return store
