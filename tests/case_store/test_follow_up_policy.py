"""When a follow-up may go: quiet hours read in the deployment's zone, one per local day."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from case_store.follow_ups import (
    QUIET_HOURS,
    SENT_TODAY,
    Hold,
    InvalidQuietHours,
    QuietHours,
    follow_up_hold,
    parse_quiet_hours,
)

NAIROBI = ZoneInfo("Africa/Nairobi")
NIGHT = QuietHours(time(21), time(7))


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=NAIROBI)


@pytest.mark.parametrize(
    ("text", "starts", "ends"),
    [("21:00-07:00", time(21), time(7)), ("9:30-11:45", time(9, 30), time(11, 45))],
)
def test_quiet_hours_are_read(text, starts, ends):
    assert parse_quiet_hours(f" {text} ") == QuietHours(starts, ends)


@pytest.mark.parametrize("text", ["", "21-07", "21:00 to 07:00", "25:00-07:00", "21:60-07:00"])
def test_unreadable_quiet_hours_are_refused(text):
    with pytest.raises(InvalidQuietHours):
        parse_quiet_hours(text)


def test_quiet_hours_must_not_be_empty_or_everything():
    with pytest.raises(InvalidQuietHours, match="end at another time"):
        parse_quiet_hours("07:00-07:00")


@pytest.mark.parametrize(
    ("hours", "quiet", "loud"),
    [
        (NIGHT, [time(21), time(23, 59), time(0), time(6, 59)], [time(7), time(12), time(20, 59)]),
        (QuietHours(time(12), time(14)), [time(12), time(13, 59)], [time(11, 59), time(14)]),
    ],
)
def test_quiet_hours_contain_their_start_and_not_their_end(hours, quiet, loud):
    assert all(hours.contains(moment) for moment in quiet)
    assert not any(hours.contains(moment) for moment in loud)


@pytest.mark.parametrize(
    ("now", "last_sent", "hold"),
    [
        (local(2, 10), None, None),
        (local(2, 10), local(1, 23, 59), None),  # yesterday's does not count
        (local(2, 22), None, Hold(local(3, 7).astimezone(UTC), QUIET_HOURS)),
        (local(2, 6), None, Hold(local(2, 7).astimezone(UTC), QUIET_HOURS)),
        (local(2, 15), local(2, 10), Hold(local(3, 7).astimezone(UTC), SENT_TODAY)),
        (local(2, 22), local(2, 10), Hold(local(3, 7).astimezone(UTC), SENT_TODAY)),
    ],
)
def test_a_follow_up_waits_for_the_quiet_hours_to_end_and_for_the_next_day(now, last_sent, hold):
    found = follow_up_hold(now, last_sent=last_sent, quiet_hours=NIGHT, time_zone=NAIROBI)
    assert found == hold


def test_without_quiet_hours_the_next_day_starts_at_local_midnight():
    found = follow_up_hold(local(2, 15), last_sent=local(2, 1), quiet_hours=None, time_zone=NAIROBI)
    assert found == Hold(local(3, 0).astimezone(UTC), SENT_TODAY)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        naive = datetime(2026, 3, 2, 10)
        follow_up_hold(naive, last_sent=None, quiet_hours=None, time_zone=NAIROBI)
