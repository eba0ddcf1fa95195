"""The daily counts a helpline reports upward, for supervisors (their areas) and
administrators: contacts and cases over a range of days (the last 30 by default, in the
deployment's time zone), totalled by day, channel, category (with the Child Helpline
International category the profile maps it to), level and area; and the whole breakdown as a
CSV file, one line per day, channel, category, level and area that has any. Numbers only:
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

from case_store.enums import Category, Channel, RiskLevel
from case_store.permissions import Action, areas_seen
from case_store.queries.daily_counts import MAX_DAYS, DailyCount, daily_counts
from gateway.runtime import runtime
from gateway.web.console.accounts import requires, staff
from gateway.web.console.call_form import CATEGORIES
from gateway.web.console.db import db
from gateway.web.console.i18n import area_name, gettext
from gateway.web.console.pages import MenuItem, Page
from gateway.web.console.words import CHANNELS, CHI_CATEGORIES, LEVELS

bp = Blueprint("counts", __name__, url_prefix="/counts")
PAGE = Page(
    bp, (MenuItem("console.counts.index", lambda: gettext("Daily counts"), Action.VIEW_COUNTS),)
)
DEFAULT_DAYS: Final = 30
CSV_HEADER: Final = (
    "day",
    "channel",
    "category",
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


def _chi(category: Category | None) -> str | None:
    mapping = runtime().profile.categories.get(category) if category else None
    return None if mapping is None else mapping.chi_category


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
    by_category = _totals(rows, lambda row: row.key.category)
    by_chi = _totals(rows, lambda row: _chi(row.key.category))
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
                CATEGORIES[category] if category else no_case,
                *totals,
                chi=CHI_CATEGORIES.get(_chi(category) or "", ""),
            )
            for category, totals in sorted(by_category.items(), key=lambda kv: _rank(kv[0]))
        ],
        "chi": [
            Total(CHI_CATEGORIES[chi] if chi else gettext("Not mapped"), *totals)
            for chi, totals in sorted(by_chi.items(), key=lambda kv: kv[0] or "~")
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
    total = Total(gettext("Total"), sum(r.contacts for r in rows), sum(r.cases for r in rows))
    return render_template(
        "console/counts.html",
        form=form,
        tables=tables,
        total=total,
        first=first,
        last=last,
        areas=areas_seen(staff()),
        time_zone=runtime().profile.time_zone.key,
    )


def _rank(category: Category | None) -> int:
    return list(Category).index(category) if category else len(Category)


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
                _chi(key.category) or "",
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


def _value(member: Channel | Category | RiskLevel | None) -> str:
    return "" if member is None else member.value
