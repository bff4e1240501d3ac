"""The point-in-time join: the rules of mloop.features.offline, pushed at their edges, and checked
against a brute-force pure-Python oracle on random data."""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta, timezone

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mloop.core.errors import ValidationError
from mloop.features import offline_sql
from mloop.features.offline import ViewQuery, point_in_time_join

T0 = datetime(2024, 3, 1, 12, 0)
US = timedelta(microseconds=1)


def view(source, features=("value",), *, name="v", keys=("id",), created=None, ttl=None, ts="ts") -> ViewQuery:
    return ViewQuery(name=name, source=source, join_keys=tuple(keys), timestamp_field=ts,
                     created_timestamp_field=created, features=tuple(features), ttl=ttl)


def entities(ids, times, **extra) -> pa.Table:
    return pa.table({"id": ids, "event_timestamp": pa.array(times, pa.timestamp("us")), **extra})


def source(ids, times, values, created=None) -> pa.Table:
    columns = {"id": ids, "ts": pa.array(times, pa.timestamp("us")), "value": pa.array(values, pa.float64())}
    if created is not None:
        columns["created"] = pa.array(created, pa.timestamp("us"))
    return pa.table(columns)


def values(table: pa.Table, column: str = "value") -> list:
    return table.column(column).to_pylist()


# ---------------------------------------------------------------- time edges


def test_a_value_at_the_rows_time_counts_and_one_microsecond_later_does_not():
    src = source([1, 1, 2], [T0 - timedelta(hours=1), T0, T0 + US], [1.0, 2.0, 3.0])
    out = point_in_time_join(entities([1, 2, 2], [T0, T0, T0 + US]), [view(src)])
    assert values(out) == [2.0, None, 3.0]


def test_the_latest_earlier_value_wins_whatever_the_source_order():
    times = [T0 - timedelta(days=d) for d in (3, 1, 2)]
    src = source([7, 7, 7], times, [30.0, 10.0, 20.0])
    rows = entities([7, 7, 7, 7], [T0, T0 - timedelta(days=1, seconds=1), T0 - timedelta(days=2), T0 - timedelta(days=4)])
    assert values(point_in_time_join(rows, [view(src)])) == [10.0, 20.0, 20.0, None]


def test_zone_aware_and_naive_times_compare_in_utc_across_a_dst_change():
    # Europe/Berlin leaves summer time on 2024-10-27 at 03:00 CEST = 01:00 UTC
    berlin = pd.to_datetime(["2024-10-27 02:30:00+02:00", "2024-10-27 02:30:00+01:00"], utc=True).tz_convert(
        "Europe/Berlin")
    rows = pd.DataFrame({"id": [1, 1], "event_timestamp": berlin, "label": [0, 1]})
    # naive source times are UTC: 00:30 UTC (the first row's instant) and 01:00 UTC (between the two)
    src = pd.DataFrame({"id": [1, 1], "ts": pd.to_datetime(["2024-10-27 00:30", "2024-10-27 01:00"]),
                        "value": [1.0, 2.0]})
    out = point_in_time_join(rows, [view(src)])
    assert values(out) == [1.0, 2.0]
    assert out.schema.field("event_timestamp").type.tz == "Europe/Berlin"  # kept as given
    # the other way round: naive entity times (UTC) against a zone-aware source
    src_aware = src.assign(ts=src["ts"].dt.tz_localize("UTC").dt.tz_convert("America/New_York"))
    naive_rows = rows.assign(event_timestamp=rows["event_timestamp"].dt.tz_convert("UTC").dt.tz_localize(None))
    assert values(point_in_time_join(naive_rows, [view(src_aware)])) == [1.0, 2.0]


def test_nanoseconds_are_compared_exactly():
    base = pd.Timestamp("2024-01-01 00:00:00")
    rows = pd.DataFrame({"id": [1, 1], "event_timestamp": [base + pd.Timedelta(1, "ns"), base]})
    src = pd.DataFrame({"id": [1], "ts": [base + pd.Timedelta(1, "ns")], "value": [5.0]})
    assert values(point_in_time_join(rows, [view(src)])) == [5.0, None]


def test_dates_are_midnight_utc():
    src = pa.table({"id": [1], "ts": pa.array([datetime(2024, 1, 2).date()], pa.date32()), "value": [1.0]})
    rows = entities([1, 1], [datetime(2024, 1, 2), datetime(2024, 1, 2) - US])
    assert values(point_in_time_join(rows, [view(src)])) == [1.0, None]


# ---------------------------------------------------------------- known at the time, as_of


def late_source() -> pa.Table:
    # the day-2 value was loaded on day 5: on day 3 only the day-1 value was known
    day = timedelta(days=1)
    return source([1, 1], [T0 + day, T0 + 2 * day], [1.0, 2.0], created=[T0 + day, T0 + 5 * day])


def test_late_data_is_not_used_before_it_arrived_unless_asked():
    rows = entities([1, 1, 1], [T0 + timedelta(days=3), T0 + timedelta(days=5), T0 + timedelta(days=5) - US])
    v = view(late_source(), created="created")
    assert values(point_in_time_join(rows, [v])) == [1.0, 2.0, 1.0]
    assert values(point_in_time_join(rows, [v], known_at_time=False)) == [2.0, 2.0, 2.0]


def test_a_late_row_does_not_hide_an_earlier_known_one_with_the_same_event_time():
    src = source([1, 1], [T0, T0], [1.0, 2.0], created=[T0, T0 + timedelta(days=1)])
    rows = entities([1, 1], [T0 + timedelta(hours=1), T0 + timedelta(days=1)])
    assert values(point_in_time_join(rows, [view(src, created="created")])) == [1.0, 2.0]


def test_a_row_without_created_time_counts_as_known_at_its_event_time():
    src = source([1, 1], [T0, T0 + timedelta(hours=1)], [1.0, 2.0], created=[None, T0 + timedelta(days=1)])
    rows = entities([1], [T0 + timedelta(hours=2)])
    assert values(point_in_time_join(rows, [view(src, created="created")])) == [1.0]


def test_as_of_rebuilds_a_training_set_after_late_rows_were_appended(tmp_path):
    folder = tmp_path / "events"
    folder.mkdir()
    pq.write_table(late_source(), folder / "part-0.parquet")
    rows = entities([1, 1], [T0 + timedelta(days=3), T0 + timedelta(days=10)])
    v = view(str(folder), created="created")
    moment = T0 + timedelta(days=6)
    before = point_in_time_join(rows, [v], as_of=moment)
    # a later load: a correction of day 2 and a new day-8 value, both created on day 9
    pq.write_table(source([1, 1], [T0 + timedelta(days=2), T0 + timedelta(days=8)], [20.0, 8.0],
                          created=[T0 + timedelta(days=9)] * 2), folder / "part-1.parquet")
    assert point_in_time_join(rows, [v], as_of=moment).equals(before)
    assert values(before) == [1.0, 2.0]
    assert values(point_in_time_join(rows, [v])) == [1.0, 8.0]
    # zone-aware as_of, the same instant
    aware = moment.replace(tzinfo=timezone.utc).astimezone(timezone(timedelta(hours=-5)))
    assert point_in_time_join(rows, [v], as_of=aware).equals(before)
    # with known_at_time=False the as_of filter still holds: the day-9 correction is not seen
    assert values(point_in_time_join(rows, [v], as_of=moment, known_at_time=False)) == [2.0, 2.0]


def test_as_of_without_created_field_uses_event_time():
    src = source([1, 1], [T0, T0 + timedelta(days=2)], [1.0, 2.0])
    rows = entities([1], [T0 + timedelta(days=3)])
    assert values(point_in_time_join(rows, [view(src)], as_of=T0 + timedelta(days=1))) == [1.0]


# ---------------------------------------------------------------- duplicates


def test_equal_event_times_go_to_the_latest_created_in_both_formulations():
    src = source([1, 1, 1], [T0, T0, T0], [1.0, 3.0, 2.0], created=[T0, T0 + 2 * US, T0 + US])
    rows = entities([1], [T0 + timedelta(days=1)])
    v = view(src, created="created")
    assert values(point_in_time_join(rows, [v])) == [3.0]
    assert values(point_in_time_join(rows, [v], known_at_time=False)) == [3.0]


def test_full_ties_are_broken_the_same_way_whatever_the_row_or_file_order(tmp_path):
    rng = random.Random(7)
    n = 200
    table = pa.table({"id": [i % 5 for i in range(n)], "ts": pa.array([T0 + timedelta(hours=i % 3) for i in range(n)]),
                      "created": pa.array([T0 + timedelta(hours=3)] * n), "value": [rng.random() for _ in range(n)],
                      "name": [rng.choice(["a", "b", None]) for _ in range(n)]})
    rows = entities(list(range(6)) * 2, [T0 + timedelta(hours=h) for h in (4,) * 6 + (1,) * 6])
    features = ("value", "name")
    results: dict[bool, list[pa.Table]] = {True: [], False: []}
    for attempt in range(3):
        order = list(range(n))
        random.Random(attempt).shuffle(order)
        shuffled = table.take(order)
        folder = tmp_path / f"run{attempt}"
        folder.mkdir()
        for part in range(4):  # the same rows spread over files in a different order each time
            pq.write_table(shuffled.slice(part * 50, 50), folder / f"{rng.random()}.parquet")
        for known in (True, False):
            results[known].append(point_in_time_join(rows, [view(shuffled, features, created="created")],
                                                     known_at_time=known))
            results[known].append(point_in_time_join(rows, [view(str(folder), features, created="created")],
                                                     known_at_time=known))
    for known in (True, False):
        assert all(result.equals(results[known][0]) for result in results[known][1:])
    # both formulations break the tie the same way: at hour 4 every row is known
    first, by_event = results[True][0], results[False][0]
    assert first.slice(0, 6).equals(by_event.slice(0, 6))
    # each winner is one of the tied rows at the latest event time, whole (values from one row)
    tied = {(r["id"], r["value"], r["name"]) for r in table.to_pylist() if r["ts"] == T0 + timedelta(hours=2)}
    for row in first.to_pylist()[:5]:
        assert (row["id"], row["value"], row["name"]) in tied
    assert first.to_pylist()[5]["value"] is None  # id 5 has no rows
    # at hour 1 nothing is known yet (created at hour 3), unless asked to ignore created times
    assert first.column("value").slice(6).null_count == 6
    assert by_event.column("value").slice(6, 5).null_count == 0


def test_a_null_feature_value_is_a_value():
    src = source([1, 1], [T0, T0 + timedelta(hours=1)], [1.0, None])
    assert values(point_in_time_join(entities([1], [T0 + timedelta(hours=2)]), [view(src)])) == [None]


# ---------------------------------------------------------------- TTL


@pytest.mark.parametrize("known", [True, False])
def test_ttl_edges(known):
    ttl = timedelta(hours=2)
    src = source([1], [T0], [1.0], created=[T0])
    rows = entities([1, 1, 1], [T0 + ttl, T0 + ttl + US, T0 + timedelta(days=400)])
    v = view(src, created="created", ttl=ttl)
    assert values(point_in_time_join(rows, [v], known_at_time=known)) == [1.0, None, None]
    no_ttl = view(src, created="created")
    assert values(point_in_time_join(rows, [no_ttl], known_at_time=known)) == [1.0, 1.0, 1.0]
    zero = view(src, created="created", ttl=timedelta(0))
    assert values(point_in_time_join(entities([1, 1], [T0, T0 + US]), [zero], known_at_time=known)) == [1.0, None]


def test_ttl_applies_to_the_latest_value_not_to_an_older_one():
    src = source([1, 1], [T0, T0 + timedelta(hours=5)], [1.0, 2.0])
    rows = entities([1], [T0 + timedelta(hours=6)])
    assert values(point_in_time_join(rows, [view(src, ttl=timedelta(hours=2))])) == [2.0]


# ---------------------------------------------------------------- keys, views, output


def test_unknown_and_null_keys_and_times_give_nulls():
    src = pa.table({"id": pa.array([1, None], pa.int64()), "ts": pa.array([T0, T0]), "value": [1.0, 2.0]})
    rows = entities(pa.array([1, 99, None, 1], pa.int64()), [T0, T0, T0, None])
    assert values(point_in_time_join(rows, [view(src)])) == [1.0, None, None, None]
    assert values(point_in_time_join(rows, [view(src, created="ts")])) == [1.0, None, None, None]


def test_several_views_with_composite_keys_keep_the_entity_rows_as_given():
    stores = pa.table({"store": ["a", "a", "b"], "item": [1, 2, 1], "ts": pa.array([T0] * 3), "price": [1.5, 2.5, 3.5],
                       "stock": pa.array([10, 20, 30], pa.int32())})
    users = pd.DataFrame({"user": ["u1", "u2"], "when": pd.to_datetime([T0, T0]).tz_localize("UTC"),
                          "age": [30, 40]})
    rows = pa.table({"label": [1, 0, 1, 0], "user": ["u2", "u1", "u3", "u1"], "store": ["b", "a", "a", "z"],
                     "item": [1, 2, 1, 1], "event_timestamp": pa.array([T0 + timedelta(minutes=m) for m in range(4)])})
    by_store = view(stores, ("price", "stock"), name="store_items", keys=("store", "item"))
    by_user = view(pl.from_pandas(users), ("age",), name="users", keys=("user",), ts="when")
    out = point_in_time_join(rows, [by_store, by_user])
    assert out.column_names == [*rows.column_names, "price", "stock", "age"]
    assert out.select(rows.column_names).equals(rows)
    assert out.to_pydict()["price"] == [3.5, 2.5, 1.5, None]
    assert out.to_pydict()["age"] == [40, 30, None, 30]
    assert out.schema.field("stock").type == pa.int32()
    full = point_in_time_join(rows, [by_store, by_user], full_feature_names=True)
    assert full.column_names[-3:] == ["store_items__price", "store_items__stock", "users__age"]


def test_a_feature_name_in_two_views_needs_full_names():
    src = source([1], [T0], [1.0])
    rows = entities([1], [T0])
    with pytest.raises(ValidationError, match="both view 'a' and view 'b'.*full_feature_names=True"):
        point_in_time_join(rows, [view(src, name="a"), view(src, name="b")])
    out = point_in_time_join(rows, [view(src, name="a"), view(src, name="b")], full_feature_names=True)
    assert out.column_names[-2:] == ["a__value", "b__value"]


def test_sources_in_memory_in_parquet_and_in_sql_agree(tmp_path):
    src = source([1, 1, 2], [T0, T0 + timedelta(hours=1), T0], [1.0, 2.0, 3.0])
    path = tmp_path / "src.parquet"
    pq.write_table(src, path)
    rows = entities([1, 2, 3], [T0 + timedelta(minutes=30), T0, T0])
    expected = [1.0, 3.0, None]
    for given in (src, src.to_pandas(), pl.from_arrow(src), str(path), path, str(tmp_path / "*.parquet"),
                  str(tmp_path), f"SELECT * FROM read_parquet('{path}')", f"WITH s AS (SELECT * FROM '{path}') SELECT * FROM s"):
        assert values(point_in_time_join(rows, [view(given)])) == expected, given
    assert values(point_in_time_join(rows.to_pandas(), [view(src)])) == expected
    assert values(point_in_time_join(pl.from_arrow(rows), [view(src)])) == expected


def test_feature_types_follow_the_source():
    src = pa.table({"id": [1], "ts": pa.array([T0]), "s": pa.array(["x"], pa.large_string()),
                    "i": pa.array([3], pa.int16()), "l": pa.array([[1, 2]], pa.list_(pa.int64())),
                    "z": pa.array([T0], pa.timestamp("us", tz="Asia/Tokyo"))})
    out = point_in_time_join(entities([1, 2], [T0, T0]), [view(src, ("s", "i", "l", "z"))])
    assert out.schema.field("s").type == pa.large_string()
    assert out.schema.field("i").type == pa.int16()
    assert out.schema.field("z").type == pa.timestamp("us", tz="Asia/Tokyo")
    assert out.to_pydict()["l"] == [[1, 2], None]


def test_no_entity_rows_give_an_empty_table_with_the_feature_columns():
    out = point_in_time_join(entities(pa.array([], pa.int64()), []), [view(source([1], [T0], [1.0]))])
    assert out.num_rows == 0 and out.schema.field("value").type == pa.float64()


# ---------------------------------------------------------------- determinism


def test_reruns_give_identical_tables_and_parquet_bytes_whatever_the_thread_count(monkeypatch):
    rng = random.Random(3)
    n = 3000
    src = pa.table({"id": [rng.randrange(300) for _ in range(n)],
                    "ts": pa.array([T0 + timedelta(minutes=rng.randrange(50)) for _ in range(n)]),
                    "created": pa.array([T0 + timedelta(minutes=rng.randrange(100)) for _ in range(n)]),
                    **{f"f{k}": [rng.choice([rng.random(), None]) for _ in range(n)] for k in range(3)}})
    rows = entities([rng.randrange(320) for _ in range(2000)], [T0 + timedelta(minutes=rng.randrange(120)) for _ in range(2000)])

    def run(threads: int, known: bool) -> tuple[pa.Table, bytes]:
        original = offline_sql.JoinSession.__init__

        def init(self) -> None:
            original(self)
            self.connection.execute(f"SET threads = {threads}")

        monkeypatch.setattr(offline_sql.JoinSession, "__init__", init)
        out = point_in_time_join(rows, [view(src, ("f0", "f1", "f2"), created="created")], known_at_time=known)
        sink = io.BytesIO()
        pq.write_table(out, sink, compression="zstd", row_group_size=1000)
        return out, sink.getvalue()

    for known in (True, False):
        first = run(1, known)
        for threads in (2, 4):
            again = run(threads, known)
            assert again[0].equals(first[0])
            assert again[1] == first[1]


# ---------------------------------------------------------------- the oracle


def oracle(rows: list[dict], src: list[dict], *, ttl, created: bool, known: bool, as_of) -> list[set]:
    """For each entity row, the set of acceptable values (more than one only for a full tie)."""
    answers = []
    for row in rows:
        t = row["event_timestamp"]
        candidates = []
        for s in src:
            c = (s["created"] or s["ts"]) if created else s["ts"]
            if t is None or row["id"] is None or s["id"] != row["id"] or s["ts"] is None or s["ts"] > t:
                continue
            if ttl is not None and t - s["ts"] > ttl:
                continue
            if created and known and c > t:
                continue
            if as_of is not None and c > as_of:
                continue
            candidates.append((s["ts"], c if created else s["ts"], s["value"]))
        if not candidates:
            answers.append({None})
            continue
        best = max(x[:2] for x in candidates)
        answers.append({x[2] for x in candidates if x[:2] == best})
    return answers


@pytest.mark.parametrize("seed", range(6))
def test_the_join_matches_a_brute_force_oracle_on_random_data(seed):
    rng = random.Random(seed)

    def moment() -> datetime | None:  # few distinct times, so that ties and edges are common
        return None if rng.random() < 0.03 else T0 + timedelta(minutes=rng.randrange(12))

    src = [{"id": rng.choice([1, 2, 3, 4, None]), "ts": moment(), "created": moment(),
            "value": rng.choice([None, *range(6)])} for _ in range(250)]
    rows = [{"id": rng.choice([1, 2, 3, 5, None]), "event_timestamp": moment()} for _ in range(150)]
    src_table = pa.table({"id": pa.array([s["id"] for s in src], pa.int64()),
                          "ts": pa.array([s["ts"] for s in src], pa.timestamp("us")),
                          "created": pa.array([s["created"] for s in src], pa.timestamp("us")),
                          "value": pa.array([s["value"] for s in src], pa.int64())})
    row_table = pa.table({"id": pa.array([r["id"] for r in rows], pa.int64()),
                          "event_timestamp": pa.array([r["event_timestamp"] for r in rows], pa.timestamp("us"))})
    for created in (False, True):
        for known in (True, False):
            for ttl in (None, timedelta(minutes=3)):
                for as_of in (None, T0 + timedelta(minutes=6)):
                    v = view(src_table, created="created" if created else None, ttl=ttl)
                    got = values(point_in_time_join(row_table, [v], known_at_time=known, as_of=as_of))
                    want = oracle(rows, src, ttl=ttl, created=created, known=known, as_of=as_of)
                    wrong = [(i, g, w) for i, (g, w) in enumerate(zip(got, want, strict=True)) if g not in w]
                    assert not wrong, (created, known, ttl, as_of, wrong[:5])


# ---------------------------------------------------------------- bad input


def test_missing_source_file_names_the_view(tmp_path):
    with pytest.raises(ValidationError, match=r"source of feature view 'v', .*nope.parquet, does not exist"):
        point_in_time_join(entities([1], [T0]), [view(str(tmp_path / "nope.parquet"))])


def test_a_source_that_is_not_parquet_names_the_view(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(ValidationError, match="feature view 'v' is not readable Parquet"):
        point_in_time_join(entities([1], [T0]), [view(str(bad))])


@pytest.mark.parametrize(("kwargs", "column", "role"), [
    ({"features": ("value", "missing")}, "missing", "feature"),
    ({"keys": ("user",)}, "user", "join key"),
    ({"ts": "when"}, "when", "timestamp field"),
    ({"created": "loaded"}, "loaded", "created timestamp field"),
])
def test_a_column_missing_in_the_source_is_named_with_the_sources_columns(kwargs, column, role):
    rows = entities([1], [T0]).append_column("user", pa.array([1]))
    with pytest.raises(ValidationError, match=rf"feature view 'v' has no column '{column}' \(its {role}\); "
                                              r"its columns: id, ts, value$"):
        point_in_time_join(rows, [view(source([1], [T0], [1.0]), **kwargs)])


def test_entity_rows_without_the_timestamp_column_or_a_key():
    src = source([1], [T0], [1.0])
    with pytest.raises(ValidationError, match="no timestamp column 'event_timestamp'; their columns: id, when"):
        point_in_time_join(pa.table({"id": [1], "when": [T0]}), [view(src)])
    with pytest.raises(ValidationError, match="feature view 'v' joins on 'id', which the entity rows lack"):
        point_in_time_join(pa.table({"user": [1], "event_timestamp": [T0]}), [view(src)])
    assert values(point_in_time_join(pa.table({"id": [1], "when": [T0]}), [view(src)], timestamp_column="when")) == [1.0]


def test_times_that_are_not_times():
    src = source([1], [T0], [1.0])
    with pytest.raises(ValidationError, match=r"column 'event_timestamp' is string, not a time; .*to_datetime"):
        point_in_time_join(pa.table({"id": [1], "event_timestamp": ["2024-01-01"]}), [view(src)])
    text_ts = src.set_column(1, "ts", pa.array(["2024-01-01"]))
    with pytest.raises(ValidationError, match="column 'ts' of the source of feature view 'v' is VARCHAR, not a time"):
        point_in_time_join(entities([1], [T0]), [view(text_ts)])
    with pytest.raises(ValidationError, match="as_of must be a datetime"):
        point_in_time_join(entities([1], [T0]), [view(src)], as_of="2024-01-01")


def test_other_bad_input():
    src = source([1], [T0], [1.0])
    rows = entities([1], [T0])
    with pytest.raises(ValidationError, match="'id', which is VARCHAR in its source and BIGINT in the entity rows"):
        point_in_time_join(rows, [view(src.set_column(0, "id", pa.array(["1"])))])
    with pytest.raises(ValidationError, match="negative ttl"):
        point_in_time_join(rows, [view(src, ttl=timedelta(hours=-1))])
    with pytest.raises(ValidationError, match="the SQL source of feature view 'v' fails: .*no_such_table"):
        point_in_time_join(rows, [view("SELECT * FROM no_such_table")])
    with pytest.raises(ValidationError, match="lists feature 'value' twice"):
        point_in_time_join(rows, [view(src, ("value", "value"))])
    with pytest.raises(ValidationError, match="'id' of view 'v' has the name of a column of the entity rows"):
        point_in_time_join(rows, [view(src, ("id",))])
    with pytest.raises(ValidationError, match="cannot read the entity rows"):
        point_in_time_join([{"id": 1}], [view(src)])
