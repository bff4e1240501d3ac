"""When a schedule is due: a cron expression ("0 3 * * *", "@daily", in the schedule's timezone)
or a fixed interval ("@every 5m", aligned to the Unix epoch, so "@every 5m" fires at :00, :05...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING

from mloop.core.durations import parse_duration
from mloop.core.errors import ValidationError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Cadence:
    expression: str
    timezone: str
    #: set for "@every <duration>"; None for cron
    interval: timedelta | None

    def next_after(self, moment: datetime) -> datetime:
        """The first due time strictly after `moment` (UTC)."""
        if self.interval is not None:
            steps = (moment - _EPOCH) // self.interval
            return _EPOCH + (steps + 1) * self.interval
        from croniter import croniter

        local = moment.astimezone(_zone(self.timezone))
        return croniter(self.expression, local).get_next(datetime).astimezone(timezone.utc)

    def latest_at_or_before(self, moment: datetime) -> datetime:
        """The last due time at or before `moment` (UTC)."""
        if self.interval is not None:
            return _EPOCH + ((moment - _EPOCH) // self.interval) * self.interval
        from croniter import croniter

        local = (moment + _TICK).astimezone(_zone(self.timezone))
        latest: datetime = croniter(self.expression, local).get_prev(datetime).astimezone(timezone.utc)
        return latest


def parse_cadence(expression: str, timezone_name: str = "UTC") -> Cadence:
    """A cron expression or "@every <duration>", checked; ValidationError (one line) otherwise."""
    text = " ".join(str(expression).split())
    _zone(timezone_name)
    if text.startswith("@every"):
        try:
            interval = parse_duration(text[len("@every"):].strip())
        except ValueError as exc:
            raise ValidationError(f"schedule {expression!r}: @every {exc}, e.g. '@every 5m'") from None
        return Cadence(text, timezone_name, interval)
    from croniter import croniter

    if not text or not croniter.is_valid(text):
        raise ValidationError(f"schedule {expression!r} is not a cron expression; write 5 fields like '0 3 * * *' "
                              "(minute hour day month weekday), '@daily' or '@every 5m'")
    return Cadence(text, timezone_name, None)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown timezone {name!r}; use an IANA name such as 'UTC' or 'Europe/Paris'") from None
