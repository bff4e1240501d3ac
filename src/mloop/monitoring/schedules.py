"""When a monitor runs: a cron expression ("*/5 * * * *") or a fixed interval ("@every 5m").
The scheduler asks `next_run(schedule, after)` for each monitor's next time."""

from __future__ import annotations

from datetime import datetime, timedelta

from mloop.core.durations import parse_duration
from mloop.core.errors import ValidationError

_EVERY = "@every"


def check_schedule(schedule: str, where: str = "schedule") -> None:
    """ValidationError (naming `where` and the forms accepted) unless `schedule` parses."""
    if not isinstance(schedule, str) or not schedule.strip():
        raise ValidationError(f"{where}: schedule must be text such as '*/5 * * * *' or '@every 5m', "
                              f"not {schedule!r}")
    text = schedule.strip()
    if text.startswith(_EVERY):
        try:
            parse_duration(text[len(_EVERY):].strip())
        except ValueError as exc:
            raise ValidationError(f"{where}: schedule {text!r}: the interval {exc}") from None
        return
    from croniter import croniter

    if not croniter.is_valid(text):
        raise ValidationError(f"{where}: schedule {text!r} is neither a cron expression (5 fields, "
                              "e.g. '*/5 * * * *') nor '@every DURATION' (e.g. '@every 5m')")


def next_run(schedule: str, after: datetime) -> datetime:
    """The first time the schedule fires strictly after `after` (a UTC datetime). An interval
    fires on multiples of itself since the Unix epoch, so every process agrees on the times."""
    text = schedule.strip()
    if text.startswith(_EVERY):
        step = parse_duration(text[len(_EVERY):].strip()).total_seconds()
        epoch = datetime(1970, 1, 1, tzinfo=after.tzinfo)
        elapsed = (after - epoch).total_seconds()
        return epoch + timedelta(seconds=(elapsed // step + 1) * step)
    from croniter import croniter

    fired: datetime = croniter(text, after).get_next(datetime)
    return fired
