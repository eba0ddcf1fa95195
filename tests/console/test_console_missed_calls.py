"""Missed ("flash") calls on the hotline's call-back list: with the time of the call and
"missed call" as their channel, the number masked until an agent calls back (shown on a POST
answer, on the agent's trail), and answered by the call the agent then logs."""

from __future__ import annotations

import re

import pytest
from console_client import hidden_fields
from console_records import trail
from sqlalchemy import select

from case_store.models import Contact, MissedCall

PAGE = "/staff/calls/new"
FLASHER = "+254711000456"


@pytest.fixture
def flashed(client, settings):
    """A missed call through the Africa's Talking voice webhook, as the network sends it."""
    form = {
        "isActive": "1",
        "sessionId": "ATVId_console",
        "direction": "Inbound",
        "callerNumber": FLASHER,
        "destinationNumber": "+254711082116",
    }
    answer = client.post(f"/voice/africastalking?key={settings.at_webhook_key}", data=form)
    assert answer.status_code == 200


@pytest.fixture
def agent(make_staff, console):
    make_staff("amina", "hotline_agent")
    browser = console()
    browser.sign_in("amina")
    return browser


def missed_call(db) -> MissedCall:
    with db() as session:
        row = session.scalars(select(MissedCall)).one()
        session.expunge(row)
        return row


def test_a_missed_call_waits_on_the_list_with_its_time_and_masked_number(flashed, agent, db):
    page = agent.get(PAGE).get_data(as_text=True)

    row = missed_call(db)
    assert f'action="/staff/calls/missed/{row.id}"' in page
    item = re.search(r'<li><form method="post" action="/staff/calls/missed/.*?</li>', page)
    assert item, page
    assert "missed call" in item.group(0) and "+2547•••••456" in item.group(0)
    assert re.search(r"\d{1,2}:\d{2}", item.group(0))  # the time of the call
    assert FLASHER not in page


def test_the_supervisor_sees_it_among_the_call_backs(flashed, make_staff, console):
    make_staff("daudi", "supervisor")
    browser = console()
    browser.sign_in("daudi")

    page = browser.get("/staff/supervisor").get_data(as_text=True)

    assert "<td>missed call</td>" in page and FLASHER not in page


def test_calling_back_shows_the_number_on_the_trail_and_the_call_logged_closes_it(
    flashed, agent, db
):
    row = missed_call(db)
    tokens = hidden_fields(agent.get(PAGE).get_data(as_text=True))

    shown = agent.client.post(f"/staff/calls/missed/{row.id}", data=tokens)

    assert shown.status_code == 200
    form_page = shown.get_data(as_text=True)
    assert f'value="{FLASHER}"' in form_page
    kind, after = trail(db, "amina")[-1]
    assert (kind, after) == ("missed_call_shown", {"missed_call_id": row.id})
    assert missed_call(db).closed_at is None

    fields = hidden_fields(form_page) | {
        "outcome": "information",
        "phone": FLASHER,
        "direction": "outbound",
        "language": "en",
    }
    saved = agent.client.post(PAGE, data=fields)

    assert saved.status_code == 302
    answered = missed_call(db)
    assert answered.closed_at is not None
    with db() as session:
        contact = session.get(Contact, answered.contact_id)
        assert contact.provider == "console" and contact.agent.username == "amina"
    assert 'action="/staff/calls/missed/' not in agent.get(PAGE).get_data(as_text=True)


def test_the_number_is_never_shown_on_a_get(flashed, agent, db):
    row = missed_call(db)
    answer = agent.get(f"/staff/calls/missed/{row.id}")
    assert answer.status_code == 405
    assert FLASHER not in agent.get(PAGE).get_data(as_text=True)


def test_an_unknown_missed_call_is_not_found(agent):
    tokens = hidden_fields(agent.get(PAGE).get_data(as_text=True))
    assert agent.client.post("/staff/calls/missed/999999999", data=tokens).status_code == 404
