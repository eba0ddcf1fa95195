"""``claim`` (a caseworker takes an unassigned case in their area), the triage policy's
``escalate_within``, and the staff accounts they act for. (What the deadline clock writes is in
``test_deadline_steps``.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from case_store_factories import NOW, add_user, build_report, row_counts
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import EventKind
from case_store.models import Case
from case_store.operations import (
    InvalidTransition,
    PermissionDenied,
    claim,
    create_user,
    open_case,
)
from case_store.operations.roster import DuplicateUser, InvalidUser
from case_store.queries.users import find_staff_by_phone
from case_store.triage import InvalidPolicy, TriagePolicy

LATER = NOW + timedelta(minutes=5)
PHONE = "+254712000111"


@pytest.fixture
def case(session: Session, vault: Vault) -> Case:
    return open_case(session, vault, build_report(), now=NOW)


def test_a_caseworker_claims_an_unassigned_case_in_their_area(session: Session, case: Case):
    caseworker = add_user(session, "caseworker", areas=[case.location_code])
    event = claim(session, case, actor=caseworker, now=LATER)
    assert event is not None and event.kind is EventKind.ASSIGNED
    assert event.data["after"]["claimed"] is True
    assert case.assigned_to_id == caseworker.id and case.assigned_at == LATER
    assert claim(session, case, actor=caseworker, now=LATER) is None  # already theirs


def test_claims_that_are_refused_write_nothing(session: Session, case: Case):
    holder = add_user(session, "caseworker")
    claim(session, case, actor=holder, now=LATER)
    before = row_counts(session)
    with pytest.raises(InvalidTransition):
        claim(session, case, actor=add_user(session, "caseworker"), now=LATER)
    with pytest.raises(PermissionDenied):
        claim(session, case, actor=add_user(session, "hotline_agent"), now=LATER)
    elsewhere = "001" if case.location_code != "001" else "002"
    other_area = add_user(session, "caseworker", areas=[elsewhere])
    with pytest.raises(PermissionDenied):
        claim(session, case, actor=other_area, now=LATER)
    assert row_counts(session)["case_event"] == before["case_event"]
    assert case.assigned_to_id == holder.id


def test_escalate_within_is_a_positive_duration():
    default = TriagePolicy.default()
    assert default.escalate_within == timedelta(minutes=15)
    with pytest.raises(InvalidPolicy, match="escalate_within"):
        TriagePolicy.from_mapping(
            {
                "categories": {c.value: lv.value for c, lv in default.category_levels.items()},
                "deadlines": {
                    level.value: {"assign_within": "1h", "first_contact_within": "2h"}
                    for level in default.deadlines
                },
                "escalate_within": "soon",
            }
        )


def test_users_are_unique_by_name_and_phone(session: Session, vault: Vault):
    user = create_user(session, vault, username="amina", role="caseworker", phone=PHONE, now=NOW)
    assert find_staff_by_phone(session, vault, PHONE) is user
    assert find_staff_by_phone(session, vault, "+254712000999") is None
    with pytest.raises(DuplicateUser):
        create_user(session, vault, username="amina", role="supervisor", phone=None, now=NOW)
    with pytest.raises(DuplicateUser):
        create_user(session, vault, username="baraka", role="supervisor", phone=PHONE, now=NOW)
    with pytest.raises(InvalidUser, match="role"):
        create_user(session, vault, username="chebet", role="boss", phone=None, now=NOW)
    # Still recognised: ``gateway.channels.sms.staff`` refuses a former user's commands.
    user.active = False
    assert find_staff_by_phone(session, vault, PHONE) is user
