"""Reads of cases: by reference, lists for staff, deadlines due, a reporter's status, and who is
on call for an area."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, null, or_, select
from sqlalchemy.orm import Session, selectinload

from case_store.columns import as_utc
from case_store.enums import CaseStatus, Direction, MessagePurpose, RiskLevel, Role, WorkflowStage
from case_store.models import Case, Message, Reporter, User
from case_store.on_call import ON_CALL_ROLES, covers_area, is_on_call
from case_store.permissions import Action, role_allows
from case_store.references import parse_reference

ACTIVE_STATUSES = (CaseStatus.OPEN, CaseStatus.PENDING, CaseStatus.ESCALATED)
DEFAULT_LIMIT = 500
# Who also sees, in their own list of cases, the ones nobody has acknowledged yet.
OVERSEEING_ROLES = (Role.SUPERVISOR, Role.ADMIN)


def find_case_by_reference(session: Session, reference: str) -> Case | None:
    """The case for ``reference`` (``482177302`` or ``482-177-302``), or None.

    A reference whose check digit fails is refused without touching the database.
    """
    digits = parse_reference(reference)
    if digits is None:
        return None
    return session.scalars(select(Case).where(Case.reference == digits)).one_or_none()


def reporter_status(case: Case) -> str:
    """What a reporter may be told: received, in_progress or closed, and nothing more."""
    if case.status is CaseStatus.CLOSED:
        return "closed"
    if case.assigned_to_id is not None or case.workflow_stage is not WorkflowStage.NEW:
        return "in_progress"
    return "received"


def open_cases(
    session: Session,
    *,
    location_codes: Iterable[str] | None = None,
    levels: Iterable[RiskLevel] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[Case]:
    """Cases not closed, optionally in some areas and at some levels, soonest deadline first."""
    query = select(Case).where(Case.status.in_(ACTIVE_STATUSES))
    if location_codes is not None:
        query = query.where(Case.location_code.in_(list(location_codes)))
    if levels is not None:
        query = query.where(Case.risk_level.in_(list(levels)))
    return list(session.scalars(query.order_by(Case.assign_by, Case.id).limit(limit)))


def overdue_for_assignment(
    session: Session, *, now: datetime, limit: int = DEFAULT_LIMIT
) -> list[Case]:
    """Active cases still unassigned after their assign-by deadline, most overdue first."""
    return list(
        session.scalars(
            select(Case)
            .where(
                Case.status.in_(ACTIVE_STATUSES),
                Case.assign_by < as_utc(now, "now"),
                Case.assigned_to_id.is_(None),
            )
            .order_by(Case.assign_by, Case.id)
            .limit(limit)
        )
    )


def unacknowledged(session: Session, *, assigned_before: datetime) -> list[Case]:
    """Active cases assigned before ``assigned_before``, not yet acknowledged, and nobody has
    reached the child or reporter either (escalation: a first contact shows someone has it)."""
    return list(
        session.scalars(
            select(Case)
            .where(
                Case.status.in_(ACTIVE_STATUSES),
                Case.assigned_to_id.is_not(None),
                Case.acknowledged_at.is_(None),
                Case.first_contacted_at.is_(None),
                Case.assigned_at < as_utc(assigned_before, "assigned_before"),
            )
            .order_by(Case.assigned_at, Case.id)
        )
    )


def next_deadline(case: Case) -> datetime | None:
    """The deadline ``case`` waits on: its assign-by time while nobody holds it, then its
    first-contact time until someone reached the child or reporter; None after that."""
    if case.assigned_to_id is None:
        return case.assign_by
    if case.first_contacted_at is None:
        return case.first_contact_by
    return None


def cases_for_staff(session: Session, user: User, *, limit: int = DEFAULT_LIMIT) -> list[Case]:
    """The open cases on ``user``'s plate, most urgent first: highest level, then the soonest
    deadline each waits on (``next_deadline``; none last).

    Those assigned to them; for a supervisor or an administrator also those nobody has
    acknowledged yet in their areas (every area for an administrator, or a supervisor with
    none), which are theirs to see handled.
    """
    query = select(Case).where(_on_plate(user)).order_by(*_most_urgent_first()).limit(limit)
    return list(session.scalars(query))


def _most_urgent_first() -> tuple[Any, ...]:
    """Highest level first, then the soonest deadline each waits on (``next_deadline``; none
    last), then the oldest."""
    severity = case(*((Case.risk_level == level, -level.severity) for level in RiskLevel))
    due = case(
        (Case.status == CaseStatus.CLOSED, null()),
        (Case.assigned_to_id.is_(None), Case.assign_by),
        (Case.first_contacted_at.is_(None), Case.first_contact_by),
        else_=null(),
    )
    return (severity, due.asc().nulls_last(), Case.id)


def count_cases_for_staff(session: Session, user: User) -> int:
    """How many cases ``cases_for_staff`` lists without a limit."""
    return session.scalar(select(func.count(Case.id)).where(_on_plate(user))) or 0


def _on_plate(user: User) -> ColumnElement[bool]:
    mine: ColumnElement[bool] = Case.assigned_to_id == user.id
    if user.role in OVERSEEING_ROLES:
        waiting: ColumnElement[bool] = Case.acknowledged_at.is_(None)
        if user.role is Role.SUPERVISOR and user.areas:
            waiting = and_(waiting, Case.location_code.in_(list(user.areas)))
        mine = or_(mine, waiting)
    return and_(Case.status.in_(ACTIVE_STATUSES), mine)


def cases_for_reporter(session: Session, phone_hash: str) -> list[Case]:
    """Every case reported from the phone with this hash (``Vault.phone_hash``), newest first."""
    return list(
        session.scalars(
            select(Case)
            .join(Reporter, Case.reporter_id == Reporter.id)
            .where(Reporter.phone_hash == phone_hash)
            .order_by(Case.created_at.desc(), Case.id.desc())
        )
    )


def on_call_users(
    session: Session,
    *,
    at: datetime,
    time_zone: tzinfo,
    location_code: str | None = None,
    roles: Iterable[Role] = ON_CALL_ROLES,
) -> list[User]:
    """Users with ``roles`` on call at ``at`` (``on_call.is_on_call``), for ``location_code``
    when given (users with no areas cover every area). In the order of ``roles``."""
    wanted = list(roles)
    users = session.scalars(
        select(User)
        .where(User.active.is_(True), User.role.in_(wanted))
        .options(selectinload(User.on_call_windows))
        .order_by(User.id)
    )
    found = [
        user
        for user in users
        if is_on_call(user, at, time_zone)
        and (location_code is None or covers_area(user, location_code))
    ]
    return sorted(found, key=lambda user: wanted.index(user.role))


def area_staff(
    session: Session, *, location_code: str, roles: Iterable[Role] = ON_CALL_ROLES
) -> list[User]:
    """Active users with ``roles`` who work in the area, on call or not (with their windows:
    who will be on call next)."""
    users = session.scalars(
        select(User)
        .where(User.active.is_(True), User.role.in_(list(roles)))
        .options(selectinload(User.on_call_windows))
        .order_by(User.id)
    )
    return [user for user in users if covers_area(user, location_code)]


def unalerted() -> ColumnElement[bool]:
    """Cases whose alert still waits: it reached nobody, and nobody has taken the case since
    (the pending-alert sweep sends these; ``kinga cases list --unalerted`` shows them)."""
    return and_(
        Case.alert_pending_since.is_not(None),
        Case.assigned_to_id.is_(None),
        Case.status.in_(ACTIVE_STATUSES),
    )


def unalerted_cases(
    session: Session, *, location_codes: Iterable[str] | None = None, limit: int = DEFAULT_LIMIT
) -> list[Case]:
    """``unalerted`` cases (in some areas), longest waiting first."""
    query = select(Case).where(unalerted())
    if location_codes is not None:
        query = query.where(Case.location_code.in_(list(location_codes)))
    return list(session.scalars(query.order_by(Case.alert_pending_since, Case.id).limit(limit)))


def alerted_phone_hashes(
    session: Session, case_id: int, *, since: datetime | None = None
) -> set[str]:
    """The phones (as hashes) an alert about the case was queued for, since ``since`` when
    given: so that nobody is told the same thing twice."""
    query = select(Message.phone_hash).where(
        Message.case_id == case_id,
        Message.direction == Direction.OUTBOUND,
        Message.purpose == MessagePurpose.ALERT,
    )
    if since is not None:
        query = query.where(Message.created_at >= as_utc(since, "since"))
    return set(session.scalars(query))


def list_cases(
    session: Session,
    *,
    statuses: Iterable[CaseStatus] | None = None,
    location_codes: Iterable[str] | None = None,
    levels: Iterable[RiskLevel] | None = None,
    overdue_at: datetime | None = None,
    unalerted_only: bool = False,
    limit: int = DEFAULT_LIMIT,
) -> list[Case]:
    """Cases matching every filter given, soonest assign-by deadline first.

    ``overdue_at`` keeps active cases past a deadline at that time: unassigned after their
    assign-by time, or with no first contact after their first-contact time. ``unalerted_only``
    keeps the cases whose alert reached nobody yet (``unalerted``).
    """
    query = _filtered(
        select(Case),
        CaseFilter(
            statuses=tuple(statuses) if statuses is not None else None,
            location_codes=tuple(location_codes) if location_codes is not None else None,
            levels=tuple(levels) if levels is not None else None,
            overdue_at=overdue_at,
            unalerted_only=unalerted_only,
        ),
    )
    return list(session.scalars(query.order_by(Case.assign_by, Case.id).limit(limit)))


@dataclass(frozen=True)
class CaseFilter:
    """What a list of cases keeps: each filter given narrows it (None: no filter).

    ``assigned_to_id`` keeps one person's cases; ``unassigned_only`` those nobody holds.
    """

    statuses: tuple[CaseStatus, ...] | None = None
    location_codes: tuple[str, ...] | None = None
    levels: tuple[RiskLevel, ...] | None = None
    overdue_at: datetime | None = None
    unalerted_only: bool = False
    assigned_to_id: int | None = None
    unassigned_only: bool = False


def _filtered(query: Select[tuple[Case]], wanted: CaseFilter) -> Select[tuple[Case]]:
    if wanted.unalerted_only:
        query = query.where(unalerted())
    if wanted.statuses is not None:
        query = query.where(Case.status.in_(list(wanted.statuses)))
    if wanted.location_codes is not None:
        query = query.where(Case.location_code.in_(list(wanted.location_codes)))
    if wanted.levels is not None:
        query = query.where(Case.risk_level.in_(list(wanted.levels)))
    if wanted.assigned_to_id is not None:
        query = query.where(Case.assigned_to_id == wanted.assigned_to_id)
    if wanted.unassigned_only:
        query = query.where(Case.assigned_to_id.is_(None))
    if wanted.overdue_at is not None:
        at = as_utc(wanted.overdue_at, "overdue_at")
        query = query.where(
            Case.status.in_(ACTIVE_STATUSES),
            or_(
                and_(Case.assigned_to_id.is_(None), Case.assign_by < at),
                and_(Case.first_contacted_at.is_(None), Case.first_contact_by < at),
            ),
        )
    return query


def visible_cases(
    session: Session, viewer: User, wanted: CaseFilter, *, offset: int = 0, limit: int
) -> list[Case]:
    """The cases ``viewer`` may see (``permissions.allowed(viewer, VIEW, case)``: their role,
    and their areas unless an administrator) that match ``wanted``, most urgent first (as
    ``cases_for_staff``): the page of ``limit`` after the first ``offset``."""
    query = _visible(viewer, wanted)
    if query is None:
        return []
    query = query.order_by(*_most_urgent_first())
    return list(session.scalars(query.offset(offset).limit(limit)))


def visible_cases_after(
    session: Session, viewer: User, wanted: CaseFilter, *, before_id: int | None, limit: int
) -> list[Case]:
    """The same cases as ``visible_cases``, newest first: the ``limit`` opened before the case
    ``before_id`` (from the newest when None). A case keeps its place in this order whatever
    happens to it, so paging by the last one seen lists each case once."""
    query = _visible(viewer, wanted)
    if query is None:
        return []
    if before_id is not None:
        query = query.where(Case.id < before_id)
    return list(session.scalars(query.order_by(Case.id.desc()).limit(limit)))


def _visible(viewer: User, wanted: CaseFilter) -> Select[tuple[Case]] | None:
    """The cases ``viewer`` may see that match ``wanted``; None when their role sees none."""
    if not role_allows(viewer, Action.VIEW):
        return None
    query = _filtered(select(Case), wanted)
    if viewer.role is not Role.ADMIN and viewer.areas:
        query = query.where(Case.location_code.in_(list(viewer.areas)))
    return query.options(selectinload(Case.assigned_to))


def is_overdue(case: Case, at: datetime) -> bool:
    """The same test as ``list_cases(overdue_at=...)``, for one loaded case."""
    at = as_utc(at, "at")
    return case.status in ACTIVE_STATUSES and (
        (case.assigned_to_id is None and case.assign_by < at)
        or (case.first_contacted_at is None and case.first_contact_by < at)
    )
