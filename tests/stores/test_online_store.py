"""One contract suite for the online store, run against SQLite (a file in tmp_path) and the real
Redis at 127.0.0.1:6379 (a prefix of its own per test); backend-only behaviour at the end."""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from online_stores import REDIS_URL, redis_prefix_url, require_redis

from mloop.core.config import load_settings
from mloop.core.errors import ConfigError, ValidationError
from mloop.stores.online import (
    OnlineRow,
    OnlineStats,
    OnlineStore,
    entity_key,
    entity_keys,
    open_online_store,
)
from mloop.stores.online.redis import RedisOnlineStore
from mloop.stores.online.sqlite import SqliteOnlineStore
from mloop_env import clear_mloop_env
from servers import free_port

UTC = timezone.utc
T0 = datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
A, B, C = entity_key(["a"]), entity_key(["b"]), entity_key(["c"])


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OnlineStore]:
    if request.param == "sqlite":
        opened = open_online_store(f"sqlite:///{tmp_path}/online/online.db")
        assert isinstance(opened, SqliteOnlineStore)
        yield opened
        opened.close()
        return
    with redis_prefix_url() as url:
        opened = open_online_store(url)
        assert isinstance(opened, RedisOnlineStore)
        yield opened
        opened.close()


def write(store: OnlineStore, keys: list[str], times: list[datetime], **values: list[Any]) -> int:
    return store.write_batch("stats", keys, times, values)


def values_of(store: OnlineStore, keys: list[str], view: str = "stats") -> list[dict[str, Any] | None]:
    return [None if row is None else row.values for row in store.read(view, keys)]


# ---------------------------------------------------------------- upsert semantics


def test_newer_wins_older_is_ignored_equal_replaces(store: OnlineStore) -> None:
    assert write(store, [A], [T0], spend=[1.0]) == 1
    assert write(store, [A], [T0 + timedelta(microseconds=1)], spend=[2.0]) == 1
    assert write(store, [A], [T0], spend=[3.0]) == 0  # older than what is stored: ignored
    assert values_of(store, [A]) == [{"spend": 2.0}]
    assert write(store, [A], [T0 + timedelta(microseconds=1)], spend=[4.0]) == 1  # same time: replaces
    row = store.read("stats", [A])[0]
    assert row == OnlineRow(T0 + timedelta(microseconds=1), {"spend": 4.0})


def test_a_key_repeated_in_one_batch_resolves_by_time_then_batch_order(store: OnlineStore) -> None:
    later = T0 + timedelta(hours=1)
    assert write(store, [A, A, B, B], [later, T0, T0, T0], spend=[1.0, 2.0, 3.0, 4.0]) == 3
    assert values_of(store, [A, B]) == [{"spend": 1.0}, {"spend": 4.0}]


def test_concurrent_writers_out_of_order_keep_the_newest(store: OnlineStore) -> None:
    rng = np.random.default_rng(7)
    offsets = rng.permutation(200)  # every writer thread gets a shuffled share of the times
    errors: list[BaseException] = []

    def writer(share: np.ndarray) -> None:
        try:
            for offset in share:
                times = [T0 + timedelta(seconds=int(offset))] * 2
                store.write_batch("stats", [A, B], times, {"n": [int(offset), -int(offset)]})
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(share,)) for share in np.array_split(offsets, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    rows = store.read("stats", [A, B])
    assert [row.values if row else None for row in rows] == [{"n": 199}, {"n": -199}]
    assert rows[0] is not None and rows[0].event_time == T0 + timedelta(seconds=199)
    assert store.stats("stats") == OnlineStats(2, T0 + timedelta(seconds=199))


# ---------------------------------------------------------------- reads


def test_reads_follow_key_order_and_unknown_keys_and_views_are_none(store: OnlineStore) -> None:
    write(store, [A, B], [T0, T0], spend=[1.0, 2.0])
    assert values_of(store, [B, C, A, B]) == [{"spend": 2.0}, None, {"spend": 1.0}, {"spend": 2.0}]
    assert store.read("other_view", [A, B]) == [None, None]
    assert store.read("stats", []) == []
    assert values_of(store, [C]) == [None]


def test_a_feature_subset_holds_what_the_row_has(store: OnlineStore) -> None:
    write(store, [A], [T0], spend=[1.5], visits=[None], country=["fr"])
    assert store.read("stats", [A], ["country", "visits", "never_written"])[0] == OnlineRow(
        T0, {"country": "fr", "visits": None})
    assert store.read("stats", [A, C], [])[0] == OnlineRow(T0, {})


def test_values_keep_their_types(store: OnlineStore) -> None:
    values = {
        "float": [0.1, 1.0, -0.0, 1e300, 5e-324, float("inf"), float("nan"), None],
        "int": [0, -1, 2**62, 7, None, 1, 2, 3],
        "str": ["plain", 'quote " and \\ back', "new\nline\ttab\x01", "é中文😀", "", None, "1", "null"],
        "bool": [True, False, None, True, False, True, False, True],
        "none": [None] * 8,
    }
    keys = [entity_key([i]) for i in range(8)]
    assert store.write_batch("typed", keys, [T0] * 8, values) == 8
    rows = store.read("typed", keys)
    got = {name: [row.values[name] if row else "MISSING" for row in rows] for name in values}
    expected_floats = [0.1, 1.0, -0.0, 1e300, 5e-324, math.inf, None, None]  # NaN is stored as null
    assert got["float"] == expected_floats
    assert all(type(v) is float for v in got["float"] if v is not None)
    assert math.copysign(1, got["float"][2]) == -1
    assert got["int"] == values["int"] and all(type(v) is int for v in got["int"] if v is not None)
    assert got["str"] == values["str"]
    assert got["bool"] == values["bool"] and all(type(v) is bool for v in got["bool"] if v is not None)
    assert got["none"] == [None] * 8


def test_arrow_tables_numpy_float32_dictionary_and_decimal_columns(store: OnlineStore) -> None:
    table = pa.table({
        "f32": pa.array([0.1, 3.0], pa.float32()),
        "cat": pa.array(["x", "y"]).dictionary_encode(),
        "dec": pa.array([12, 13], pa.decimal128(38, 0)),
        "frac": pa.array([Decimal("1.25"), Decimal("2.50")], pa.decimal128(10, 2)),
        "u8": pa.array([255, 0], pa.uint8()),
    })
    store.write_batch("typed", [A, B], np.array(["2024-03-01T12:00", "2024-03-02"], "datetime64[s]"), table)
    assert values_of(store, [A, B], "typed") == [
        {"f32": 0.1, "cat": "x", "dec": 12, "frac": 1.25, "u8": 255},
        {"f32": 3.0, "cat": "y", "dec": 13, "frac": 2.5, "u8": 0},
    ]


def test_times_are_utc_microseconds_naive_ones_taken_as_utc(store: OnlineStore) -> None:
    plus_two = timezone(timedelta(hours=2))
    times = [
        T0,
        datetime(2024, 3, 1, 12, 0, 0, 123456),  # naive: UTC
        datetime(2024, 3, 1, 14, 0, 0, 123456, tzinfo=plus_two),  # the same instant as T0
    ]
    write(store, [A, B, C], times, n=[1, 2, 3])
    assert [row.event_time if row else None for row in store.read("stats", [A, B, C])] == [T0] * 3
    assert all(row and row.event_time.tzinfo == UTC for row in store.read("stats", [A, B, C]))
    # nanoseconds (numpy, pandas) are truncated to microseconds; created times round-trip too
    nanos = np.array(["2024-03-01T12:00:00.123456789"], "datetime64[ns]")
    created = pd.Series(pd.to_datetime(["2024-03-01 14:00:00.000001"]).tz_localize(plus_two))
    store.write_batch("timed", [A], nanos, {"n": [1]}, created_times=created)
    row = store.read("timed", [A])[0]
    assert row is not None and row.event_time == T0
    assert row.created_time == datetime(2024, 3, 1, 12, 0, 0, 1, tzinfo=UTC)
    assert store.read("stats", [A])[0].created_time is None  # type: ignore[union-attr]


def test_many_threads_read_at_once(store: OnlineStore) -> None:
    keys = entity_keys([np.arange(200)])
    store.write_batch("stats", keys, [T0] * 200, {"n": np.arange(200), "half": np.arange(200) / 2})
    failures: list[str] = []
    barrier = threading.Barrier(8)

    def reader(seed: int) -> None:
        rng = np.random.default_rng(seed)
        barrier.wait()
        for _ in range(50):
            picked = rng.integers(0, 200, 5)
            rows = store.read("stats", [keys[i] for i in picked], ["n"])
            if [row.values if row else None for row in rows] != [{"n": int(i)} for i in picked]:
                failures.append(f"thread {seed} read {rows}")

    threads = [threading.Thread(target=reader, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_ten_thousand_rows_read_back_equal(store: OnlineStore) -> None:
    rows = 10_000
    rng = np.random.default_rng(1)
    keys = entity_keys([np.char.add("c", np.arange(rows).astype(str)), np.arange(rows) % 7])
    times = np.datetime64("2024-03-01T00:00:00", "us") + rng.integers(0, 10**12, rows).astype("timedelta64[us]")
    features = {f"f{i}": rng.standard_normal(rows) for i in range(10)}
    assert store.write_batch("big", keys, times, features) == rows
    read = store.read("big", keys)
    assert all(row is not None for row in read)
    for name, column in features.items():
        assert np.array_equal(np.array([row.values[name] for row in read if row]), column)
    expected_times = times.astype(datetime)
    assert [row.event_time.replace(tzinfo=None) for row in read if row] == list(expected_times)
    assert store.stats("big") == OnlineStats(rows, max(expected_times).replace(tzinfo=UTC))


# ---------------------------------------------------------------- views, stats, delete


def test_views_stats_and_delete_view(store: OnlineStore) -> None:
    assert store.views() == [] and store.stats("stats") == OnlineStats(0, None)
    write(store, [A, B], [T0, T0 + timedelta(days=1)], n=[1, 2])
    write(store, [A], [T0 - timedelta(days=9)], n=[0])  # older: changes neither count nor newest
    store.write_batch("other", [A], [T0], {"n": [3]})
    assert store.views() == ["other", "stats"]
    assert store.stats("stats") == OnlineStats(2, T0 + timedelta(days=1))
    assert store.delete_view("stats") == 2
    assert store.views() == ["other"] and store.stats("stats") == OnlineStats(0, None)
    assert store.read("stats", [A, B]) == [None, None]
    assert values_of(store, [A], "other") == [{"n": 3}]
    assert store.delete_view("stats") == 0 and store.delete_view("never") == 0
    write(store, [C], [T0], n=[9])  # a deleted view starts again from nothing
    assert store.stats("stats") == OnlineStats(1, T0)


def test_close_then_use_again(store: OnlineStore) -> None:
    write(store, [A], [T0], n=[1])
    store.close()
    assert values_of(store, [A]) == [{"n": 1}]
    store.check_writable()


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(("call", "message"), [
    (lambda s: s.write_batch("stats", [A, B], [T0], {"n": [1, 2]}), "lengths differ: keys 2, event_times 1"),
    (lambda s: s.write_batch("stats", [A], [T0], {"n": [1, 2]}), "lengths differ"),
    (lambda s: s.write_batch("bad view", [A], [T0], {"n": [1]}), "online view name 'bad view' is not valid"),
    (lambda s: s.read("a:b", [A]), "online view name 'a:b' is not valid"),
    (lambda s: s.read("stats", A), "keys must be a list, not one string; e.g. [entity_key(['c1'])]"),
    (lambda s: s.read("stats", [A], "spend"), "features must be a list, not one string; e.g. ['spend']"),
    (lambda s: s.write_batch("stats", [A], [None], {"n": [1]}), "every row needs its time"),
    (lambda s: s.write_batch("stats", [A, B], [T0, None], {"n": [1, 2]}), "holds 1 null time(s)"),
    (lambda s: s.write_batch("stats", [A], ["2024-01-01"], {"n": [1]}), "event_times must be datetimes"),
    (lambda s: s.write_batch("stats", [A], [T0], {"at": [T0]}), "feature 'at' is timestamp[us, tz=UTC]; online"),
    (lambda s: s.write_batch("stats", [1], [T0], {"n": [1]}), "keys must be strings made by entity_key()"),
    (lambda s: s.write_batch("stats", [A], [T0], {"n": [1]}, created_times=[T0, T0]), "created_times 2"),
])
def test_bad_input_is_one_line_and_writes_nothing(store: OnlineStore, call: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=None) as raised:
        call(store)
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert store.views() == []


# ---------------------------------------------------------------- entity keys


def test_entity_keys_are_canonical_json() -> None:
    assert entity_key(("a", 1)) != entity_key(("a", "1"))
    assert entity_key(("a", 1)) == '["a",1]' == entity_key(["a", np.int64(1)]) == entity_key(("a", 1.0))
    assert entity_key("c1") == entity_key(["c1"]) == '["c1"]'
    assert entity_key([True]) != entity_key([1])
    for bad in ([None], [float("nan")], [1.5], [T0], []):
        with pytest.raises(ValidationError):
            entity_key(bad)


def test_entity_keys_of_columns_equal_entity_key_of_each_row() -> None:
    names = ["plain", 'q"uote', "back\\slash", "new\nline", "ctl\x01\x1f", "é😀", "", "x"]
    ids = np.arange(8) * 10**12
    flags = [True, False] * 4
    whole = np.arange(8, dtype=float)
    expected = [entity_key(row) for row in zip(names, ids, flags, whole, strict=True)]
    for columns in ([names, ids, flags, whole],
                    [pd.Series(names, dtype="category"), pd.Series(ids), pl.Series(flags), pa.array(whole)]):
        assert entity_keys(columns) == expected
    with pytest.raises(ValidationError, match="holds nulls"):
        entity_keys([["a", None]])
    with pytest.raises(ValidationError, match="fractional"):
        entity_keys([[1.0, 1.5]])


# ---------------------------------------------------------------- choosing a backend, settings


def test_the_url_scheme_picks_the_backend(tmp_path: Path) -> None:
    assert isinstance(open_online_store(f"sqlite:///{tmp_path}/a.db"), SqliteOnlineStore)
    assert isinstance(open_online_store(f"sqlite:///{tmp_path}/a.db"), OnlineStore)
    assert isinstance(open_online_store("redis://127.0.0.1:6379/0"), OnlineStore)
    assert isinstance(open_online_store(tmp_path / "b.db"), SqliteOnlineStore)
    assert isinstance(open_online_store("redis://127.0.0.1:6379/0"), RedisOnlineStore)
    assert isinstance(open_online_store("rediss://127.0.0.1:6379/0"), RedisOnlineStore)
    with pytest.raises(ConfigError, match=r"^no online store for mysql:// URLs .* sqlite://, redis://, rediss://$"):
        open_online_store("mysql://host/db")
    with pytest.raises(ConfigError, match="is not a SQLite file URL"):
        open_online_store("sqlite:///:memory:")
    assert not list(tmp_path.iterdir())  # opening does no I/O


def test_settings_default_to_an_online_db_in_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear_mloop_env(monkeypatch)
    monkeypatch.setenv("MLOOP_HOME", str(tmp_path))
    assert load_settings().online_url == f"sqlite:///{tmp_path.resolve()}/.mloop/online.db"
    monkeypatch.setenv("MLOOP_ONLINE_URL", "redis://127.0.0.1:6379/0")
    assert load_settings().online_url == "redis://127.0.0.1:6379/0"


# ---------------------------------------------------------------- SQLite only


def test_sqlite_reads_of_a_missing_store_create_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state" / "online.db"
    store = open_online_store(f"sqlite:///{path}")
    assert store.read("stats", [A, B]) == [None, None]
    assert store.views() == [] and store.stats("stats") == OnlineStats(0, None) and store.delete_view("stats") == 0
    assert not (tmp_path / "state").exists()
    store.check_writable()  # makes the folder, never the file
    assert (tmp_path / "state").is_dir() and not path.exists()
    assert store.write_batch("stats", [A], [T0], {"n": [1]}) == 1 and path.is_file()
    # a second store on the same file (another process, say) sees the row
    assert open_online_store(str(path)).read("stats", [A]) == [OnlineRow(T0, {"n": 1})]


def test_sqlite_relative_url_and_plain_path_name_the_same_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    open_online_store("sqlite:///rel/online.db").write_batch("stats", [A], [T0], {"n": [1]})
    assert (tmp_path / "rel" / "online.db").is_file()
    assert values_of(open_online_store("rel/online.db"), [A]) == [{"n": 1}]


def test_sqlite_file_that_is_not_a_database_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "online.db"
    path.write_bytes(b"this is not sqlite" * 100)
    store = open_online_store(str(path))
    with pytest.raises(ConfigError, match=rf"^online store {path} is not usable \(file is not a database\); set "):
        store.write_batch("stats", [A], [T0], {"n": [1]})
    with pytest.raises(ConfigError, match="not a database"):
        store.check_writable()


def test_sqlite_batch_is_atomic(tmp_path: Path) -> None:
    """A batch that fails half-way (here: a trigger that aborts the 3rd row) leaves nothing behind."""
    path = tmp_path / "online.db"
    store = open_online_store(str(path))
    store.write_batch("stats", [A], [T0], {"n": [0]})
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TRIGGER stop BEFORE INSERT ON online_rows WHEN NEW.entity_key = '[\"c\"]' "
                           "BEGIN SELECT RAISE(ABORT, 'stop'); END")
    with pytest.raises(Exception, match="stop"):
        store.write_batch("stats", [A, B, C], [T0 + timedelta(1)] * 3, {"n": [1, 2, 3]})
    assert values_of(store, [A, B, C]) == [{"n": 0}, None, None]


# ---------------------------------------------------------------- Redis only


def test_redis_unreachable_is_one_config_error_naming_the_url() -> None:
    url = f"redis://user:secret@127.0.0.1:{free_port()}/0"
    store = open_online_store(url)
    for call in (lambda: store.read("stats", [A]), lambda: store.write_batch("stats", [A], [T0], {"n": [1]}),
                 store.views, store.check_writable):
        with pytest.raises(ConfigError) as raised:
            call()
        message = str(raised.value)
        assert message.startswith(f"online store redis://user:***@127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}/0 "
                                  f"is not reachable (")
        assert message.endswith("start Redis there or set MLOOP_ONLINE_URL to a reachable one")
        assert "secret" not in message and "\n" not in message


def test_redis_prefixes_keep_stores_apart() -> None:
    with redis_prefix_url() as first_url, redis_prefix_url() as second_url:
        first, second = open_online_store(first_url), open_online_store(second_url)
        first.write_batch("stats", [A], [T0], {"n": [1]})
        assert second.read("stats", [A]) == [None] and second.views() == []
        assert second.delete_view("stats") == 0
        assert values_of(first, [A]) == [{"n": 1}]


def test_redis_default_prefix_and_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    require_redis()
    assert open_online_store(REDIS_URL).prefix == "mloop:"  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "redis", None)
    with pytest.raises(ConfigError, match=r"^redis is not installed; install it with: pip install 'mloop\[redis\]'$"):
        open_online_store(REDIS_URL)
