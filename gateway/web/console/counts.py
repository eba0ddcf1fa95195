"""The daily counts a helpline reports upward, for supervisors (their areas) and
administrators: contacts and cases over a range of days (the last 30 by default, in the
deployment's time zone), totalled by day, channel, category (with the Child Helpline
International category the profile maps it to), level and area. Contacts that opened no case
are CHI's non-counselling contacts: they are totalled by their disposition beside the
categories, and listed by day and disposition. The whole breakdown is a CSV file, one line per
day, channel, category or disposition, level and area that has any. Numbers only:
``case_store.queries.daily_counts`` says how they are counted.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from flask import Blueprint, Response, render_template, request
from flask_babel import format_date
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField, SubmitField
from wtforms.validators import Optional

from case_store.categories import NON_COUNSELLING
from case_store.enums import Category, Channel, Disposition, RiskLevel
from case_store.permissions import Action, areas_seen
from case_store.queries.daily_counts import MAX_DAYS, CountKey, DailyCount, daily_counts
from gateway.runtime import runtime
from gateway.web.console.accounts import requires, staff
from gateway.web.console.call_form import CATEGORIES
from gateway.web.console.i18n import area_name, gettext
from gateway.web.console.pages import MenuItem, Page
from gateway.web.console.words import CHANNELS, CHI_CATEGORIES, DISPOSITIONS, LEVELS
from gateway.web.db import db

bp = Blueprint("counts", __name__, url_prefix="/counts")
PAGE = Page(
    bp, (MenuItem("console.counts.index", lambda: gettext("Daily counts"), Action.VIEW_COUNTS),)
)
DEFAULT_DAYS: Final = 30
CSV_HEADER: Final = (
    "day",
    "channel",
    "category",
    "disposition",
    "chi_category",
    "level",
    "area",
    "area_name",
    "contacts",
    "cases",
)


class RangeForm(FlaskForm):  # type: ignore[misc]
    first = DateField(_("From"), validators=[Optional()])
    last = DateField(_("To"), validators=[Optional()])
    submit = SubmitField(_("Show"))


@dataclass(frozen=True)
class Total:
    label: Any
    contacts: int
    cases: int
    chi: Any = None


@dataclass(frozen=True)
class NonCounselling:
    """Contacts of one day that opened no case, with one disposition."""

    day: str
    disposition: Any
    contacts: int


def _form() -> tuple[RangeForm, date, date] | tuple[RangeForm, None, None]:
    """The range asked for in the address (GET: no token, nothing is written), or the last
    ``DEFAULT_DAYS`` days; no dates when the range is refused (the form says why)."""
    form = RangeForm(request.args, meta={"csrf": False})
    today = datetime.now(runtime().profile.time_zone).date()
    if not form.validate():
        return form, None, None
    first = form.first.data or today - timedelta(days=DEFAULT_DAYS - 1)
    last = form.last.data or today
    form.first.data, form.last.data = first, last
    if last < first:
        form.last.errors.append(gettext("The last day is before the first."))
        return form, None, None
    if (last - first).days + 1 > MAX_DAYS:
        form.last.errors.append(gettext("At most %(days)s days at once.", days=MAX_DAYS))
        return form, None, None
    return form, first, last


def _counts(first: date, last: date) -> list[DailyCount]:
    return daily_counts(
        db(),
        first=first,
        last=last,
        time_zone=runtime().profile.time_zone,
        location_codes=areas_seen(staff()),
    )


def _totals(
    rows: Iterable[DailyCount], key: Callable[[DailyCount], Hashable]
) -> dict[Any, tuple[int, int]]:
    contacts: Counter[Any] = Counter()
    cases: Counter[Any] = Counter()
    for row in rows:
        contacts[key(row)] += row.contacts
        cases[key(row)] += row.cases
    return {name: (contacts[name], cases[name]) for name in contacts | cases}


def _concern(key: CountKey) -> Category | Disposition | None:
    """What a cell is about: the case's category, or the disposition of a contact about none."""
    return key.category if key.counselling else key.disposition


@bp.get("")
@requires(Action.VIEW_COUNTS)
def index() -> Any:
    form, first, last = _form()
    if first is None or last is None:
        return render_template("console/counts.html", form=form, tables=None), 422
    rows = _counts(first, last)
    no_case = gettext("No case")
    by_day = _totals(rows, lambda row: row.key.day)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    by_concern = _totals(rows, lambda row: _concern(row.key))
    by_chi = _totals(rows, lambda row: _chi(_concern(row.key)))
    by_day_disposition = _totals(
        (row for row in rows if not row.key.counselling),
        lambda row: (row.key.day, row.key.disposition),
    )
    by_level = _totals(rows, lambda row: row.key.level)
    by_area = _totals(rows, lambda row: row.key.area)
    by_channel = _totals(rows, lambda row: row.key.channel)
    tables = {
        "day": [Total(format_date(day, "medium"), *by_day.get(day, (0, 0))) for day in days],
        "channel": [
            Total(label, *by_channel[channel])
            for channel, label in CHANNELS.items()
            if channel in by_channel
        ],
        "category": [
            Total(
                _concern_name(concern) if concern else no_case,
                *totals,
                chi=CHI_CATEGORIES.get(_chi(concern) or "", ""),
            )
            for concern, totals in sorted(by_concern.items(), key=lambda kv: _rank(kv[0]))
        ],
        "chi": [
            Total(CHI_CATEGORIES[chi] if chi else gettext("Not mapped"), *totals)
            for chi, totals in sorted(
                by_chi.items(),
                key=lambda kv: (kv[0] is None, kv[0] == NON_COUNSELLING, kv[0] or ""),
            )
        ],
        "level": [
            Total(LEVELS[level] if level else no_case, *by_level[level])
            for level in (*RiskLevel, None)
            if level in by_level
        ],
        "area": [
            Total(area_name(area) if area else no_case, *totals)
            for area, totals in sorted(by_area.items(), key=lambda kv: kv[0] or "~")
        ],
    }
    non_counselling = [
        NonCounselling(format_date(day, "medium"), DISPOSITIONS[disposition], contacts)
        for (day, disposition), (contacts, _cases) in sorted(
            by_day_disposition.items(), key=lambda kv: (kv[0][0], _rank(kv[0][1]))
        )
    ]
    total = Total(gettext("Total"), sum(r.contacts for r in rows), sum(r.cases for r in rows))
    return render_template(
        "console/counts.html",
        form=form,
        tables=tables,
        non_counselling=non_counselling,
        total=total,
        first=first,
        last=last,
        areas=areas_seen(staff()),
        time_zone=runtime().profile.time_zone.key,
    )


_CATEGORIES: Final = tuple(Category)
_DISPOSITIONS: Final = tuple(Disposition)


def _rank(concern: Category | Disposition | None) -> int:
    """The categories in their order, then the dispositions in theirs, then nothing."""
    if isinstance(concern, Category):
        return _CATEGORIES.index(concern)
    if isinstance(concern, Disposition):
        return len(_CATEGORIES) + _DISPOSITIONS.index(concern)
    return len(_CATEGORIES) + len(_DISPOSITIONS)


def _concern_name(concern: Category | Disposition) -> Any:
    return CATEGORIES[concern] if isinstance(concern, Category) else DISPOSITIONS[concern]


def _chi(concern: Category | Disposition | None) -> str | None:
    """CHI's category: non-counselling for a contact about no case (its disposition), else
    the one the profile maps the case's category to."""
    if isinstance(concern, Disposition):
        return NON_COUNSELLING
    mapping = runtime().profile.categories.get(concern) if concern else None
    return None if mapping is None else mapping.chi_category


@bp.get("/export.csv")
@requires(Action.VIEW_COUNTS)
def export() -> Any:
    """The whole breakdown, one line per day, channel, category, level and area that has any;
    ids as the case store writes them (a table to read is the page's)."""
    form, first, last = _form()
    if first is None or last is None:
        return render_template("console/counts.html", form=form, tables=None), 422
    profile = runtime().profile
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in _counts(first, last):
        key = row.key
        location = profile.location(key.area) if key.area else None
        writer.writerow(
            (
                key.day.isoformat(),
                _value(key.channel),
                _value(key.category),
                _value(key.disposition),
                _chi(_concern(key)) or "",
                _value(key.level),
                key.area or "",
                location.name if location else "",
                row.contacts,
                row.cases,
            )
        )
    name = f"kinga-counts-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _value(member: Channel | Category | Disposition | RiskLevel | None) -> str:
    return "" if member is None else member.value
