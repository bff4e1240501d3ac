"""Materialization: the latest value of each entity's features, as known at `end`, written into the
online store.

"Latest as known at `end`" is computed by the point-in-time join itself — one entity row per key
at time `end`, without the TTL (the online read reports age and TTL at request time) — so the
value served online is, by construction, the value a training row at that time gets: same
transform, same rule, same tie-break. An incremental run only joins the entities whose rows
changed since the last materialization of the view into that store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.errors import ValidationError
from mloop.core.ids import new_id
from mloop.features.definitions import FeatureView
from mloop.features.resolve import select
from mloop.features.sources import parquet_files, view_rows
from mloop.stores.metadata.features import MaterializationRecord
from mloop.stores.workspace import Workspace, get_workspace


@dataclass
class Materialized:
    view: str
    version: int | None
    start: datetime | None
    end: datetime
    rows: int
    newest_event_time: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}


def online_store(workspace: Workspace) -> Any:
    from mloop.stores.opened import online_store as opened

    return opened(workspace.settings.online_url)


def materialize(start: datetime | str | None, end: datetime | str | None = None, *, views: Sequence[str] | None = None,
                workspace: Workspace | None = None,
                on_progress: Callable[[str, int], None] | None = None) -> list[Materialized]:
    """Write into the online store the latest values, as known at `end` (default now), of the
    entities whose rows have an event or created time in (start, end]; `start=None` means all."""
    workspace = workspace or get_workspace()
    end_time = _utc(end) or utcnow()
    start_time = _utc(start)
    if start_time is not None and start_time >= end_time:
        raise ValidationError(f"start {start_time.isoformat()} is not before end {end_time.isoformat()}")
    return [_one(view, version, start_time, end_time, workspace, on_progress)
            for view, version in _views(views, workspace)]


def materialize_incremental(end: datetime | str | None = None, *, views: Sequence[str] | None = None,
                            workspace: Workspace | None = None,
                            on_progress: Callable[[str, int], None] | None = None) -> list[Materialized]:
    """Materialize each view from where its last materialization into this online store ended."""
    workspace = workspace or get_workspace()
    end_time = _utc(end) or utcnow()
    done = []
    url = workspace.settings.online_url
    for view, version in _views(views, workspace):
        last = workspace.features.materializations([view.name], online_url=url, limit=1)
        start_time = last[-1].end_time if last else None
        if start_time is not None and start_time.tzinfo is None:
            start_time = start_time.replace(tzinfo=timezone.utc)
        if start_time is not None and start_time >= end_time:
            done.append(Materialized(view.name, version, start_time, end_time, 0, None))
            continue
        done.append(_one(view, version, start_time, end_time, workspace, on_progress))
    return done


def _views(names: Sequence[str] | None, workspace: Workspace) -> list[tuple[FeatureView, int | None]]:
    if names is None:
        names = [d.name for d in workspace.features.latest_definitions("view")]
        if not names:
            raise ValidationError("no feature views to materialize; apply your definitions first: "
                                  "mloop features apply FILE")
    selection = select(list(names), workspace)
    return [(view, selection.versions.get(name)) for name, view in selection.views.items()]


def _one(view: FeatureView, version: int | None, start: datetime | None, end: datetime, workspace: Workspace,
         on_progress: Callable[[str, int], None] | None) -> Materialized:
    import pyarrow as pa
    import pyarrow.compute as pc

    from mloop.features.offline import ViewQuery, point_in_time_join
    from mloop.stores.online import entity_keys

    rows = view_rows(view)
    keys = _changed_keys(view, rows, start, end)
    written, newest = 0, None
    if keys.num_rows:
        entities = keys.append_column("event_timestamp", pa.array([end] * keys.num_rows, pa.timestamp("us", "UTC")))
        query = ViewQuery(name=view.name, source=rows, join_keys=view.join_keys,
                          timestamp_field=view.source.timestamp_field,
                          created_timestamp_field=view.source.created_timestamp_field,
                          features=(*view.features, view.source.timestamp_field), ttl=None)
        joined = point_in_time_join(entities, [query], full_feature_names=True)
        times = joined.column(f"{view.name}__{view.source.timestamp_field}")
        found = pc.is_valid(times)
        joined = joined.filter(found)
        if joined.num_rows:
            values = pa.table({f: joined.column(f"{view.name}__{f}") for f in view.features})
            event_times = joined.column(f"{view.name}__{view.source.timestamp_field}")
            written = online_store(workspace).write_batch(
                view.name, entity_keys([joined.column(k) for k in view.join_keys]), event_times, values)
            newest = pc.max(event_times).as_py()
    record = MaterializationRecord(id=new_id(), view=view.name, version=version or 0, start_time=start, end_time=end,
                                   rows=written, newest_event_time=newest, online_url=workspace.settings.online_url,
                                   finished_at=utcnow())
    workspace.features.record_materialization(record)
    if on_progress is not None:
        on_progress(view.name, written)
    return Materialized(view.name, version, start, end, written, newest)


def _changed_keys(view: FeatureView, rows: Any, start: datetime | None, end: datetime) -> Any:
    """The distinct join keys of rows with an event (or created) time in (start, end]."""
    from mloop.quality.inputs import Interruptible, duckdb_module, quote

    duckdb = duckdb_module()
    connection = duckdb.connect()
    try:
        if isinstance(rows, str) and rows.lstrip().upper().startswith(("SELECT", "WITH")):
            relation = f"({rows})"
        elif isinstance(rows, str):
            files = ", ".join(_quote_text(f) for f in parquet_files(view))
            relation = f"read_parquet([{files}], union_by_name=true)"
        else:
            connection.register("mloop_rows", rows)
            relation = "mloop_rows"
        times = [view.source.timestamp_field] + ([view.source.created_timestamp_field]
                                                 if view.source.created_timestamp_field else [])
        window = " OR ".join(
            f"(CAST({quote(t)} AS TIMESTAMPTZ) <= {_ts(end)}"
            + (f" AND CAST({quote(t)} AS TIMESTAMPTZ) > {_ts(start)}" if start else "") + ")" for t in times)
        keys = ", ".join(quote(k) for k in view.join_keys)
        not_null = " AND ".join(f"{quote(k)} IS NOT NULL" for k in view.join_keys)
        sql = f"SELECT DISTINCT {keys} FROM {relation} WHERE ({window}) AND {not_null} ORDER BY {keys}"
        return Interruptible(connection).run(lambda: connection.sql(sql).to_arrow_table())
    except duckdb.Error as exc:
        raise ValidationError(f"feature view {view.name!r}: cannot read its source: "
                              f"{str(exc).strip().splitlines()[0]}") from None
    finally:
        connection.close()


def _quote_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ts(moment: datetime) -> str:
    return f"TIMESTAMPTZ '{moment.astimezone(timezone.utc).isoformat()}'"


def _utc(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"{value!r} is not a time; write it as ISO 8601, e.g. 2026-11-30T00:00:00Z") from None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
