"""The online store: the latest feature values per entity, read at serving time.

    store = open_online_store("sqlite:///.mloop/online.db")     # or redis://127.0.0.1:6379/0
    store.write_batch("customer_stats", entity_keys([ids]), times, {"spend": spend})
    store.read("customer_stats", [entity_key(["c1"])])          # [OnlineRow(event_time, values)] or [None]
"""

from mloop.stores.online.base import (
    OnlineRow,
    OnlineStats,
    OnlineStore,
    open_online_store,
    register_online_scheme,
)
from mloop.stores.online.encoding import entity_key, entity_keys

__all__ = [
    "OnlineRow",
    "OnlineStats",
    "OnlineStore",
    "entity_key",
    "entity_keys",
    "open_online_store",
    "register_online_scheme",
]
