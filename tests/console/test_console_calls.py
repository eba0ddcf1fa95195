"""Logging a hotline call: a new case triaged and alerted like a USSD report, a call on an
existing case, a call logged only; refusals that write nothing, and a form posted twice."""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, datetime
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPRedirectHandler, Request, build_opener

import pytest
from console_call_data import (
    CALLER,
    CASEWORKER_PHONE,
    HIGH_CASE,
    MOMBASA,
    NAIROBI,
    NARRATIVE,
    PLACE,
)
from console_client import hidden_fields
from console_records import counts, kinds, trail
from sqlalchemy import select

from case_store.crypto import Vault
from case_store.enums import Channel, Direction, Disposition, EventKind, MessagePurpose, RiskLevel
from case_store.models import Case, CaseEvent, Contact, Message, Note
from case_store.operations import request_callback
from case_store.references import format_reference

PAGE = "/staff/calls/new"


@pytest.fixture
def agent(make_staff, console):
    """Amina, a hotline agent, signed in; Wanjiru, the caseworker on call for Mombasa."""
    make_staff("amina", "hotline_agent")
    make_staff("wanjiru", "caseworker", phone=CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    browser = console()
    browser.sign_in("amina")
    return browser


def the_case(db) -> Case:
    with db() as session:
        case = session.scalars(select(Case)).one()
        session.expunge(case)
        return case


def alerts(db, vault: Vault) -> list[tuple[str, str]]:
    with db() as session:
        rows = session.scalars(
            select(Message).where(Message.purpose == MessagePurpose.ALERT).order_by(Message.id)
        )
        return [(vault.decrypt(m.phone_encrypted), vault.decrypt(m.body_encrypted)) for m in rows]


def vault_of(app) -> Vault:
    return app.extensions["kinga"].vault


def saved_notice(browser) -> str:
    page = browser.get(PAGE).get_data(as_text=True)
    match = re.search(r'<p class="notice saved" role="status">(.*?)</p>', page)
    assert match, page
    return match.group(1)


def test_a_call_about_sexual_abuse_opens_a_high_case_and_alerts_the_caseworker_on_call(
    agent, app, db, caplog
):
    caplog.set_level(logging.DEBUG)
    answer = agent.submit(PAGE, HIGH_CASE)

    assert answer.status_code == 302 and answer.headers["Location"] == PAGE
    case = the_case(db)
    assert case.risk_level is RiskLevel.HIGH
    assert (case.location_code, case.category.value, case.child_sex.value) == (
        MOMBASA,
        "sexual_abuse",
        "girl",
    )
    assert (case.consent_services, case.consent_share) == (True, False)
    assert case.callback_consent and case.callback_time.value == "evening"
    vault = vault_of(app)
    assert vault.decrypt(case.narrative_encrypted) == NARRATIVE
    assert vault.decrypt(case.place_encrypted) == PLACE
    with db() as session:
        contact = session.scalars(select(Contact)).one()
        opened = session.scalars(select(CaseEvent)).one()
        assert (contact.channel, contact.provider, contact.direction) == (
            Channel.VOICE,
            "console",
            Direction.INBOUND,
        )
        assert contact.agent.username == "amina" and contact.case_id == case.id
        assert contact.disposition is Disposition.CASE_OPENED
        assert (opened.kind, opened.actor, opened.actor_user_id) == (
            EventKind.CASE_OPENED,
            "user",
            contact.agent_id,
        )
        assert vault.decrypt(contact.reporter.phone_encrypted) == CALLER  # a call back agreed
    [(phone, text)] = alerts(db, vault)
    assert phone == CASEWORKER_PHONE
    assert f"new case {format_reference(case.reference)}, level HIGH, Mombasa" in text

    notice = saved_notice(agent)
    assert f"Case {format_reference(case.reference)} opened, level High." in notice
    assert "The staff on call have been alerted." in notice
    assert "+2547•••••009" in notice and CALLER not in notice

    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (CALLER, CALLER[1:], NARRATIVE, PLACE):
        assert secret not in logged


def test_the_same_form_posted_twice_opens_one_case_and_sends_one_alert(agent, app, db):
    shown = agent.get(PAGE).get_data(as_text=True)
    form = hidden_fields(shown) | HIGH_CASE

    first = agent.client.post(PAGE, data=form)
    again = agent.client.post(PAGE, data=form)

    assert first.status_code == again.status_code == 302
    assert counts(db)["case"] == 1 and counts(db)["contact"] == 1
    assert len(alerts(db, vault_of(app))) == 1


def test_two_forms_are_two_calls(agent, db):
    agent.submit(PAGE, HIGH_CASE)
    agent.submit(PAGE, HIGH_CASE)
    assert counts(db)["case"] == 2


def test_nobody_on_call_keeps_the_alert_pending_and_says_so(make_staff, console, db):
    make_staff("amina", "hotline_agent")
    browser = console()
    browser.sign_in("amina")
    browser.submit(PAGE, HIGH_CASE | {"area": "Nairobi"})

    assert the_case(db).alert_pending_since is not None
    assert "Nobody is on call for its area" in saved_notice(browser)


@pytest.mark.parametrize(
    "disposition",
    ["information", "referred_elsewhere", "silent", "prank", "wrong_number", "abusive", "dropped"],
)
def test_a_call_that_opens_no_case_is_counted_with_its_disposition(agent, db, disposition):
    answer = agent.submit(PAGE, {"outcome": disposition, "language": "en", "direction": "inbound"})

    assert answer.status_code == 302
    with db() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.disposition.value == disposition and contact.case_id is None
        assert contact.reporter_id is None and contact.agent.username == "amina"
    assert counts(db)["case"] == 0


def test_a_silent_call_with_a_number_keeps_only_its_fingerprint(agent, app, db):
    agent.submit(
        PAGE, {"outcome": "silent", "phone": CALLER, "language": "en", "direction": "inbound"}
    )

    with db() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.reporter.phone_hash == vault_of(app).phone_hash(CALLER)
        assert contact.reporter.phone_encrypted is None
    assert "+2547•••••009" in saved_notice(agent)


def open_case_by_call(agent, db, **changes) -> Case:
    agent.submit(PAGE, HIGH_CASE | changes)
    return the_case(db)


def test_a_call_on_an_existing_case_adds_the_notes_and_closes_its_call_back_request(agent, app, db):
    case = open_case_by_call(agent, db, callback="no", phone="")
    with db.begin() as session:
        request_callback(
            session,
            vault_of(app),
            session.get(Case, case.id),
            CALLER,
            "morning",
            now=datetime.now(UTC),
        )
    page = agent.get(PAGE).get_data(as_text=True)
    assert f'href="/staff/calls/new?case={case.reference}"' in page  # waiting for a call back

    answer = agent.submit(
        PAGE,
        {
            "outcome": "existing_case",
            "reference": format_reference(case.reference),
            "direction": "outbound",
            "language": "sw",
            "narrative": "Spoke to the neighbour again",
        },
        page=f"{PAGE}?case={case.reference}",
    )

    assert answer.status_code == 302
    with db() as session:
        stored = session.get(Case, case.id)
        assert stored.callback_requested_at is None
        call = session.scalars(
            select(Contact).where(Contact.case_id == case.id).order_by(Contact.id.desc())
        ).first()
        assert call.disposition is Disposition.CASE_UPDATED and call.direction is Direction.OUTBOUND
        note = session.scalars(select(Note)).one()
        assert vault_of(app).decrypt(note.body_encrypted) == "Spoke to the neighbour again"
        assert note.author.username == "amina"
        events = [event.kind for event in stored.events]
    assert events[-3:] == [
        EventKind.CONTACT_RECORDED,
        EventKind.NOTE_ADDED,
        EventKind.CALLBACK_CLOSED,
    ]
    assert f"Call saved on case {format_reference(case.reference)}." in saved_notice(agent)
    assert f"?case={case.reference}" not in agent.get(PAGE).get_data(as_text=True)


def test_an_unknown_reference_is_refused_on_its_field(agent, db):
    before = counts(db)
    answer = agent.submit(
        PAGE,
        {
            "outcome": "existing_case",
            "reference": "482-177-302",
            "language": "en",
            "direction": "inbound",
        },
    )

    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert '<p class="error" id="reference-error">No case has this reference.</p>' in page
    assert counts(db) == before


def test_a_case_of_another_area_is_refused_and_the_refusal_audited(make_staff, console, agent, db):
    case = open_case_by_call(agent, db)
    make_staff("juma", "hotline_agent", areas=[NAIROBI])
    other = console()
    other.sign_in("juma")
    before = counts(db)

    answer = other.submit(
        PAGE,
        {
            "outcome": "existing_case",
            "reference": case.reference,
            "language": "en",
            "direction": "inbound",
        },
    )

    assert answer.status_code == 403
    assert "Your role or areas do not allow calls on this case." in answer.get_data(as_text=True)
    assert counts(db) | {"roster_event": 0} == before | {"roster_event": 0}
    kind, after = trail(db, "juma")[-1]
    assert kind == "refused" and after["case_id"] == case.id and after["action"] == "record_contact"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"category": ""}, "category", "Choose one."),
        ({"category": "witchcraft"}, "category", "Choose one."),
        ({"area": "Atlantis"}, "area", "No area has this name. Choose one from the list."),
        ({"area": ""}, "area", "Choose the area."),
        ({"phone": "0712 345 678"}, "phone", "Write the number with its country code"),
        ({"phone": ""}, "phone", "A call back needs the caller's number."),
        ({"outcome": ""}, "outcome", "Choose one."),
        ({"outcome": "silent"}, "narrative", "Notes are kept only with a case"),
        (
            {"outcome": "existing_case", "reference": "482-177-303", "narrative": ""},
            "reference",
            "This is not a case reference",
        ),
        ({"language": "de"}, "language", "Choose a language from the list."),
        ({"narrative": "x" * 2001}, "narrative", "Field cannot be longer than 2000 characters."),
    ],
)
def test_a_mistake_is_shown_next_to_its_field_and_nothing_is_written(
    agent, db, changes, field, message
):
    before = counts(db)
    answer = agent.submit(PAGE, HIGH_CASE | changes)

    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page)
    assert error and message in error.group(1), page
    assert 'role="alert"' in page  # the summary above the form
    assert counts(db) == before
    assert kinds(db, "amina")[-1] == "logged_in"


def test_a_form_whose_token_was_tampered_with_is_refused(agent, db):
    shown = hidden_fields(agent.get(PAGE).get_data(as_text=True))
    answer = agent.client.post(PAGE, data=shown | HIGH_CASE | {"token": shown["token"] + "x"})

    assert answer.status_code == 400
    assert counts(db)["case"] == 0


def test_another_agent_cannot_replay_a_form_token(make_staff, console, agent, db):
    shown = hidden_fields(agent.get(PAGE).get_data(as_text=True))
    make_staff("juma", "hotline_agent")
    other = console()
    other.sign_in("juma")
    mine = hidden_fields(other.get(PAGE).get_data(as_text=True))

    answer = other.client.post(PAGE, data=mine | HIGH_CASE | {"token": shown["token"]})
    assert answer.status_code == 400 and counts(db)["case"] == 0


def test_the_form_lists_the_areas_for_type_ahead_in_the_page_language(agent, app):
    page = agent.get(PAGE).get_data(as_text=True)
    area = re.search(r'<input [^>]*id="area"[^>]*>', page)
    assert area and 'list="areas"' in area.group(0)
    assert '<option value="Mombasa">001</option>' in page
    assert page.count("<option value=") >= len(app.extensions["kinga"].profile.locations)


def test_the_same_form_posted_at_once_on_two_connections_opens_one_case(agent, app, db, live_url):
    fields = hidden_fields(agent.get(PAGE).get_data(as_text=True)) | HIGH_CASE
    cookie = agent.client.get_cookie("kinga_session").value
    body = urlencode(fields).encode()
    start = threading.Barrier(2)
    answers: list[int] = []

    class NoRedirect(HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def post() -> None:
        headers = {"Cookie": f"kinga_session={cookie}"}
        request = Request(live_url + PAGE, data=body, headers=headers)  # noqa: S310 (loopback)
        start.wait()
        try:
            build_opener(NoRedirect).open(request, timeout=30)
        except HTTPError as answer:
            answers.append(answer.code)

    posters = [threading.Thread(target=post) for _ in range(2)]
    for poster in posters:
        poster.start()
    for poster in posters:
        poster.join()

    assert answers == [302, 302]
    assert counts(db)["case"] == 1 and counts(db)["contact"] == 1
    assert len(alerts(db, vault_of(app))) == 1
