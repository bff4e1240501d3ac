"""When a monitor runs: a cron expression ("*/5 * * * *") or a fixed interval ("@every 5m"), read
by core.cadence like every schedule (the scheduler runs the monitor on it; see scheduled.py)."""

from __future__ import annotations

from mloop.core.cadence import parse_cadence
from mloop.core.errors import ValidationError


def check_schedule(schedule: str, where: str = "schedule") -> None:
    """ValidationError (naming `where` and the forms accepted) unless `schedule` parses."""
    if not isinstance(schedule, str) or not schedule.strip():
        raise ValidationError(f"{where}: schedule must be text such as '*/5 * * * *' or '@every 5m', "
                              f"not {schedule!r}")
    try:
        parse_cadence(schedule)
    except ValidationError as exc:
        raise ValidationError(f"{where}: {exc}") from None
