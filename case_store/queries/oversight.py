"""Reads for the supervisor's view: the open cases that need someone to look, and who holds
how many. Each list is read through an index of ``models.cases`` (named on each function), and
kept to the areas given (None: every area).

What is overdue is ``cases.is_overdue``: unassigned after its assign-by time, or nobody reached
the child or reporter after its first-contact time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from case_store.columns import as_utc
from case_store.enums import CaseStatus, RiskLevel, Role
from case_store.models import Case, User
from case_store.on_call import covers_area
from case_store.queries.cases import next_deadline

OVERSIGHT_LIMIT = 25
# Who holds cases: the workload list shows them, busiest first.
HOLDING_ROLES = (Role.CASEWORKER, Role.SUPERVISOR)


def _in_areas(query: Select[Case], location_codes: Iterable[str] | None) -> Select[Case]:
    if location_codes is None:
        return query
    return query.where(Case.location_code.in_(list(location_codes)))


def _listed(session: Session, query: Select[Case]) -> list[Case]:
    return list(session.scalars(query.options(selectinload(Case.assigned_to))))


def overdue_cases(
    session: Session,
    *,
    now: datetime,
    location_codes: Iterable[str] | None = None,
    limit: int = OVERSIGHT_LIMIT,
) -> list[Case]:
    """Open cases past a deadline at ``now``, the longest overdue first (by the deadline each
    missed: ``cases.next_deadline``). Two range scans, of the partial indexes
    ``ix_case_unassigned_assign_by`` and ``ix_case_uncontacted_first_contact_by``."""
    at = as_utc(now, "now")
    unassigned = select(Case).where(
        Case.assigned_to_id.is_(None), Case.status != CaseStatus.CLOSED, Case.assign_by < at
    )
    uncontacted = select(Case).where(
        Case.first_contacted_at.is_(None),
        Case.status != CaseStatus.CLOSED,
        Case.first_contact_by < at,
    )
    found: dict[int, Case] = {}
    for query, deadline in (
        (unassigned, Case.assign_by),
        (uncontacted, Case.first_contact_by),
    ):
        ordered = _in_areas(query, location_codes).order_by(deadline, Case.id).limit(limit)
        found.update((row.id, row) for row in _listed(session, ordered))
    return sorted(found.values(), key=_missed)[:limit]


def _missed(row: Case) -> tuple[datetime, int]:
    return (next_deadline(row) or row.first_contact_by, row.id)


def unacknowledged_cases(
    session: Session,
    *,
    now: datetime,
    location_codes: Iterable[str] | None = None,
    limit: int = OVERSIGHT_LIMIT,
) -> list[Case]:
    """Open cases nobody has acknowledged yet and not overdue at ``now`` (those are listed by
    ``overdue_cases``), soonest assign-by deadline first: the partial index
    ``ix_case_unacknowledged_assign_by``."""
    at = as_utc(now, "now")
    overdue = or_(
        and_(Case.assigned_to_id.is_(None), Case.assign_by < at),
        and_(Case.first_contacted_at.is_(None), Case.first_contact_by < at),
    )
    query = select(Case).where(
        Case.acknowledged_at.is_(None), Case.status != CaseStatus.CLOSED, ~overdue
    )
    ordered = _in_areas(query, location_codes).order_by(Case.assign_by, Case.id).limit(limit)
    return _listed(session, ordered)


def escalated_cases(
    session: Session,
    *,
    location_codes: Iterable[str] | None = None,
    limit: int = OVERSIGHT_LIMIT,
) -> list[Case]:
    """Cases escalated (a deadline passed unmet) and not closed since, highest level first,
    then by assign-by deadline: ``ix_case_status_location_level``."""
    severity = case(*((Case.risk_level == level, -level.severity) for level in RiskLevel))
    query = select(Case).where(Case.status == CaseStatus.ESCALATED)
    ordered = _in_areas(query, location_codes).order_by(severity, Case.assign_by, Case.id)
    return _listed(session, ordered.limit(limit))


@dataclass(frozen=True)
class Workload:
    user: User
    open_cases: int
    overdue: int


def workloads(
    session: Session, *, now: datetime, location_codes: Iterable[str] | None = None
) -> list[Workload]:
    """Each active caseworker and supervisor who works in the areas (or holds an open case
    there), with the open cases assigned to them there and how many of those are overdue at
    ``now``; the most overdue first, then the busiest, then by name. The counts are one
    grouped read of ``ix_case_assigned_to_id``."""
    at = as_utc(now, "now")
    codes = None if location_codes is None else list(location_codes)
    overdue = case(
        (and_(Case.first_contacted_at.is_(None), Case.first_contact_by < at), 1), else_=0
    )
    query = select(Case.assigned_to_id, func.count(Case.id), func.sum(overdue)).where(
        Case.assigned_to_id.is_not(None), Case.status != CaseStatus.CLOSED
    )
    if codes is not None:
        query = query.where(Case.location_code.in_(codes))
    held = {
        user_id: (int(count), int(late or 0))
        for user_id, count, late in session.execute(query.group_by(Case.assigned_to_id))
    }
    users = session.scalars(
        select(User).where(
            or_(
                and_(User.active.is_(True), User.role.in_(HOLDING_ROLES)),
                User.id.in_(list(held)),
            )
        )
    )
    shown = [
        Workload(user, *held.get(user.id, (0, 0)))
        for user in users
        if user.id in held or codes is None or any(covers_area(user, code) for code in codes)
    ]
    return sorted(shown, key=lambda row: (-row.overdue, -row.open_cases, row.user.username))


def overdue_counts(session: Session, *, now: datetime) -> dict[str, int]:
    """How many open cases are past each deadline at ``now``: ``assign`` (nobody holds it) and
    ``first_contact`` (nobody has reached the child or reporter). A case past both counts in
    both. Counted over the same partial indexes as ``overdue_cases``, for the metrics scrape."""
    at = as_utc(now, "now")
    unassigned = select(func.count()).where(
        Case.assigned_to_id.is_(None), Case.status != CaseStatus.CLOSED, Case.assign_by < at
    )
    uncontacted = select(func.count()).where(
        Case.first_contacted_at.is_(None),
        Case.status != CaseStatus.CLOSED,
        Case.first_contact_by < at,
    )
    return {
        "assign": session.scalar(unassigned) or 0,
        "first_contact": session.scalar(uncontacted) or 0,
    }
