"""Gaps in the roster ahead: the areas with nobody on call at some time in the next 24 hours.

``kinga worker`` (and so ``kinga run``) logs them once as it starts, so an administrator can
fill the roster before a report meets an empty one. Areas with the same gaps share one line.
The check only advises: a database it cannot read is logged and the worker starts anyway.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from case_store.on_call import DAY_NAMES, uncovered
from case_store.queries.users import list_users
from workers.context import Deployment, Place

log = logging.getLogger("kinga.coverage")

LOOK_AHEAD = timedelta(hours=24)


def warn_uncovered_areas(
    sessions: sessionmaker[Session], profile: Deployment, *, now: datetime
) -> int:
    """Log the areas with nobody on call in the next day; how many there are."""
    zone = profile.time_zone
    start = now.astimezone(zone)
    end = start + LOOK_AHEAD
    try:
        with sessions() as db:
            users = list_users(db)
    except SQLAlchemyError:
        log.exception("could not read the roster to look for areas with nobody on call")
        return 0
    by_gaps: dict[tuple[tuple[datetime, datetime], ...], list[Place]] = {}
    for location in profile.locations:
        gaps = uncovered(users, location.code, start=start, end=end, time_zone=zone)
        if gaps:
            by_gaps.setdefault(tuple(gaps), []).append(location)
    fallback = profile.alert_fallback
    last_resort = []
    if fallback.roles:
        last_resort.append("on-call " + "/".join(role.value for role in fallback.roles))
    if fallback.duty_phone:
        last_resort.append("the duty phone")
    for stretches, locations in by_gaps.items():
        when = "; ".join(_stretch(begins, stops, start, end) for begins, stops in stretches)
        every = len(locations) == len(profile.locations) > 1
        log.warning(
            "nobody on call in the next 24 hours for %s areas: %s (%s, %s). Their alerts wait "
            "as pending; a deadline still unmet after its escalation goes to the fallback (%s)",
            len(locations),
            "every area" if every else ", ".join(str(location) for location in locations),
            when,
            zone.key,
            " and ".join(last_resort),
        )
    return sum(len(locations) for locations in by_gaps.values())


def _stretch(begins: datetime, stops: datetime, start: datetime, end: datetime) -> str:
    if (begins, stops) == (start, end):
        return "all day"
    return f"{_moment(begins)}-{_moment(stops)}"


def _moment(at: datetime) -> str:
    return f"{DAY_NAMES[at.weekday()]} {at:%H:%M}"
