"""Cron and @every cadences: parsing, the next due time, the latest one passed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mloop.core.cadence import parse_cadence
from mloop.core.errors import ValidationError

UTC = timezone.utc


def test_every_is_aligned_to_the_epoch() -> None:
    every = parse_cadence("@every 5m")
    moment = datetime(2024, 5, 1, 12, 7, 30, tzinfo=UTC)
    assert every.interval == timedelta(minutes=5)
    assert every.next_after(moment) == datetime(2024, 5, 1, 12, 10, tzinfo=UTC)
    assert every.next_after(datetime(2024, 5, 1, 12, 10, tzinfo=UTC)) == datetime(2024, 5, 1, 12, 15, tzinfo=UTC)
    assert every.latest_at_or_before(moment) == datetime(2024, 5, 1, 12, 5, tzinfo=UTC)
    assert every.latest_at_or_before(datetime(2024, 5, 1, 12, 5, tzinfo=UTC)) == datetime(2024, 5, 1, 12, 5, tzinfo=UTC)
    assert parse_cadence("@every 1s").next_after(datetime(2024, 5, 1, 0, 0, 0, 300000, tzinfo=UTC)) == \
        datetime(2024, 5, 1, 0, 0, 1, tzinfo=UTC)


def test_cron_next_and_latest_in_the_schedules_timezone() -> None:
    daily = parse_cadence("0 3 * * *", "Europe/Paris")  # 03:00 in Paris is 01:00 UTC in May
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert daily.next_after(moment) == datetime(2024, 5, 2, 1, 0, tzinfo=UTC)
    assert daily.latest_at_or_before(moment) == datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
    exact = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
    assert daily.latest_at_or_before(exact) == exact
    assert daily.next_after(exact) == datetime(2024, 5, 2, 1, 0, tzinfo=UTC)
    assert parse_cadence("@hourly").next_after(moment) == datetime(2024, 5, 1, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(("expression", "zone", "message"), [
    ("61 * * * *", "UTC", "is not a cron expression; write 5 fields like"),
    ("every day", "UTC", "is not a cron expression"),
    ("@every soon", "UTC", "@every must be a duration"),
    ("0 3 * * *", "Mars/Olympus", "unknown timezone 'Mars/Olympus'"),
])
def test_bad_cadences_are_one_line_validation_errors(expression: str, zone: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as raised:
        parse_cadence(expression, zone)
    assert "\n" not in str(raised.value)
