"""Service providers as audited data; how a referral's provider is chosen; a referral without
consent needs a supervisor's recorded reason; a referral's unanswered steps are taken once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from case_store_factories import NOW, add_user, build_report, row_counts
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import EventKind, ReferralStatus, Service, ServiceProviderEventKind
from case_store.models import (
    AuditError,
    Case,
    CaseEvent,
    Note,
    Referral,
    ServiceProvider,
    ServiceProviderEvent,
)
from case_store.operations import (
    DuplicateProvider,
    InvalidNote,
    InvalidProvider,
    NoConsent,
    PermissionDenied,
    answer_referral,
    create_provider,
    create_user,
    deactivate_provider,
    mark_unanswered,
    open_case,
    reactivate_provider,
    refer,
    remind_referral,
    update_provider,
)
from case_store.operations.roster import DuplicateUser
from case_store.queries.service_providers import choose_provider, find_provider_by_phone
from case_store.service_types import service_type

PHONE = "+254700222001"
OTHER_PHONE = "+254700222002"
AREAS = {"001", "047"}
ACTOR = "admin_cli"
REASON = "Wanjiru's uncle threatens her; she needs a clinic today."


def provider(session: Session, vault: Vault, **fields: Any) -> ServiceProvider:
    values: dict[str, Any] = {
        "name": "Kibera Health Centre",
        "services": ["health", "psychosocial"],
        "areas": ["047"],
        "phone": PHONE,
        "languages": ["sw", "en"],
        "now": NOW,
        "known_areas": AREAS,
        "actor": ACTOR,
    }
    values.update(fields)
    return create_provider(session, vault, **values)


def trail(session: Session, target: ServiceProvider) -> list[ServiceProviderEvent]:
    return list(
        session.scalars(
            select(ServiceProviderEvent)
            .where(ServiceProviderEvent.service_provider_id == target.id)
            .order_by(ServiceProviderEvent.id)
        )
    )


def consenting_case(session: Session, vault: Vault) -> Case:
    case = open_case(session, vault, build_report(), now=NOW)
    case.consent_services = True
    return case


def case_events(session: Session, case: Case) -> list[CaseEvent]:
    query = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    return list(session.scalars(query))


# --- the providers' records ---------------------------------------------------------------


def test_a_provider_is_created_with_its_phone_hashed_and_encrypted_and_audited(session, vault):
    created = provider(session, vault)
    assert (created.services, created.areas, created.languages) == (
        ["medical", "psychosocial"],
        ["047"],
        ["sw", "en"],
    )
    assert created.phone_hash == vault.phone_hash(PHONE) and created.active
    assert created.phone_encrypted is not None and vault.decrypt(created.phone_encrypted) == PHONE
    assert find_provider_by_phone(session, vault, PHONE) is created
    (event,) = trail(session, created)
    assert (event.kind, event.actor, event.data["before"]) == (
        ServiceProviderEventKind.CREATED,
        ACTOR,
        None,
    )
    assert event.data["after"]["has_phone"] is True and PHONE not in str(event.data)
    assert [service_type(s) for s in created.services] == ["health", "psychosocial"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  "}, "name has 1 to 60 characters"),
        ({"name": "x" * 61}, "name has 1 to 60 characters"),
        ({"services": ["surgery"]}, "service type must be one of: health, shelter"),
        ({"services": []}, "at least one service type"),
        ({"areas": ["047", "999"]}, "unknown area code 999"),
        ({"phone": "0712000111"}, "E.164"),
        ({"languages": ["Swahili"]}, "'Swahili' is not a language code"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(session, vault, fields, message):
    before = row_counts(session)
    with pytest.raises(InvalidProvider, match=message) as error:
        provider(session, vault, **fields)
    assert "0712000111" not in str(error.value)
    assert row_counts(session) == before


def test_a_phone_belongs_to_one_provider(session, vault):
    first = provider(session, vault)
    with pytest.raises(DuplicateProvider, match="belongs to another service provider"):
        provider(session, vault, name="Other")
    other = provider(session, vault, name="Other", phone=OTHER_PHONE)
    with pytest.raises(DuplicateProvider):
        update_provider(session, vault, other, now=NOW, actor=ACTOR, known_areas=AREAS, phone=PHONE)
    assert vault.decrypt(other.phone_encrypted) == OTHER_PHONE
    # Its own number again is no change at all.
    assert (
        update_provider(session, vault, first, now=NOW, actor=ACTOR, known_areas=AREAS, phone=PHONE)
        is None
    )


def test_a_staff_work_phone_is_no_providers_and_the_other_way_round(session, vault):
    """An SMS from one phone cannot be both a staff command and a provider's answer."""
    create_user(session, vault, username="amina", role="caseworker", phone=OTHER_PHONE, now=NOW)
    before = row_counts(session)
    with pytest.raises(DuplicateProvider, match="staff user's work phone"):
        provider(session, vault, phone=OTHER_PHONE)
    assert row_counts(session) == before
    provider(session, vault)
    with pytest.raises(DuplicateUser, match="belongs to a service provider"):
        create_user(session, vault, username="baraka", role="caseworker", phone=PHONE, now=NOW)


def test_updates_are_audited_with_before_and_after(session, vault):
    changed = provider(session, vault)
    event = update_provider(
        session,
        vault,
        changed,
        now=NOW,
        actor=ACTOR,
        known_areas=AREAS,
        services=["shelter"],
        areas=[],
        phone=OTHER_PHONE,
    )
    assert event is not None and event.kind is ServiceProviderEventKind.UPDATED
    assert (changed.services, changed.areas) == (["shelter"], [])
    assert event.data["before"]["services"] == ["medical", "psychosocial"]
    assert event.data["after"]["services"] == ["shelter"] and event.data["after"]["phone_changed"]
    assert find_provider_by_phone(session, vault, PHONE) is None
    assert find_provider_by_phone(session, vault, OTHER_PHONE) is changed
    with pytest.raises(InvalidProvider, match="unknown area code 002"):
        update_provider(
            session, vault, changed, now=NOW, actor=ACTOR, known_areas=AREAS, areas=["002"]
        )
    assert changed.areas == [] and len(trail(session, changed)) == 2


def test_deactivation_is_audited_once_and_the_trail_is_append_only(session, vault):
    gone = provider(session, vault)
    deactivate_provider(session, gone, now=NOW, actor=ACTOR)
    assert not gone.active
    with pytest.raises(InvalidProvider, match="already deactivated"):
        deactivate_provider(session, gone, now=NOW, actor=ACTOR)
    kinds = [event.kind for event in trail(session, gone)]
    assert kinds == [ServiceProviderEventKind.CREATED, ServiceProviderEventKind.DEACTIVATED]
    first = trail(session, gone)[0]
    first.actor = "someone else"
    with pytest.raises(AuditError):
        session.flush()


def test_a_deactivated_provider_is_reactivated_once_and_chosen_again(session, vault):
    case = consenting_case(session, vault)
    clinic = provider(session, vault, areas=[case.location_code])
    deactivate_provider(session, clinic, now=NOW, actor=ACTOR)
    assert choose_provider(session, case, Service.MEDICAL) is None

    reactivate_provider(session, clinic, now=NOW, actor=ACTOR)

    assert clinic.active and choose_provider(session, case, Service.MEDICAL) is clinic
    with pytest.raises(InvalidProvider, match="is active"):
        reactivate_provider(session, clinic, now=NOW, actor=ACTOR)
    [*_, last] = trail(session, clinic)
    assert last.kind is ServiceProviderEventKind.REACTIVATED
    assert (last.data["before"]["active"], last.data["after"]["active"]) == (False, True)


def test_a_staff_member_changes_providers_only_as_an_administrator_named_on_the_trail(
    session, vault
):
    admin = add_user(session, "admin")
    supervisor = add_user(session, "supervisor")
    before = row_counts(session)
    with pytest.raises(PermissionDenied):
        provider(session, vault, actor=supervisor)
    assert row_counts(session) == before

    clinic = provider(session, vault, actor=admin)
    for change in (
        lambda: update_provider(
            session, vault, clinic, now=NOW, actor=supervisor, known_areas=AREAS, name="X"
        ),
        lambda: deactivate_provider(session, clinic, now=NOW, actor=supervisor),
    ):
        with pytest.raises(PermissionDenied):
            change()
    deactivate_provider(session, clinic, now=NOW, actor=admin)
    with pytest.raises(PermissionDenied):
        reactivate_provider(session, clinic, now=NOW, actor=supervisor)

    assert clinic.name == "Kibera Health Centre" and not clinic.active
    assert [(e.kind, e.actor, e.actor_user_id) for e in trail(session, clinic)] == [
        (ServiceProviderEventKind.CREATED, "user", admin.id),
        (ServiceProviderEventKind.DEACTIVATED, "user", admin.id),
    ]


# --- choosing the provider -----------------------------------------------------------------


def test_the_provider_with_the_fewest_waiting_referrals_then_the_lowest_id(session, vault):
    case = consenting_case(session, vault)
    older = provider(session, vault, name="Older", phone="+254700222011")
    newer = provider(session, vault, name="Newer", phone="+254700222012")
    provider(session, vault, name="Elsewhere", phone="+254700222013", areas=["001"])
    provider(session, vault, name="Shelter", phone="+254700222014", services=["shelter"])
    deactivate_provider(
        session, provider(session, vault, name="Gone", phone="+254700222015"), now=NOW, actor=ACTOR
    )
    assert choose_provider(session, case, Service.MEDICAL) is older
    supervisor = add_user(session, "supervisor")
    other = consenting_case(session, vault)
    refer(session, vault, other, older, Service.MEDICAL, actor=supervisor, now=NOW)
    assert choose_provider(session, case, Service.MEDICAL) is newer  # older has one waiting
    assert choose_provider(session, case, Service.LEGAL) is None


def test_a_case_is_not_sent_again_to_a_provider_that_has_it_or_declined_it(session, vault):
    case = consenting_case(session, vault)
    first = provider(session, vault, name="First", phone="+254700222011")
    second = provider(session, vault, name="Second", phone="+254700222012")
    supervisor = add_user(session, "supervisor")
    referral = refer(session, vault, case, first, Service.MEDICAL, actor=supervisor, now=NOW)
    assert choose_provider(session, case, Service.MEDICAL) is second
    answer_referral(session, vault, referral, False, now=NOW, reason="No bed")
    assert choose_provider(session, case, Service.MEDICAL) is second
    declined = refer(session, vault, case, second, Service.MEDICAL, actor=supervisor, now=NOW)
    answer_referral(session, vault, declined, False, now=NOW)
    assert choose_provider(session, case, Service.MEDICAL) is None
    # Another service is a new question.
    assert choose_provider(session, case, Service.PSYCHOSOCIAL) is first


# --- consent and the override --------------------------------------------------------------


@pytest.mark.parametrize("consent", [None, False])
def test_without_consent_only_a_supervisor_refers_and_the_reason_is_a_note(session, vault, consent):
    case = open_case(session, vault, build_report(), now=NOW)
    case.consent_services = consent
    clinic = provider(session, vault)
    caseworker = add_user(session, "caseworker")
    case.assigned_to = caseworker
    case.assigned_to_id = caseworker.id
    before = row_counts(session)
    with pytest.raises(NoConsent):
        refer(session, vault, case, clinic, Service.MEDICAL, actor=caseworker, now=NOW)
    with pytest.raises(PermissionDenied):
        refer(
            session, vault, case, clinic, Service.MEDICAL,
            actor=caseworker, now=NOW, override_reason=REASON,
        )  # fmt: skip
    supervisor = add_user(session, "supervisor")
    with pytest.raises(InvalidNote):
        refer(
            session, vault, case, clinic, Service.MEDICAL,
            actor=supervisor, now=NOW, override_reason="  ",
        )  # fmt: skip
    assert {k: v for k, v in row_counts(session).items() if k != "staff_user"} == {
        k: v for k, v in before.items() if k != "staff_user"
    }
    referral = refer(
        session, vault, case, clinic, Service.MEDICAL,
        actor=supervisor, now=NOW, override_reason=REASON,
    )  # fmt: skip
    event = case_events(session, case)[-1]
    assert event.kind is EventKind.REFERRED and event.actor_user_id == supervisor.id
    after = event.data["after"]
    assert after["consent_override"] is True and after["code"] == referral.code
    note = session.get(Note, after["reason_note_id"])
    assert note is not None and vault.decrypt(note.body_encrypted) == REASON
    assert REASON.encode() not in note.body_encrypted and "Wanjiru" not in str(event.data)


# --- the unanswered steps ------------------------------------------------------------------


def test_each_step_is_taken_once_and_not_after_an_answer(session, vault):
    case = consenting_case(session, vault)
    referral = refer(
        session, vault, case, provider(session, vault), Service.MEDICAL,
        actor=add_user(session, "supervisor"), now=NOW,
    )  # fmt: skip
    later = NOW + timedelta(hours=5)
    too_early = NOW - timedelta(minutes=1)
    assert remind_referral(session, referral.id, now=later, sent_before=too_early) is None
    assert remind_referral(session, referral.id, now=later, sent_before=NOW) is referral
    assert referral.reminded_at == later
    assert remind_referral(session, referral.id, now=later, sent_before=NOW) is None
    assert mark_unanswered(session, referral.id, now=later, sent_before=NOW) is referral
    assert mark_unanswered(session, referral.id, now=later, sent_before=NOW) is None
    kinds = [event.kind for event in case_events(session, case)]
    assert kinds[-2:] == [EventKind.REFERRAL_REMINDED, EventKind.REFERRAL_UNANSWERED]
    # A late answer still counts; the referral is no longer waiting.
    assert answer_referral(session, vault, referral, True, now=later) is not None
    assert referral.status is ReferralStatus.ACCEPTED


def test_an_answered_referral_is_neither_reminded_nor_reported(session, vault):
    case = consenting_case(session, vault)
    referral = refer(
        session, vault, case, provider(session, vault), Service.MEDICAL,
        actor=add_user(session, "supervisor"), now=NOW,
    )  # fmt: skip
    answer_referral(session, vault, referral, False, now=NOW, reason=REASON)
    assert referral.answer_reason_encrypted is not None
    assert vault.decrypt(referral.answer_reason_encrypted) == REASON
    assert case_events(session, case)[-1].data["after"]["has_reason"] is True
    later = NOW + timedelta(days=2)
    assert remind_referral(session, referral.id, now=later, sent_before=later) is None
    assert mark_unanswered(session, referral.id, now=later, sent_before=later) is None


def test_a_step_claimed_elsewhere_is_not_taken_again(session, vault):
    """Another worker's sweep committed the reminder first: this one's UPDATE finds nothing."""
    case = consenting_case(session, vault)
    referral = refer(
        session, vault, case, provider(session, vault), Service.MEDICAL,
        actor=add_user(session, "supervisor"), now=NOW,
    )  # fmt: skip
    session.execute(update(Referral).where(Referral.id == referral.id).values(reminded_at=NOW))
    events = len(case_events(session, case))
    assert remind_referral(session, referral.id, now=NOW, sent_before=NOW) is None
    assert len(case_events(session, case)) == events
