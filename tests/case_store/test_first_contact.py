"""First contact: recorded once by someone who may act on the case, audited, and it stops the
first-contact clock (overdue, escalation); and a staff member's own list of open cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from case_store_factories import NOW, add_user, answers, build_report, row_counts
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import ClosureReason, EventKind, RiskLevel
from case_store.models import Case, CaseEvent, User
from case_store.operations import (
    InvalidTransition,
    PermissionDenied,
    acknowledge,
    assign,
    claim,
    close,
    open_case,
    record_first_contact,
)
from case_store.queries.cases import (
    cases_for_staff,
    count_cases_for_staff,
    is_overdue,
    list_cases,
    next_deadline,
    unacknowledged,
)

LATER = NOW + timedelta(minutes=40)


def _case(session: Session, vault: Vault, *, now=NOW, **changes: str) -> Case:
    return open_case(session, vault, build_report(answers=answers(**changes)), now=now)


@pytest.fixture
def case(session: Session, vault: Vault) -> Case:
    return _case(session, vault, danger="yes")  # immediate: first contact within 1 h


@pytest.fixture
def caseworker(session: Session) -> User:
    return add_user(session, "caseworker")


def test_first_contact_is_recorded_once_and_audited(
    session: Session, case: Case, caseworker: User
) -> None:
    claim(session, case, actor=caseworker, now=NOW)
    event = record_first_contact(session, case, actor=caseworker, now=LATER)

    assert event is not None and event.kind is EventKind.FIRST_CONTACT_MADE
    assert (event.actor, event.actor_user_id, event.at) == ("user", caseworker.id, LATER)
    assert event.data == {
        "before": {
            "first_contacted_at": None,
            "first_contact_by": case.first_contact_by.isoformat(),
        },
        "after": {
            "first_contacted_at": LATER.isoformat(),
            "first_contact_by": case.first_contact_by.isoformat(),
        },
    }
    assert case.first_contacted_at == LATER
    # A second time (an SMS sent twice) changes nothing, and the first time stays.
    assert (
        record_first_contact(session, case, actor=caseworker, now=LATER + timedelta(hours=1))
        is None
    )
    assert case.first_contacted_at == LATER
    kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id))
    assert list(kinds).count(EventKind.FIRST_CONTACT_MADE) == 1


def test_first_contact_is_refused_without_permission_or_on_a_closed_case(
    session: Session, vault: Vault, case: Case, caseworker: User
) -> None:
    supervisor = add_user(session, "supervisor")
    elsewhere = add_user(session, "supervisor", areas=["001"])
    before = row_counts(session)
    with pytest.raises(PermissionDenied):
        record_first_contact(session, case, actor=caseworker, now=LATER)  # not theirs
    with pytest.raises(PermissionDenied):
        record_first_contact(session, case, actor=elsewhere, now=LATER)  # not their area
    close(session, case, ClosureReason.RESOLVED, actor=supervisor, now=NOW)
    closed_counts = row_counts(session)
    with pytest.raises(InvalidTransition):
        record_first_contact(session, case, actor=supervisor, now=LATER)
    assert case.first_contacted_at is None
    assert row_counts(session) == closed_counts
    assert closed_counts["case_event"] == before["case_event"] + 1  # the closure only


def test_a_first_contact_stops_the_first_contact_clock(
    session: Session, case: Case, caseworker: User
) -> None:
    claim(session, case, actor=caseworker, now=NOW)
    acknowledge(session, case, actor=caseworker, now=NOW)
    past_deadline = case.first_contact_by + timedelta(minutes=1)
    # Acknowledged is not contacted: past its deadline the case is overdue for first contact.
    assert is_overdue(case, past_deadline)
    assert list_cases(session, overdue_at=past_deadline) == [case]

    record_first_contact(session, case, actor=caseworker, now=NOW + timedelta(minutes=30))
    assert not is_overdue(case, past_deadline)
    assert list_cases(session, overdue_at=past_deadline) == []
    assert next_deadline(case) is None


def test_a_first_contact_ends_the_wait_for_an_acknowledgement(
    session: Session, case: Case, caseworker: User
) -> None:
    supervisor = add_user(session, "supervisor")
    assign(session, case, caseworker, actor=supervisor, now=NOW)
    assert unacknowledged(session, assigned_before=LATER) == [case]
    record_first_contact(session, case, actor=caseworker, now=NOW + timedelta(minutes=5))
    assert unacknowledged(session, assigned_before=LATER) == []


def test_a_staff_members_cases_most_urgent_first(session: Session, vault: Vault) -> None:
    worker = add_user(session, "caseworker", areas=["047"])
    low = _case(session, vault, category="other")
    medium_late = _case(session, vault, category="physical_violence")
    medium_soon = _case(session, vault, category="physical_violence", now=NOW - timedelta(hours=2))
    immediate = _case(session, vault, danger="yes")
    contacted = _case(session, vault, danger="yes", now=NOW - timedelta(hours=1))
    for case in (low, medium_late, medium_soon, immediate, contacted):
        claim(session, case, actor=worker, now=NOW)
    record_first_contact(session, contacted, actor=worker, now=NOW)
    others = _case(session, vault, danger="yes")  # nobody's: not on a caseworker's plate

    # Level first; within a level the deadline each waits on; none (contacted) last.
    assert [c.risk_level for c in (low, medium_late, immediate)] == [
        RiskLevel.LOW,
        RiskLevel.MEDIUM,
        RiskLevel.IMMEDIATE,
    ]
    assert cases_for_staff(session, worker) == [immediate, contacted, medium_soon, medium_late, low]
    assert cases_for_staff(session, worker, limit=2) == [immediate, contacted]
    assert count_cases_for_staff(session, worker) == 5

    # A supervisor also sees what nobody acknowledged in their areas: here, every case.
    supervisor = add_user(session, "supervisor", areas=["047"])
    assert others in cases_for_staff(session, supervisor)
    assert count_cases_for_staff(session, supervisor) == 6
    assert cases_for_staff(session, add_user(session, "supervisor", areas=["001"])) == []
    acknowledge(session, immediate, actor=worker, now=NOW)
    assert immediate not in cases_for_staff(session, supervisor)
    assert next_deadline(others) == others.assign_by
    assert next_deadline(immediate) == immediate.first_contact_by
