"""Who is on call when: the on-call flag, and weekly windows in the deployment's local time.

A user is on call at a moment when they are active and either flagged on call (whatever their
windows say) or inside one of their weekly windows read in the deployment's time zone. The
alerts (``queries.on_call_users``), the roster listing and the look-ahead for gaps all decide
with ``is_on_call``, so a warning about a gap and the alert that finds nobody always agree.

Windows are written ``Mon-Fri 08:00-17:00`` (days: a name, a range, or a comma list; a range
may wrap, ``Fri-Mon``). An end at or before the start runs past midnight into the next day,
and ``24:00`` ends at midnight, so ``00:00-24:00`` is a whole day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Protocol

from case_store.columns import as_utc
from case_store.enums import Role
from case_store.models import User

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The roles that answer alerts for their areas; the profile's fallback may add others.
ON_CALL_ROLES = (Role.CASEWORKER, Role.SUPERVISOR)
# Who may be the fallback of last resort besides a duty phone.
FALLBACK_ROLES = (Role.SUPERVISOR, Role.ADMIN)
EXAMPLE = "Mon-Fri 08:00-17:00"

_WINDOW = re.compile(r"(?P<days>[A-Za-z,\-]+)\s+(?P<starts>\d{1,2}:\d{2})-(?P<ends>\d{1,2}:\d{2})")
_DAYS = {name.casefold(): number for number, name in enumerate(DAY_NAMES)}


@dataclass(frozen=True)
class AlertFallback:
    """Who is told, as a last resort, about a case whose deadline is still unmet after its
    escalation (``deadline_steps``): the users with ``roles`` on call for its area, and the duty
    phone (an E.164 number, told in the deployment's default language)."""

    roles: tuple[Role, ...] = FALLBACK_ROLES
    duty_phone: str | None = None


class InvalidWindow(ValueError):
    """A window that is not written like ``Mon-Fri 08:00-17:00``."""


class Weekly(Protocol):
    """A weekly slot: ``OnCallWindow`` rows and parsed ``Slot`` values alike."""

    @property
    def weekday(self) -> int: ...
    @property
    def starts(self) -> time: ...
    @property
    def ends(self) -> time: ...


@dataclass(frozen=True, order=True)
class Slot:
    """One weekly window as parsed, before it is stored (``OnCallWindow``)."""

    weekday: int  # Monday 0 … Sunday 6
    starts: time
    ends: time


def parse_window(text: str) -> list[Slot]:
    """The slots ``text`` writes, one per day, Monday first."""
    match = _WINDOW.fullmatch(text.strip())
    if match is None:
        raise InvalidWindow(f"a window looks like {EXAMPLE!r}, not {text!r}")
    starts = _clock(match["starts"], text, end=False)
    ends = _clock(match["ends"], text, end=True)
    days: set[int] = set()
    for part in match["days"].split(","):
        first, _, last = part.partition("-")
        start = _day(first, text)
        stop = _day(last, text) if last else start
        days.update((start + offset) % 7 for offset in range((stop - start) % 7 + 1))
    return [Slot(day, starts, ends) for day in sorted(days)]


def _day(name: str, text: str) -> int:
    number = _DAYS.get(name.casefold())
    if number is None:
        raise InvalidWindow(f"days are {', '.join(DAY_NAMES)} in {EXAMPLE!r}, not {text!r}")
    return number


def _clock(value: str, text: str, *, end: bool) -> time:
    hours, minutes = (int(part) for part in value.split(":"))
    if end and (hours, minutes) == (24, 0):
        return time(0)
    if hours > 23 or minutes > 59:
        raise InvalidWindow(f"hours run from 00:00 to 24:00 in {EXAMPLE!r}, not {text!r}")
    return time(hours, minutes)


def describe_window(window: Weekly) -> str:
    """``Mon 08:00-17:00``, as ``parse_window`` reads it back."""
    ends = "24:00" if window.ends == time(0) else window.ends.strftime("%H:%M")
    return f"{DAY_NAMES[window.weekday]} {window.starts.strftime('%H:%M')}-{ends}"


def covers_area(user: User, location_code: str) -> bool:
    """Whether ``user`` works in the area (no areas means every area)."""
    return not user.areas or location_code in user.areas


def is_on_call(user: User, at: datetime, time_zone: tzinfo) -> bool:
    local = as_utc(at, "at").astimezone(time_zone)
    return user.active and (
        user.on_call or any(window.covers(local) for window in user.on_call_windows)
    )


def _occurrences(
    window: Weekly, start: datetime, end: datetime, time_zone: tzinfo
) -> Iterator[tuple[datetime, datetime]]:
    """Each time ``window`` runs that overlaps ``start``…``end``, as aware local datetimes."""
    first = start.astimezone(time_zone).date() - timedelta(days=1)
    last = end.astimezone(time_zone).date()
    day = first + timedelta(days=(window.weekday - first.weekday()) % 7)
    while day <= last:
        opens = datetime.combine(day, window.starts, tzinfo=time_zone)
        closes_on = day if window.starts < window.ends else day + timedelta(days=1)
        closes = datetime.combine(closes_on, window.ends, tzinfo=time_zone)
        if opens < end and closes > start:
            yield opens, closes
        day += timedelta(days=7)


def next_on_call(user: User, *, after: datetime, time_zone: tzinfo) -> datetime | None:
    """When ``user``, off call at ``after``, next comes on call within a week; None when they
    are on call now, inactive, or have no window."""
    if not user.active or is_on_call(user, after, time_zone):
        return None
    week = after + timedelta(days=7)
    starts = [
        opens
        for window in user.on_call_windows
        for opens, _closes in _occurrences(window, after, week, time_zone)
        if opens > after
    ]
    return min(starts, default=None)


def uncovered(
    users: Iterable[User],
    location_code: str,
    *,
    start: datetime,
    end: datetime,
    time_zone: tzinfo,
    roles: Sequence[Role] = ON_CALL_ROLES,
) -> list[tuple[datetime, datetime]]:
    """The stretches of ``start``…``end`` when nobody with ``roles`` for the area is on call.

    Coverage only changes where a window opens or closes, so it is decided at each of those
    moments with ``is_on_call`` itself.
    """
    staff = [u for u in users if u.role in roles and covers_area(u, location_code)]
    moments = {start, end}
    for user in staff:
        for window in user.on_call_windows:
            for opens, closes in _occurrences(window, start, end, time_zone):
                moments.update(m for m in (opens, closes) if start < m < end)
    ordered = sorted(moments)
    gaps: list[tuple[datetime, datetime]] = []
    for begins, stops in pairwise(ordered):
        if any(is_on_call(user, begins, time_zone) for user in staff):
            continue
        if gaps and gaps[-1][1] == begins:
            gaps[-1] = (gaps[-1][0], stops)
        else:
            gaps.append((begins, stops))
    return [(a.astimezone(time_zone), b.astimezone(time_zone)) for a, b in gaps]
