"""The reporter's consent to services, recorded after a call: by whoever may record a contact,
never on a closed case, once per answer, audited; it lets a caseworker refer, except when the
reporter refused sharing with other agencies (then only a supervisor's override does)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from case_store_factories import NOW, add_user, build_report, row_counts
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import ClosureReason, EventKind, Service
from case_store.models import Case, CaseEvent, User
from case_store.operations import (
    InvalidTransition,
    NoConsent,
    PermissionDenied,
    claim,
    close,
    create_provider,
    open_case,
    record_consent,
    refer,
)
from case_store.operations.referrals import check_referral

LATER = NOW + timedelta(minutes=40)
AREA = "047"  # where build_report's case is


@pytest.fixture
def case(session: Session, vault: Vault) -> Case:
    return open_case(session, vault, build_report(), now=NOW)


def consent_events(session: Session, case: Case) -> list[CaseEvent]:
    query = select(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.CONSENT_RECORDED
    )
    return list(session.scalars(query.order_by(CaseEvent.id)))


def _holder(session: Session, case: Case) -> User:
    worker = add_user(session, "caseworker", areas=[AREA])
    claim(session, case, actor=worker, now=NOW)
    return worker


# Who may record the answer (the same as who may record a contact), and who may not.
ACTORS = {
    "the caseworker holding it": (_holder, True),
    "another caseworker": (lambda s, c: add_user(s, "caseworker", areas=[AREA]), False),
    "a hotline agent of its area": (lambda s, c: add_user(s, "hotline_agent", areas=[AREA]), True),
    "a hotline agent elsewhere": (lambda s, c: add_user(s, "hotline_agent", areas=["001"]), False),
    "a supervisor of every area": (lambda s, c: add_user(s, "supervisor"), True),
    "a supervisor elsewhere": (lambda s, c: add_user(s, "supervisor", areas=["001"]), False),
    "an administrator": (lambda s, c: add_user(s, "admin", areas=["001"]), True),
    "a deactivated supervisor": (lambda s, c: add_user(s, "supervisor", active=False), False),
}


@pytest.mark.parametrize("who", list(ACTORS))
def test_who_may_record_the_answer(session: Session, case: Case, who: str) -> None:
    make, may = ACTORS[who]
    actor = make(session, case)
    before = row_counts(session)
    if not may:
        with pytest.raises(PermissionDenied):
            record_consent(session, case, services=True, actor=actor, now=LATER)
        assert case.consent_services is None and row_counts(session) == before
        return
    event = record_consent(session, case, services=True, actor=actor, now=LATER)
    assert event is not None and case.consent_services is True
    assert (event.kind, event.actor, event.actor_user_id, event.at) == (
        EventKind.CONSENT_RECORDED,
        "user",
        actor.id,
        LATER,
    )
    assert event.data == {
        "before": {"consent_services": None},
        "after": {"consent_services": True},
    }


def test_the_same_answer_twice_is_recorded_once_and_a_new_answer_replaces_it(
    session: Session, case: Case
) -> None:
    supervisor = add_user(session, "supervisor")
    assert record_consent(session, case, services=False, actor=supervisor, now=NOW) is not None
    before = row_counts(session)
    assert record_consent(session, case, services=False, actor=supervisor, now=LATER) is None
    assert row_counts(session) == before and case.consent_services is False
    changed = record_consent(session, case, services=True, actor=supervisor, now=LATER)
    assert changed is not None and case.consent_services is True
    assert [event.data for event in consent_events(session, case)] == [
        {"before": {"consent_services": None}, "after": {"consent_services": False}},
        {"before": {"consent_services": False}, "after": {"consent_services": True}},
    ]


def test_a_closed_case_is_refused_and_nothing_changes(session: Session, case: Case) -> None:
    supervisor = add_user(session, "supervisor")
    close(session, case, ClosureReason.RESOLVED, actor=supervisor, now=NOW)
    before = row_counts(session)
    with pytest.raises(InvalidTransition):
        record_consent(session, case, services=True, actor=supervisor, now=LATER)
    assert case.consent_services is None and row_counts(session) == before


def test_consent_lets_the_caseworker_refer(session: Session, vault: Vault, case: Case) -> None:
    worker = _holder(session, case)
    with pytest.raises(NoConsent):
        check_referral(case, actor=worker)
    record_consent(session, case, services=False, actor=worker, now=NOW)
    with pytest.raises(NoConsent):
        check_referral(case, actor=worker)
    record_consent(session, case, services=True, actor=worker, now=LATER)
    check_referral(case, actor=worker)


def test_a_refusal_to_share_stands_and_still_needs_the_override(
    session: Session, vault: Vault, case: Case
) -> None:
    case.consent_share = False
    worker = _holder(session, case)
    record_consent(session, case, services=True, actor=worker, now=LATER)
    assert (case.consent_services, case.consent_share) == (True, False)
    clinic = create_provider(
        session,
        vault,
        name="Coast Clinic",
        services=["health"],
        areas=[AREA],
        phone="+254700222001",
        languages=["en"],
        now=NOW,
        known_areas={AREA},
    )
    with pytest.raises(NoConsent):
        refer(session, vault, case, clinic, Service.MEDICAL, actor=worker, now=LATER)
    supervisor = add_user(session, "supervisor")
    referral = refer(
        session, vault, case, clinic, Service.MEDICAL,
        actor=supervisor, now=LATER, override_reason="The child needs care tonight",
    )  # fmt: skip
    assert referral.case is case and case.consent_share is False
