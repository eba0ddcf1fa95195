"""Hotline calls in the case store: a case opened by an agent, a caller without a number, the
consents a call records, and the call-back request a logged call closes."""

from __future__ import annotations

import pytest
from case_store_factories import NOW, add_user, answers, build_report, row_counts
from sqlalchemy import select

from case_store.enums import Channel, Direction, Disposition, EventKind
from case_store.models import CaseEvent
from case_store.operations import (
    InvalidReport,
    PermissionDenied,
    close_callback_request,
    open_case,
    record_contact,
    request_callback,
)
from case_store.operations.errors import InvalidTransition
from case_store.queries.calls import waiting_callbacks

CALLER = "+254700000009"


def call_report(**overrides):
    return build_report(channel="voice", provider="console", **overrides)


def test_an_agent_opens_a_case_named_in_its_first_event(session, vault):
    agent = add_user(session, "hotline_agent")
    case = open_case(
        session, vault, call_report(), now=NOW, agent=agent, direction=Direction.OUTBOUND
    )

    contact = case.contacts[0]
    assert (contact.channel, contact.direction, contact.agent) == (
        Channel.VOICE,
        Direction.OUTBOUND,
        agent,
    )
    opened = case.events[0]
    assert (opened.actor, opened.actor_user_id) == ("user", agent.id)


def test_a_call_without_a_number_has_no_reporter_and_cannot_ask_for_a_call_back(session, vault):
    quiet = open_case(
        session,
        vault,
        call_report(phone=None, answers=answers(callback="no", callback_time=None)),
        now=NOW,
    )
    assert quiet.reporter is None and quiet.contacts[0].reporter is None
    before = row_counts(session)
    with pytest.raises(InvalidReport, match="no phone"):
        open_case(session, vault, call_report(phone=None), now=NOW)
    assert row_counts(session) == before


def test_consents_asked_on_a_call_are_kept(session, vault):
    case = open_case(
        session,
        vault,
        call_report(answers=answers(consent_services="yes", consent_share="no")),
        now=NOW,
    )
    assert (case.consent_services, case.consent_share) == (True, False)
    assert case.answers["consent_share"] == "no"
    with pytest.raises(InvalidReport, match="consent_share"):
        open_case(session, vault, call_report(answers=answers(consent_share="maybe")), now=NOW)


def test_a_role_that_may_not_record_a_contact_opens_no_case(session, vault):
    inactive = add_user(session, "hotline_agent", active=False)
    before = row_counts(session)
    with pytest.raises(PermissionDenied):
        open_case(session, vault, call_report(), now=NOW, agent=inactive)
    assert row_counts(session) == before


def test_a_call_logged_on_the_case_closes_its_call_back_request_once(session, vault):
    agent = add_user(session, "hotline_agent")
    case = open_case(session, vault, build_report(), now=NOW)
    request_callback(session, vault, case, CALLER, "morning", now=NOW)
    assert case.callback_requested_at == NOW
    assert waiting_callbacks(session, agent) == [case]

    call, _ = record_contact(
        session,
        vault,
        channel="voice",
        provider="console",
        external_id="call-1",
        disposition=Disposition.CASE_UPDATED,
        started_at=NOW,
        now=NOW,
        agent=agent,
        case=case,
    )
    closed = close_callback_request(session, case, call, actor=agent, now=NOW)

    assert closed is not None and closed.kind is EventKind.CALLBACK_CLOSED
    assert closed.data["after"] == {"callback_requested_at": None, "contact_id": call.id}
    assert close_callback_request(session, case, call, actor=agent, now=NOW) is None
    assert waiting_callbacks(session, agent) == []
    kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)).all()
    assert kinds.count(EventKind.CALLBACK_CLOSED) == 1


def test_a_call_about_another_case_closes_nothing(session, vault):
    agent = add_user(session, "hotline_agent")
    case = open_case(session, vault, build_report(), now=NOW)
    other = open_case(session, vault, build_report(), now=NOW)
    request_callback(session, vault, case, CALLER, "any", now=NOW)
    call, _ = record_contact(
        session,
        vault,
        channel="voice",
        provider="console",
        external_id="call-2",
        disposition=Disposition.CASE_UPDATED,
        started_at=NOW,
        now=NOW,
        agent=agent,
        case=other,
    )
    with pytest.raises(InvalidTransition):
        close_callback_request(session, case, call, actor=agent, now=NOW)
    assert case.callback_requested_at == NOW


def test_waiting_call_backs_are_those_of_the_viewer_s_areas(session, vault):
    case = open_case(session, vault, build_report(), now=NOW)  # area 047
    request_callback(session, vault, case, CALLER, "any", now=NOW)
    assert waiting_callbacks(session, add_user(session, "hotline_agent", areas=["001"])) == []
    assert waiting_callbacks(session, add_user(session, "hotline_agent", areas=["047"])) == [case]
