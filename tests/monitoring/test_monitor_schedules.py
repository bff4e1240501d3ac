"""When monitors run: cron expressions and fixed intervals, as the scheduler asks for them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import mloop
from mloop.core.cadence import parse_cadence


def next_run(schedule: str, after: datetime) -> datetime:
    """When a monitor with `schedule` runs next (its schedule `monitor:NAME` reads the same cadence)."""
    return parse_cadence(schedule).next_after(after)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_next_run_of_a_cron_expression_and_an_interval() -> None:
    assert next_run("*/10 * * * *", utc("2026-12-01 12:03")) == utc("2026-12-01 12:10")
    assert next_run("*/10 * * * *", utc("2026-12-01 12:10")) == utc("2026-12-01 12:20")  # strictly after
    assert next_run("0 6 * * 1", utc("2026-12-01 12:00")) == utc("2026-12-07 06:00")  # Monday 06:00
    # intervals fall on multiples since the epoch: every process agrees on the times
    assert next_run("@every 5m", utc("2026-12-01 12:03:30")) == utc("2026-12-01 12:05")
    assert next_run("@every 5m", utc("2026-12-01 12:05")) == utc("2026-12-01 12:10")
    assert next_run("@every 1h30m", utc("2026-12-01 00:00")) == utc("2026-12-01 01:30")


def test_a_schedule_that_does_not_parse_is_refused_when_declared() -> None:
    for schedule in ("every day", "@every soon", "61 * * * *", ""):
        with pytest.raises(mloop.ValidationError, match="monitor 'm'"):
            mloop.Monitor("m", "volume", model="fraud", schedule=schedule)
