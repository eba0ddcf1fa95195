"""Africa's Talking end-of-session notifications: every dropped session is a contact."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from ussd_client import PHONE, REPORT_ANSWERS, Caller

from case_store.enums import Disposition
from case_store.models import Contact


def notify(client, session_id: str, status: str, key: str | None = None, **extra):
    key = key if key is not None else client.application.extensions["kinga"].settings.at_webhook_key
    form = {
        "date": "2026-11-28 10:00:00",
        "sessionId": session_id,
        "serviceCode": "*384*116#",
        "networkCode": "63902",
        "phoneNumber": PHONE,
        "status": status,
        "cost": "KES 0.0000",
        "durationInMillis": "41234",
        "hopsCount": "4",
        "input": "1*2*3",
        "lastAppResponse": "CON How old is the child?",
        **extra,
    }
    return client.post(f"/ussd/africastalking/events?key={key}", data=form)


def contacts(db) -> dict[str, Disposition]:
    with db() as session:
        return {c.external_id: c.disposition for c in session.scalars(select(Contact))}


def test_an_incomplete_session_is_a_dropped_contact_once(client, db):
    caller = Caller(client, session_id="ATUid_dropped")
    caller.dial()
    caller.answer("1")
    for _ in range(2):
        response = notify(client, "ATUid_dropped", "Incomplete")
        assert response.status_code == 200
    assert contacts(db) == {"ATUid_dropped": Disposition.DROPPED}


def test_a_session_that_made_a_case_keeps_its_contact(client, db):
    Caller(client, session_id="ATUid_done").report(REPORT_ANSWERS)
    assert notify(client, "ATUid_done", "Success").status_code == 200
    assert notify(client, "ATUid_done", "Incomplete").status_code == 200
    assert contacts(db) == {"ATUid_done": Disposition.CASE_OPENED}


def test_a_failed_session_unknown_to_redis_is_still_counted(client, db):
    response = notify(client, "ATUid_failed", "Failed", errorMessage="timeout")
    assert response.status_code == 200
    assert contacts(db) == {"ATUid_failed": Disposition.DROPPED}


def test_unknown_statuses_are_accepted(client, db):
    assert notify(client, "ATUid_new", "Abandoned").status_code == 200
    assert contacts(db) == {"ATUid_new": Disposition.DROPPED}


@pytest.mark.parametrize(
    ("change", "status"),
    [({"key": "wrong"}, 403), ({"status": ""}, 400), ({"phoneNumber": "0712"}, 400)],
)
def test_bad_notifications_change_nothing(client, db, change, status):
    key = change.pop("key", None)
    response = notify(client, "ATUid_bad", change.pop("status", "Incomplete"), key=key, **change)
    assert response.status_code == status
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_a_redial_after_an_incomplete_notification_offers_the_report_back(client, db):
    first = Caller(client, session_id="ATUid_cut")
    first.dial()
    for value in REPORT_ANSWERS[:3]:
        question = first.answer(value)
    assert notify(client, "ATUid_cut", "Incomplete").status_code == 200
    second = Caller(client, session_id="ATUid_cut_again")
    assert second.dial().startswith("CON Your last session was cut off.")
    assert second.answer("1") == question
    for value in REPORT_ANSWERS[3:]:
        screen = second.answer(value)
    assert screen.startswith("END Thank you. Your reference is")
    assert contacts(db) == {
        "ATUid_cut": Disposition.DROPPED,
        "ATUid_cut_again": Disposition.CASE_OPENED,
    }


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [
        ("41234", 41.234),
        ("²", 0),  # a digit to str.isdigit, not to int()
        ("٤١٢٣٤", 0),
        ("9" * 5000, 0),  # more digits than int() reads
        ("99999999999999999999", 0),  # a start before year 1
        ("86400001", 0),  # longer than a day: no session lasts that long
        ("-5", 0),
        ("", 0),
    ],
)
def test_an_odd_duration_is_ignored_and_the_drop_still_counted(client, db, duration, seconds):
    response = notify(client, "ATUid_timed", "Incomplete", durationInMillis=duration)
    assert response.status_code == 200, response.get_data(as_text=True)
    with db() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.disposition == Disposition.DROPPED
        assert (contact.ended_at - contact.started_at).total_seconds() == seconds
