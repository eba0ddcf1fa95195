"""The operations that acknowledge, refer and close a case owe its reporter a follow-up, in
their own transaction, only when the reporter agreed to SMS updates; whoever calls them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from case_store_factories import NOW, add_user, answers, build_report
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import CaseStatus, ClosureReason
from case_store.models import Case, ServiceProvider
from case_store.operations import (
    acknowledge,
    assign,
    change_status,
    close,
    merge_duplicate,
    open_case,
    refer,
    reopen,
)
from case_store.triage import TriagePolicy

LATER = NOW + timedelta(hours=1)
NO_REPEATS = replace(TriagePolicy.default(), repeat_window=timedelta(0))


def _case(session: Session, vault: Vault, sms: str | None = "yes") -> Case:
    report = build_report(answers=answers(sms_updates=sms))
    return open_case(session, vault, report, now=NOW, policy=NO_REPEATS)


def _acknowledged(session: Session, vault: Vault, case: Case) -> None:
    caseworker = add_user(session, "caseworker")
    assign(session, case, caseworker, actor=add_user(session, "supervisor"), now=NOW)
    acknowledge(session, case, actor=caseworker, now=LATER)


def _referred(session: Session, vault: Vault, case: Case) -> None:
    case.consent_services = True  # as a caseworker records it when they speak
    clinic = ServiceProvider(
        name="Clinic", services=["medical"], areas=[], languages=["en"], created_at=NOW
    )
    session.add(clinic)
    session.flush()
    refer(session, vault, case, clinic, "medical", actor=add_user(session, "supervisor"), now=LATER)


def _closed(session: Session, vault: Vault, case: Case) -> None:
    close(session, case, ClosureReason.RESOLVED, actor=add_user(session, "supervisor"), now=LATER)


UPDATES = {"acknowledged": _acknowledged, "referred": _referred, "closed": _closed}


@pytest.mark.parametrize("update", sorted(UPDATES))
def test_an_update_owes_the_reporter_who_agreed_a_follow_up(session, vault, update):
    case = _case(session, vault)
    assert case.follow_up_due_at is None
    UPDATES[update](session, vault, case)
    assert case.follow_up_due_at == LATER


@pytest.mark.parametrize("update", sorted(UPDATES))
@pytest.mark.parametrize("sms", ["no", None], ids=["declined", "not asked"])
def test_an_update_owes_nothing_without_consent(session, vault, update, sms):
    case = _case(session, vault, sms)
    UPDATES[update](session, vault, case)
    assert case.follow_up_due_at is None


def test_a_duplicate_closed_by_a_merge_owes_its_reporter_one(session, vault):
    duplicate = _case(session, vault)
    survivor = _case(session, vault, sms=None)
    merge_duplicate(session, duplicate, survivor, actor=add_user(session, "supervisor"), now=LATER)
    assert duplicate.follow_up_due_at == LATER
    assert survivor.follow_up_due_at is None  # its reporter did not agree


def test_a_follow_up_owed_already_covers_the_next_update(session, vault):
    case = _case(session, vault)
    _acknowledged(session, vault, case)
    supervisor = add_user(session, "supervisor")
    close(session, case, ClosureReason.RESOLVED, actor=supervisor, now=LATER + timedelta(hours=1))
    assert case.follow_up_due_at == LATER


def test_other_changes_owe_nothing(session, vault):
    case = _case(session, vault)
    supervisor = add_user(session, "supervisor")
    assign(session, case, add_user(session, "caseworker"), actor=supervisor, now=NOW)
    change_status(session, case, CaseStatus.PENDING, actor=supervisor, now=NOW)
    assert case.follow_up_due_at is None
    _closed(session, vault, case)
    case.follow_up_due_at = None  # the follow-up job took it
    reopen(session, case, actor=supervisor, now=LATER)
    assert case.follow_up_due_at is None
