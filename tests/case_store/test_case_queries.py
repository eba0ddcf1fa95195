"""Queries for consoles, alerts and sweeps: open cases, overdue ones, a reporter's cases."""

from __future__ import annotations

from datetime import timedelta

from case_store_factories import NOW, add_user, answers, build_report
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import ClosureReason, Direction, RiskLevel
from case_store.models import Case
from case_store.operations import acknowledge, assign, close, open_case
from case_store.queries.cases import (
    cases_for_reporter,
    open_cases,
    overdue_for_assignment,
    unacknowledged,
)


def _case(session: Session, vault: Vault, **changes: str) -> Case:
    phone = changes.pop("phone", "+254700000001")
    report = build_report(phone=phone, answers=answers(**changes))
    return open_case(session, vault, report, now=NOW)


def test_open_cases_by_area_and_level(session: Session, vault: Vault) -> None:
    supervisor = add_user(session, "supervisor")
    nairobi_high = _case(session, vault, area="047", category="sexual_abuse")
    nairobi_low = _case(session, vault, area="047", category="other")
    mombasa_now = _case(session, vault, area="001", danger="yes")
    closed = _case(session, vault, area="047", category="sexual_abuse")
    close(session, closed, ClosureReason.DUPLICATE, actor=supervisor, now=NOW)

    assert open_cases(session) == [mombasa_now, nairobi_high, nairobi_low]
    assert open_cases(session, location_codes=["047"]) == [nairobi_high, nairobi_low]
    assert open_cases(session, location_codes=["047"], levels=[RiskLevel.HIGH]) == [nairobi_high]
    assert open_cases(session, levels=[RiskLevel.IMMEDIATE, RiskLevel.HIGH], limit=1) == [
        mombasa_now
    ]


def test_overdue_and_unacknowledged(session: Session, vault: Vault) -> None:
    supervisor = add_user(session, "supervisor")
    worker = add_user(session, "caseworker")
    urgent = _case(session, vault, danger="yes")  # assign within 15 min
    routine = _case(session, vault, category="other")  # assign within 3 h
    handled = _case(session, vault, danger="yes")
    assign(session, handled, worker, actor=supervisor, now=NOW)

    assert overdue_for_assignment(session, now=NOW + timedelta(minutes=10)) == []
    assert overdue_for_assignment(session, now=NOW + timedelta(minutes=20)) == [urgent]
    assert overdue_for_assignment(session, now=NOW + timedelta(hours=4)) == [urgent, routine]

    assert unacknowledged(session, assigned_before=NOW) == []
    assert unacknowledged(session, assigned_before=NOW + timedelta(minutes=15)) == [handled]
    acknowledge(session, handled, actor=worker, now=NOW + timedelta(minutes=5))
    assert unacknowledged(session, assigned_before=NOW + timedelta(minutes=15)) == []


def test_cases_for_reporter_and_repeat_callers(session: Session, vault: Vault) -> None:
    first = _case(session, vault, phone="+254711000001")
    other = _case(session, vault, phone="+254711000002")
    later = open_case(
        session,
        vault,
        build_report(phone="+254711000001"),
        now=NOW + timedelta(days=1),
    )
    found = cases_for_reporter(session, vault.phone_hash("+254711000001"))
    assert found == [later, first]
    assert cases_for_reporter(session, vault.phone_hash("+254711000003")) == []
    assert [c.repeat_caller for c in first.contacts + other.contacts + later.contacts] == [
        False,
        False,
        True,
    ]
    assert first.contacts[0].direction is Direction.INBOUND
    assert first.contacts[0].agent_id is None
