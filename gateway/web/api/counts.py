"""The daily counts a helpline reports upward, as the console's counts page shows them: one
row per day, channel, category, level and area that has any, numbers only (a supervisor's
areas, or every area)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from flask_smorest import Blueprint

from case_store.permissions import Action, areas_seen
from case_store.queries.daily_counts import InvalidRange, daily_counts
from gateway.runtime import runtime
from gateway.web.api.auth import caller, requires
from gateway.web.api.errors import ANY_VIEW, answers, fail
from gateway.web.api.schemas import CountsQuery, DailyCounts
from gateway.web.db import db

bp = Blueprint("counts", __name__, url_prefix="/counts", description="Daily counts")
DEFAULT_DAYS: Final = 30


@bp.get("/daily")
@requires(Action.VIEW_COUNTS)
@bp.arguments(CountsQuery, location="query")
@bp.response(200, DailyCounts)
@answers(bp, ANY_VIEW)
def get_daily_counts(query: dict[str, Any]) -> dict[str, Any]:
    """Contacts and cases per local day (the last 30 days by default; at most a year)."""
    profile = runtime().profile
    last = query.get("last") or datetime.now(profile.time_zone).date()
    first = query.get("first") or last - timedelta(days=DEFAULT_DAYS - 1)
    try:
        rows = daily_counts(
            db(),
            first=first,
            last=last,
            time_zone=profile.time_zone,
            location_codes=areas_seen(caller()),
        )
    except InvalidRange as exc:
        fail(422, "invalid_request", str(exc).capitalize() + ".")
    return {
        "first": first,
        "last": last,
        "time_zone": profile.time_zone.key,
        "rows": [
            {
                "day": row.key.day,
                "channel": row.key.channel,
                "category": row.key.category,
                "chi_category": _chi(row.key.category),
                "level": row.key.level,
                "area": row.key.area,
                "contacts": row.contacts,
                "cases": row.cases,
            }
            for row in rows
        ],
    }


def _chi(category: Any) -> str | None:
    mapping = runtime().profile.categories.get(category) if category else None
    return None if mapping is None else mapping.chi_category
