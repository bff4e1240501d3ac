"""Training data: the point-in-time join of entity rows to feature views.

For every entity row (keys, a timestamp `t`, any other columns such as labels) and every view, the
feature values are those of the one source row that

1. has the same join keys (a NULL key in the entity rows matches nothing, never a NULL key);
2. happened at or before the row: event time ≤ t (equal counts; one microsecond later does not);
3. is within the view's TTL: t − event time ≤ ttl (exactly ttl old still counts); no TTL, no limit;
4. was known at the time (the default, `known_at_time=True`): where the view has a created
   (ingestion) timestamp, created ≤ t, so data loaded late is not used to train on a past it
   arrived after. A source row without a created time is taken as known at its event time;
5. was known by `as_of`, if given: created ≤ as_of (event time ≤ as_of without a created field),
   so a training set is rebuilt as it could have been built at that moment, whatever came later;

and among those, the latest by event time; equal event times go to the latest created time, then
to the greatest 64-bit hash of the row's feature values (taken in feature-name order), which does
not depend on file or row order: rows that still tie hold the same values. A row without any such
source row (an unknown key, nothing early enough, all too old) gets NULL for that view's features.
A NULL feature value is a value: the latest row wins even where its value is NULL.

Times: every timestamp (the entity column, event and created fields, `as_of`) is normalised to
UTC before comparing; a naive timestamp is taken as UTC, so naive and zone-aware inputs mix
without error; a DATE is midnight UTC. Comparisons are exact to the microsecond, or to the
nanosecond where any of the times involved has nanosecond precision.

The result is the entity rows as given (same order, columns and types; a pandas index is not
kept), then one column per feature, named `feature` or, with `full_feature_names`, `view__feature`,
with the source's type. The same call on the same sources gives an equal table (and identical
Parquet bytes), whatever the thread count or the order of source files and rows.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from mloop.core.errors import ValidationError
from mloop.features.offline_sql import ROW, JoinSession, ViewSql, entity_sql, epoch, feature_column, join_sql
from mloop.quality.inputs import as_arrow_table, literal, quote

_ENTITIES = "mloop_entities"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class ViewQuery:
    """What the join needs of one feature view: where its rows are and which columns mean what."""

    name: str
    #: a Parquet file, folder or glob; a pandas, polars or pyarrow table; or SQL text (SELECT/WITH)
    source: Any
    join_keys: tuple[str, ...]
    timestamp_field: str
    created_timestamp_field: str | None
    features: tuple[str, ...]
    #: a value older than this at the row's time is missing; None: no limit
    ttl: timedelta | None


def point_in_time_join(entity_rows: Any, views: Sequence[ViewQuery], *, timestamp_column: str = "event_timestamp",
                       as_of: datetime | None = None, known_at_time: bool = True,
                       full_feature_names: bool = False) -> Any:
    """The entity rows (a pandas, polars or pyarrow table) with, for each row, each view's latest
    feature values as known at the row's time, as a pyarrow Table (rules in the module docstring)."""
    import numpy as np
    import pyarrow as pa

    entities = as_arrow_table(entity_rows, "the entity rows")
    views = list(views)
    names = _output_names(views, entities.column_names, full_feature_names)
    _check_entities(entities, views, timestamp_column)
    as_of_instant = _instant(as_of) if as_of is not None else None
    keys = list(dict.fromkeys(k for view in views for k in view.join_keys))
    probe = entities.select(list(dict.fromkeys([*keys, timestamp_column])))
    probe = probe.append_column(ROW, pa.array(np.arange(entities.num_rows, dtype=np.int64)))

    session = JoinSession()
    try:
        session.register(_ENTITIES, probe)
        entity_types = dict(session.describe(_ENTITIES, what="cannot read the entity rows"))
        sources = [_open_source(session, index, view) for index, view in enumerate(views)]
        for view, (_, columns, _) in zip(views, sources, strict=True):
            _check_source(view, columns, entity_types)
        time_types = [entity_types[timestamp_column]] + [
            columns[field] for view, (_, columns, _) in zip(views, sources, strict=True)
            for field in (view.timestamp_field, view.created_timestamp_field) if field]
        unit = "ns" if any("_NS" in t.upper() for t in time_types) else "us"
        result = entities
        for view, (relation, _, source_schema), view_names in zip(views, sources, names, strict=True):
            sql = join_sql(_view_sql(view, relation, unit, as_of_instant, known_at_time),
                           entity_sql(_ENTITIES, view.join_keys, epoch(quote(timestamp_column), unit)))
            joined = session.arrow(sql, what=f"cannot join feature view {view.name!r}")
            for index, name in enumerate(view_names):
                column = joined.column(feature_column(index)).combine_chunks()
                result = result.append_column(name, _as_source_type(column, source_schema, view.features[index]))
        return result
    finally:
        session.close()


def _view_sql(view: ViewQuery, relation: str, unit: str, as_of: tuple[int, int] | None,
              known_at_time: bool) -> ViewSql:
    ttl = None
    if view.ttl is not None:
        if view.ttl < timedelta(0):
            raise ValidationError(f"feature view {view.name!r} has a negative ttl ({view.ttl}); give a "
                                  "positive timedelta, or None for no limit")
        ttl = view.ttl // timedelta(microseconds=1) * (1000 if unit == "ns" else 1)
    created = view.created_timestamp_field
    return ViewSql(relation=relation, keys=tuple(view.join_keys), event_time=epoch(quote(view.timestamp_field), unit),
                   created_time=epoch(quote(created), unit) if created else None, features=tuple(view.features),
                   ttl=ttl, as_of=None if as_of is None else (as_of[0] * 1000 + as_of[1] if unit == "ns" else as_of[0]),
                   known_at_time=known_at_time)


def _instant(moment: Any) -> tuple[int, int]:
    """`moment` as (microseconds since the epoch in UTC, extra nanoseconds); naive means UTC."""
    if not isinstance(moment, datetime):
        raise ValidationError(f"as_of must be a datetime, not {type(moment).__name__}; e.g. "
                              "datetime(2024, 1, 1, tzinfo=timezone.utc)")
    aware = moment if moment.tzinfo is not None and moment.utcoffset() is not None else moment.replace(
        tzinfo=timezone.utc)
    return (aware - _EPOCH) // timedelta(microseconds=1), int(getattr(moment, "nanosecond", 0))


# ---------------------------------------------------------------- inputs


def _check_entities(entities: Any, views: list[ViewQuery], timestamp_column: str) -> None:
    import pyarrow as pa

    columns = entities.column_names
    if timestamp_column not in columns:
        raise ValidationError(f"the entity rows have no timestamp column {timestamp_column!r}; their columns: "
                              f"{', '.join(columns)}; add it, or pass timestamp_column=")
    kind = entities.schema.field(timestamp_column).type
    if not (pa.types.is_timestamp(kind) or pa.types.is_date(kind)):
        raise ValidationError(f"the entity rows' column {timestamp_column!r} is {kind}, not a time; convert it, "
                              f"e.g. pandas.to_datetime(df[{timestamp_column!r}], utc=True)")
    for view in views:
        for key in view.join_keys:
            if key not in columns:
                raise ValidationError(f"feature view {view.name!r} joins on {key!r}, which the entity rows lack; "
                                      f"their columns: {', '.join(columns)}")


def _output_names(views: list[ViewQuery], entity_columns: list[str], full_names: bool) -> list[list[str]]:
    owner: dict[str, str] = {}
    names = []
    for view in views:
        if not view.join_keys:
            raise ValidationError(f"feature view {view.name!r} has no join keys; give at least one entity key")
        view_names = []
        for feature in view.features:
            name = f"{view.name}__{feature}" if full_names else feature
            if name in owner:
                if owner[name] == view.name:
                    raise ValidationError(f"feature view {view.name!r} lists feature {feature!r} twice; list it once")
                raise ValidationError(f"feature {feature!r} comes from both view {owner[name]!r} and view "
                                      f"{view.name!r}; pass full_feature_names=True to get view__feature names")
            if name in entity_columns:
                raise ValidationError(f"feature {name!r} of view {view.name!r} has the name of a column of the "
                                      "entity rows; rename that column or pass full_feature_names=True")
            owner[name] = view.name
            view_names.append(name)
        names.append(view_names)
    return names


def _open_source(session: JoinSession, index: int, view: ViewQuery) -> tuple[str, dict[str, str], Any]:
    """The view's source as relation `mloop_source_<index>` in `session`, its column types, and its
    Arrow schema if it is a table in memory (else None)."""
    relation = f"mloop_source_{index}"
    source = view.source
    schema = None
    what = f"cannot read the source of feature view {view.name!r}"
    if isinstance(source, str) and source.lstrip().upper().startswith(("SELECT", "WITH")):
        session.execute(f"CREATE TEMP VIEW {relation} AS {source}",
                        what=f"the SQL source of feature view {view.name!r} fails")
    elif isinstance(source, (str, os.PathLike)):
        files = _parquet_files(view.name, str(source))
        listing = ", ".join(literal(f) for f in files)
        session.execute(f"CREATE TEMP VIEW {relation} AS SELECT * FROM read_parquet([{listing}], union_by_name=true)",
                        what=f"the source of feature view {view.name!r} is not readable Parquet")
    else:
        table = as_arrow_table(source, f"the source of feature view {view.name!r}")
        session.register(relation, table)
        schema = table.schema
    return relation, dict(session.describe(relation, what=what)), schema


def _parquet_files(view: str, text: str) -> list[str]:
    path = Path(text)
    if any(ch in text for ch in "*?["):
        files = sorted(glob.glob(text, recursive=True))
    elif path.is_dir():
        files = sorted(str(p) for p in path.rglob("*.parquet"))
    else:
        files = [text] if path.is_file() else []
    if not files:
        raise ValidationError(f"the source of feature view {view!r}, {text}, does not exist or holds no .parquet "
                              "file; give a Parquet file, folder or glob, a table, or SQL")
    return files


def _check_source(view: ViewQuery, columns: dict[str, str], entity_types: dict[str, str]) -> None:
    roles = [(k, "join key") for k in view.join_keys] + [(view.timestamp_field, "timestamp field")]
    if view.created_timestamp_field:
        roles.append((view.created_timestamp_field, "created timestamp field"))
    roles += [(f, "feature") for f in view.features]
    for column, role in roles:
        if column not in columns:
            raise ValidationError(f"the source of feature view {view.name!r} has no column {column!r} (its {role}); "
                                  f"its columns: {', '.join(columns)}")
    for field in (view.timestamp_field, view.created_timestamp_field):
        if field and not _is_time(columns[field]):
            raise ValidationError(f"column {field!r} of the source of feature view {view.name!r} is "
                                  f"{columns[field]}, not a time; store it as a timestamp")
    for key in view.join_keys:
        if _kind(columns[key]) != _kind(entity_types[key]):
            raise ValidationError(f"feature view {view.name!r} joins on {key!r}, which is {columns[key]} in its source "
                                  f"and {entity_types[key]} in the entity rows; cast one to the other's type")


def _is_time(sql_type: str) -> bool:
    upper = sql_type.upper()
    return upper.startswith("TIMESTAMP") or upper == "DATE"


def _kind(sql_type: str) -> str:
    base = sql_type.upper().split("(")[0].strip()
    numbers = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
               "UBIGINT", "UHUGEINT", "DECIMAL", "FLOAT", "DOUBLE")
    if base in numbers:
        return "number"
    if _is_time(base):
        return "time"
    return base


def _as_source_type(column: Any, schema: Any, feature: str) -> Any:
    """`column` with the type the feature has in an in-memory source (DuckDB reads e.g. large_string
    as string); a Parquet or SQL source keeps DuckDB's type."""
    if schema is None or feature not in schema.names:
        return column
    import pyarrow as pa

    wanted = schema.field(feature).type
    if column.type == wanted:
        return column
    try:
        return column.cast(wanted)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):  # no lossless way back
        return column
