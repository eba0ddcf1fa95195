"""Contacts without a case, referrals to service providers, merges, on-call windows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from case_store_factories import NOW, PHONE, add_user, answers, build_report, row_counts
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import (
    CaseStatus,
    ClosureReason,
    Disposition,
    EventKind,
    ReferralStatus,
    RiskLevel,
)
from case_store.models import Case, CaseEvent, OnCallWindow, ServiceProvider, User
from case_store.operations import (
    InvalidTransition,
    PermissionDenied,
    answer_referral,
    close,
    merge_duplicate,
    open_case,
    record_contact,
    record_reveal,
    refer,
)
from case_store.queries.cases import on_call_users
from case_store.triage import TriagePolicy

LATER = NOW + timedelta(hours=2)
NO_REPEATS = replace(TriagePolicy.default(), repeat_window=timedelta(0))


def _events(session: Session, case: Case) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    )


def _provider(session: Session, vault: Vault, **fields: object) -> ServiceProvider:
    values: dict[str, object] = {
        "name": "Kibera Health Centre",
        "services": ["medical", "psychosocial"],
        "areas": ["047"],
        "languages": ["en", "sw"],
        "phone_hash": vault.phone_hash("+254700111222"),
        "phone_encrypted": vault.encrypt("+254700111222"),
        "created_at": NOW,
    }
    values.update(fields)
    provider = ServiceProvider(**values)
    session.add(provider)
    session.flush()
    return provider


# --- contacts -------------------------------------------------------------------------------


def test_a_dropped_ussd_session_is_a_contact_once(session: Session, vault: Vault) -> None:
    kwargs = dict(
        channel="ussd",
        provider="africastalking",
        external_id="ATUid_dropped",
        disposition="dropped",
        started_at=NOW,
        now=NOW,
        phone=PHONE,
    )
    contact, created = record_contact(session, vault, **kwargs)  # type: ignore[arg-type]
    assert created and contact.disposition is Disposition.DROPPED and contact.case is None
    assert not contact.repeat_caller
    assert contact.reporter is not None and contact.reporter.phone_encrypted is None
    before = row_counts(session)
    again, created = record_contact(session, vault, **kwargs)  # type: ignore[arg-type]
    assert not created and again.id == contact.id
    assert row_counts(session) == before
    second, _ = record_contact(
        session,
        vault,
        **{**kwargs, "external_id": "ATUid_2", "disposition": "silent"},  # type: ignore[arg-type]
    )
    assert second.repeat_caller


def test_an_event_for_a_session_that_opened_a_case_changes_nothing(
    session: Session, vault: Vault
) -> None:
    report = build_report()
    case = open_case(session, vault, report, now=NOW)
    contact, created = record_contact(
        session,
        vault,
        channel="ussd",
        provider=report.provider,
        external_id=report.external_id,
        disposition="dropped",
        started_at=NOW,
        now=LATER,
        phone=PHONE,
    )
    assert not created and contact.case is case
    assert contact.disposition is Disposition.CASE_OPENED


def test_a_call_about_a_case_by_an_agent_is_audited(session: Session, vault: Vault) -> None:
    case = open_case(session, vault, build_report(), now=NOW)
    agent = add_user(session, "hotline_agent")
    contact, _ = record_contact(
        session,
        vault,
        channel="voice",
        provider="hotline",
        external_id="call-1",
        disposition="case_updated",
        started_at=NOW,
        now=LATER,
        agent=agent,
        case=case,
    )
    assert contact.agent is agent and contact.case is case
    event = _events(session, case)[-1]
    assert event.kind is EventKind.CONTACT_RECORDED and event.actor_user_id == agent.id
    assert event.data["after"] == {"contact_id": contact.id, "disposition": "case_updated"}


@pytest.mark.parametrize(
    ("disposition", "with_case", "message"),
    [("case_opened", False, "open_case"), ("case_updated", False, "needs its case")],
)
def test_contacts_that_belong_elsewhere_are_refused(
    session: Session, vault: Vault, disposition: str, with_case: bool, message: str
) -> None:
    with pytest.raises(InvalidTransition, match=message):
        record_contact(
            session,
            vault,
            channel="sms",
            provider="twilio",
            external_id="x",
            disposition=disposition,
            started_at=NOW,
            now=NOW,
        )
    assert row_counts(session)["contact"] == 0


def test_an_inactive_agent_cannot_log_contacts(session: Session, vault: Vault) -> None:
    agent = add_user(session, "hotline_agent", active=False)
    with pytest.raises(PermissionDenied):
        record_contact(
            session,
            vault,
            channel="voice",
            provider="hotline",
            external_id="call-9",
            disposition="prank",
            started_at=NOW,
            now=NOW,
            agent=agent,
        )
    assert row_counts(session)["contact"] == 0


# --- referrals ------------------------------------------------------------------------------


def test_refer_then_the_provider_accepts(session: Session, vault: Vault) -> None:
    case = open_case(session, vault, build_report(), now=NOW)
    agent = add_user(session, "hotline_agent")
    provider = _provider(session, vault)
    case.consent_services = True
    referral = refer(session, vault, case, provider, "medical", actor=agent, now=LATER)
    assert referral.status is ReferralStatus.PENDING and len(referral.code) == 6
    assert case.referrals == [referral]
    event = _events(session, case)[-1]
    assert event.kind is EventKind.REFERRED and event.data["after"]["referral_id"] == referral.id
    assert answer_referral(session, vault, referral, True, now=LATER) is not None
    assert referral.status is ReferralStatus.ACCEPTED and referral.answered_at == LATER
    assert _events(session, case)[-1].actor == "service_provider"
    assert answer_referral(session, vault, referral, True, now=LATER) is None  # resent SMS
    with pytest.raises(InvalidTransition, match="already accepted"):
        answer_referral(session, vault, referral, False, now=LATER)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"service": "shelter"}, "does not offer"),
        ({"areas": ["001"]}, "does not offer"),
        ({"active": False}, "does not offer"),
        ({"consent_share": False}, "may not be shared"),
        ({"consent_services": None}, "not agreed to services"),
        ({"consent_services": False}, "not agreed to services"),
        ({"pending": True}, "already pending"),
        ({"closed": True}, "closed case"),
    ],
)
def test_refusals(session: Session, vault: Vault, change: dict[str, object], message: str) -> None:
    case = open_case(session, vault, build_report(), now=NOW)
    supervisor = add_user(session, "supervisor")
    provider = _provider(
        session, vault, **{k: v for k, v in change.items() if k in ("areas", "active")}
    )
    case.consent_services = change.get("consent_services", True)  # type: ignore[assignment]
    if change.get("consent_share") is False:
        case.consent_share = False
    if change.get("pending"):
        refer(session, vault, case, provider, "medical", actor=supervisor, now=NOW)
    if change.get("closed"):
        close(session, case, ClosureReason.RESOLVED, actor=supervisor, now=NOW)
    events = len(_events(session, case))
    with pytest.raises(InvalidTransition, match=message):
        refer(
            session,
            vault,
            case,
            provider,
            str(change.get("service", "medical")),
            actor=supervisor,
            now=LATER,
        )
    assert len(_events(session, case)) == events


def test_a_caseworker_refers_only_their_own_cases(session: Session, vault: Vault) -> None:
    case = open_case(session, vault, build_report(), now=NOW)
    case.consent_services = True
    caseworker = add_user(session, "caseworker")
    provider = _provider(session, vault)
    with pytest.raises(PermissionDenied):
        refer(session, vault, case, provider, "medical", actor=caseworker, now=LATER)
    assert row_counts(session)["referral"] == 0


# --- merges ---------------------------------------------------------------------------------


def test_merge_closes_the_duplicate_and_raises_the_survivor(session: Session, vault: Vault) -> None:
    survivor = open_case(session, vault, build_report(), now=NOW, policy=NO_REPEATS)
    urgent = open_case(
        session, vault, build_report(answers=answers(danger="yes")), now=LATER, policy=NO_REPEATS
    )
    assert (survivor.risk_level, urgent.risk_level) == (RiskLevel.LOW, RiskLevel.IMMEDIATE)
    supervisor = add_user(session, "supervisor")
    event = merge_duplicate(session, urgent, survivor, actor=supervisor, now=LATER)
    assert urgent.status is CaseStatus.CLOSED
    assert urgent.closure_reason is ClosureReason.DUPLICATE and urgent.merged_into is survivor
    assert survivor.risk_level is RiskLevel.IMMEDIATE
    assert survivor.assign_by == min(survivor.created_at + timedelta(days=7), urgent.assign_by)
    assert (
        event.kind is EventKind.DUPLICATE_MERGED
        and event.data["after"]["duplicate"] == urgent.reference
    )
    assert _events(session, urgent)[-1].kind is EventKind.MERGED_INTO
    with pytest.raises(InvalidTransition):
        merge_duplicate(session, urgent, survivor, actor=supervisor, now=LATER)
    with pytest.raises(InvalidTransition, match="itself"):
        merge_duplicate(session, survivor, survivor, actor=supervisor, now=LATER)


def test_only_supervisors_merge(session: Session, vault: Vault) -> None:
    first = open_case(session, vault, build_report(), now=NOW, policy=NO_REPEATS)
    second = open_case(session, vault, build_report(), now=NOW, policy=NO_REPEATS)
    for role in ("caseworker", "hotline_agent"):
        with pytest.raises(PermissionDenied):
            merge_duplicate(session, second, first, actor=add_user(session, role), now=LATER)
    assert second.status is CaseStatus.OPEN


# --- on call --------------------------------------------------------------------------------

NAIROBI = ZoneInfo("Africa/Nairobi")


def _with_window(
    session: Session, role: str, weekday: int, starts: time, ends: time, **fields: object
) -> User:
    user = add_user(session, role, **fields)
    session.add(OnCallWindow(user=user, weekday=weekday, starts=starts, ends=ends))
    session.flush()
    return user


def test_on_call_windows_in_local_time_including_overnight(session: Session) -> None:
    # 2026-03-02 is a Monday (weekday 0); 20:00 UTC is 23:00 in Nairobi.
    day = _with_window(session, "caseworker", 0, time(8), time(17))
    night = _with_window(session, "caseworker", 0, time(22), time(6))
    supervisor = add_user(session, "supervisor", on_call=True)
    add_user(session, "caseworker", on_call=True, active=False)
    add_user(session, "hotline_agent", on_call=True)
    monday_noon = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    monday_late = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    tuesday_early = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)  # 04:00 local
    tuesday_noon = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)

    def ids(at: datetime, **kw: str) -> list[int]:
        return [u.id for u in on_call_users(session, at=at, time_zone=NAIROBI, **kw)]

    assert ids(monday_noon) == [day.id, supervisor.id]
    assert ids(monday_late) == [night.id, supervisor.id]
    assert ids(tuesday_early) == [night.id, supervisor.id]
    assert ids(tuesday_noon) == [supervisor.id]
    far = _with_window(session, "caseworker", 0, time(8), time(17), areas=["001"])
    assert far.id not in ids(monday_noon, location_code="047")
    assert far.id in ids(monday_noon, location_code="001")


def test_reveals_are_audited_and_need_the_permission(session: Session, vault: Vault) -> None:
    case = open_case(session, vault, build_report(), now=NOW)
    agent = add_user(session, "hotline_agent")
    with pytest.raises(PermissionDenied):
        record_reveal(session, case, ["narrative"], now=LATER, actor=agent)
    supervisor = add_user(session, "supervisor")
    event = record_reveal(session, case, ["place", "narrative"], now=LATER, actor=supervisor)
    assert event.kind is EventKind.REVEALED and event.actor_user_id == supervisor.id
    assert event.data["after"] == {"fields": ["narrative", "place"]}
    cli = record_reveal(session, case, ["narrative"], now=LATER, actor_label="admin_cli")
    assert (cli.actor, cli.actor_user_id) == ("admin_cli", None)
    assert [e.kind for e in _events(session, case)].count(EventKind.REVEALED) == 2
