"""Streams of a test's own on the Redis server at 127.0.0.1:6379, deleted afterwards, and the
helpers the stream scoring tests share: writing records as entries, reading results back."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from stores.online_stores import REDIS_URL, require_redis


@dataclass
class Streams:
    client: Any  # redis.Redis, decoded responses
    source: str  # stream names
    sink: str

    @property
    def dead(self) -> str:
        return self.sink + ":dead"

    def url(self, stream: str, **query: str) -> str:
        extra = "".join(f"&{name}={value}" for name, value in query.items())
        return f"{REDIS_URL}?stream={stream}{extra}"

    @property
    def source_url(self) -> str:
        return self.url(self.source)

    @property
    def sink_url(self) -> str:
        return self.url(self.sink)

    def add(self, records: list[dict], form: str = "columns", request_ids: bool = False) -> list[str]:
        """XADD each record: `form` 'data' (one JSON field) or 'columns' (one text field per
        column, floats written with repr so they read back exactly). Returns the entry ids."""
        pipe = self.client.pipeline(transaction=False)
        for number, record in enumerate(records):
            fields = {"data": json.dumps(record)} if form == "data" else {name: text(value)
                                                                          for name, value in record.items()}
            if request_ids:
                fields["request_id"] = f"req-{number}"
            pipe.xadd(self.source, fields)
        return [str(entry_id) for entry_id in pipe.execute()]

    def results(self, stream: str | None = None) -> list[dict[str, str]]:
        return [fields for _, fields in self.client.xrange(stream or self.sink)]

    def scored_ids(self) -> set[str]:
        return {fields["id"] for fields in self.results()}

    def pending(self, group: str = "mloop") -> int:
        return int(self.client.xpending(self.source, group)["pending"])


def text(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


@contextmanager
def streams() -> Iterator[Streams]:
    """A source and a sink stream named for this test only; both (and the dead-letter stream)
    are deleted at the end."""
    import redis

    require_redis()
    tag = uuid.uuid4().hex[:12]
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    names = Streams(client, f"mloop-test-{tag}:tx", f"mloop-test-{tag}:scores")
    try:
        yield names
    finally:
        client.delete(names.source, names.sink, names.dead)
        client.close()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.02)
