"""The daily counts a helpline reports upward: contacts and cases by day, channel, category,
level and area. Numbers only: no row of a contact or case leaves this module.

A day is a calendar day in the deployment's time zone: the range's local midnights are turned
into UTC instants here (a day may last 23 or 25 hours where clocks change), and the database
counts each contact and case into its day by comparing with them, grouped in one read each
(the indexes ``ix_contact_started_at`` and ``ix_case_created_at``).

A contact about a case counts under that case's category, level and area: a counselling
contact, in Child Helpline International's words. A contact that opened no case (a silent call,
information only, a referral elsewhere, a prank, a wrong number) has none: it counts under its
disposition, a non-counselling contact, and only where every area is. A case counts on the day
it was opened, under the channel of the contact that opened it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, cast, func, null, select
from sqlalchemy.orm import Session

from case_store.enums import Category, Channel, Disposition, RiskLevel
from case_store.models import Case, Contact

# The longest range counted at once: a year, leap day included.
MAX_DAYS = 366


@dataclass(frozen=True)
class CountKey:
    """One cell of the breakdown; category, level and area None where a contact has no case,
    and the disposition then set (None for what is about a case)."""

    day: date
    channel: Channel | None
    category: Category | None
    level: RiskLevel | None
    area: str | None
    disposition: Disposition | None = None

    @property
    def counselling(self) -> bool:
        """Whether this is about a case (a contact about no case is a non-counselling one)."""
        return self.disposition is None


@dataclass(frozen=True)
class DailyCount:
    key: CountKey
    contacts: int
    cases: int


class InvalidRange(ValueError):
    """The last day is before the first, or the range is longer than ``MAX_DAYS``."""


def day_starts(first: date, last: date, time_zone: tzinfo) -> list[datetime]:
    """The UTC instants at which each local day from ``first`` to the day after ``last``
    begins (one more than the days counted: the last is where the range ends)."""
    if last < first:
        raise InvalidRange("the last day is before the first")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise InvalidRange(f"at most {MAX_DAYS} days at once")
    return [
        datetime.combine(first + timedelta(days=n), time(), time_zone).astimezone(UTC)
        for n in range(days + 1)
    ]


def _day_index(column: Any, starts: list[datetime]) -> ColumnElement[Any]:
    """Which day of the range ``column`` falls in (0 for the first); the rows read are all in
    the range."""
    return case(*((column < start, n) for n, start in enumerate(starts[1:])), else_=len(starts))


def _grouped(session: Session, inner: Select[Any]) -> list[tuple[Any, ...]]:
    """Count ``inner``'s rows (day, channel, category, level, area, disposition) by all six.
    Grouped over a subquery: PostgreSQL would not match a GROUP BY on the day's expression with
    its own parameters to the one selected."""
    rows = inner.subquery()
    columns = list(rows.c)
    return [
        tuple(row) for row in session.execute(select(*columns, func.count()).group_by(*columns))
    ]


def daily_counts(
    session: Session,
    *,
    first: date,
    last: date,
    time_zone: tzinfo,
    location_codes: Iterable[str] | None = None,
) -> list[DailyCount]:
    """Contacts and cases from ``first`` to ``last`` (local days, both included), one entry
    per day, channel, category, level and area that has any, in that order. With
    ``location_codes``, only what is about a case in those areas."""
    starts = day_starts(first, last, time_zone)
    codes = None if location_codes is None else list(location_codes)

    contacts = (
        select(
            _day_index(Contact.started_at, starts).label("day"),
            Contact.channel.label("channel"),
            Case.category.label("category"),
            Case.risk_level.label("level"),
            Case.location_code.label("area"),
            case((Contact.case_id.is_(None), Contact.disposition), else_=None).label("disposition"),
        )
        .select_from(Contact)
        .outerjoin(Case, Contact.case_id == Case.id)
        .where(Contact.started_at >= starts[0], Contact.started_at < starts[-1])
    )
    opening = and_(Contact.case_id == Case.id, Contact.disposition == Disposition.CASE_OPENED)
    cases = (
        select(
            _day_index(Case.created_at, starts).label("day"),
            Contact.channel.label("channel"),
            Case.category.label("category"),
            Case.risk_level.label("level"),
            Case.location_code.label("area"),
            cast(null(), Contact.disposition.type).label("disposition"),
        )
        .select_from(Case)
        .outerjoin(Contact, opening)
        .where(Case.created_at >= starts[0], Case.created_at < starts[-1])
    )
    if codes is not None:
        contacts = contacts.where(Case.location_code.in_(codes))
        cases = cases.where(Case.location_code.in_(codes))

    counted: dict[CountKey, Counter[str]] = {}
    for name, query in (("contacts", contacts), ("cases", cases)):
        for day, channel, category, level, area, disposition, count in _grouped(session, query):
            key = CountKey(
                first + timedelta(days=int(day)),
                None if channel is None else Channel(channel),
                None if category is None else Category(category),
                None if level is None else RiskLevel(level),
                area,
                None if disposition is None else Disposition(disposition),
            )
            counted.setdefault(key, Counter())[name] += int(count)
    return [
        DailyCount(key, counts["contacts"], counts["cases"])
        for key, counts in sorted(counted.items(), key=lambda item: _order(item[0]))
    ]


def _order(key: CountKey) -> tuple[Any, ...]:
    return (
        key.day,
        key.channel or "",
        key.category or "",
        -key.level.severity if key.level else 0,
        key.area or "",
        list(Disposition).index(key.disposition) if key.disposition else -1,
    )
