"""freshness: is the newest event of a data source recent enough?

`source` is a Parquet file or folder (its newest `options.time_column`, default the first of
event_time, timestamp, time, created_at it has, read by DuckDB) or a feature view name (the newest
event time materialized online, mloop.feature_freshness). The value is the age in seconds at the
window's end; the monitor fails when it is above `threshold` seconds or `options.max_age` (a
duration such as "6h"; for a feature view, its TTL by default). An empty source is no_data."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from mloop.core.durations import format_duration, parse_duration
from mloop.core.errors import NotFoundError, ValidationError
from mloop.monitoring.model import Measurement, Monitor, Status

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace

TIME_COLUMNS = ("event_time", "timestamp", "time", "created_at")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def evaluate(monitor: Monitor, workspace: Workspace, start: datetime, end: datetime) -> Measurement:
    source = monitor.source or ""
    path = Path(source) if Path(source).is_absolute() else workspace.settings.root / source
    if path.exists():
        newest, rows = _parquet_newest(path, monitor.options.get("time_column"))
        limit = _limit(monitor, None)
    elif any(sep in source for sep in ("/", "\\")) or source.endswith(".parquet"):
        raise NotFoundError(f"monitor {monitor.name!r}: source {source} does not exist; point source at a Parquet "
                            "file or folder, or a feature view name")
    else:
        newest, rows, ttl = _view_newest(source, end, workspace)
        limit = _limit(monitor, ttl)
    if newest is None:
        return Measurement("no_data", None, limit, f"{source} holds no rows", rows=0)
    age = (end - newest).total_seconds()
    shown = format_duration(parse_duration(f"{max(round(age), 1)}s"))
    if limit is None:
        return Measurement("passed", age, None, f"newest event {shown} old (no limit set)", rows=rows,
                           values={"newest_event_time": newest.isoformat()})
    verdict: Status = "failed" if age > limit else "passed"
    limit_text = format_duration(parse_duration(f"{limit:g}s"))
    summary = f"newest event of {source} is {shown} old ({'over' if age > limit else 'within'} {limit_text})"
    return Measurement(verdict, age, limit, summary, rows=rows, values={"newest_event_time": newest.isoformat()})


def _limit(monitor: Monitor, default: float | None) -> float | None:
    if monitor.threshold is not None:
        return float(monitor.threshold)
    max_age = monitor.options.get("max_age")
    if max_age is None:
        return default
    try:
        return parse_duration(max_age).total_seconds()
    except ValueError as exc:
        raise ValidationError(f"monitor {monitor.name!r}: options.max_age {exc}") from None


def _parquet_newest(path: Path, column: str | None) -> tuple[datetime | None, int]:
    from mloop.quality.inputs import duckdb_module

    pattern = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
    connection = duckdb_module().connect()
    try:
        connection.execute("SET TimeZone = 'UTC'").fetchall()
        names = [row[0] for row in connection.execute("DESCRIBE SELECT * FROM read_parquet(?)", [pattern]).fetchall()]
        if column is None:
            column = next((name for name in TIME_COLUMNS if name in names), None)
        if column is None or column not in names:
            raise ValidationError(f"{path} has no time column {column or '/'.join(TIME_COLUMNS)}; set "
                                  f"options.time_column to one of: {', '.join(names)}")
        quoted = '"' + column.replace('"', '""') + '"'
        newest, rows = connection.execute(
            f"SELECT epoch_us(max({quoted})::TIMESTAMPTZ), count(*) FROM read_parquet(?)", [pattern]).fetchone()
    finally:
        connection.close()
    # microseconds since the epoch: a TIMESTAMPTZ handed to Python would need pytz
    return (EPOCH + timedelta(microseconds=newest) if newest is not None else None), int(rows)


def _view_newest(view: str, end: datetime, workspace: Workspace) -> tuple[datetime | None, int, float | None]:
    from mloop.features import feature_freshness

    found = feature_freshness([view], now=end, workspace=workspace)[0]
    newest = found["newest_event_time"]
    return (datetime.fromisoformat(newest) if newest else None), int(found["rows"] or 0), found["ttl_seconds"]
