"""When a reporter may be sent a follow-up: never in the deployment's quiet hours, at most one a
calendar day, both read in the deployment's time zone.

A reporter who agreed to SMS updates is told, in neutral words, that their reference was
updated when the case is acknowledged, referred or closed (``operations.follow_ups``; the job is
``workers.follow_ups``). A follow-up that falls in the quiet hours (``21:00-07:00``: an end at or
before the start runs past midnight) waits until they end; one that falls on a day that had one
already waits for the next day (and, if that starts in the quiet hours, until they end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from case_store.columns import as_utc

EXAMPLE = "21:00-07:00"
_HOURS = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")

QUIET_HOURS = "quiet_hours"
SENT_TODAY = "sent_today"


class InvalidQuietHours(ValueError):
    """Quiet hours not written like ``21:00-07:00``."""


@dataclass(frozen=True)
class QuietHours:
    starts: time
    ends: time

    def __post_init__(self) -> None:
        if self.starts == self.ends:
            raise InvalidQuietHours("quiet hours must end at another time than they start")

    def __str__(self) -> str:
        return f"{self.starts:%H:%M}-{self.ends:%H:%M}"

    def contains(self, local: time) -> bool:
        """Whether the local time of day ``local`` is quiet."""
        if self.starts < self.ends:
            return self.starts <= local < self.ends
        return local >= self.starts or local < self.ends

    def end_after(self, local: datetime) -> datetime:
        """When the quiet hours that ``local`` (an aware local time inside them) is in end."""
        ends = datetime.combine(local.date(), self.ends, tzinfo=local.tzinfo)
        if ends <= local:
            ends = datetime.combine(
                local.date() + timedelta(days=1), self.ends, tzinfo=local.tzinfo
            )
        return ends


def parse_quiet_hours(text: str) -> QuietHours:
    """``21:00-07:00`` (24-hour clock, local time)."""
    match = _HOURS.fullmatch(text.strip())
    if match is None:
        raise InvalidQuietHours(f"quiet hours look like {EXAMPLE!r}")
    hours_1, minutes_1, hours_2, minutes_2 = (int(part) for part in match.groups())
    if max(hours_1, hours_2) > 23 or max(minutes_1, minutes_2) > 59:
        raise InvalidQuietHours(f"quiet hours run from 00:00 to 23:59, as in {EXAMPLE!r}")
    return QuietHours(time(hours_1, minutes_1), time(hours_2, minutes_2))


@dataclass(frozen=True)
class Hold:
    """A follow-up that may not go now: when it may, and why (``QUIET_HOURS``, ``SENT_TODAY``)."""

    until: datetime  # UTC
    reason: str


def follow_up_hold(
    now: datetime,
    *,
    last_sent: datetime | None,
    quiet_hours: QuietHours | None,
    time_zone: tzinfo,
) -> Hold | None:
    """Whether a follow-up due ``now`` must wait, and until when; None when it may go now."""
    local = as_utc(now, "now").astimezone(time_zone)
    reason = None
    if last_sent is not None and as_utc(last_sent).astimezone(time_zone).date() >= local.date():
        local = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=time_zone)
        reason = SENT_TODAY
    if quiet_hours is not None and quiet_hours.contains(local.time()):
        local = quiet_hours.end_after(local)
        reason = reason or QUIET_HOURS
    if reason is None:
        return None
    return Hold(as_utc(local), reason)
