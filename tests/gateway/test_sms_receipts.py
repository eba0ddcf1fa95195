"""Delivery receipts: matched by our id (Twilio) or the provider's id (Africa's Talking),
applied in order, replays recorded once, carrier opt-outs honoured, unknown statuses logged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sms_client import AT_KEY, PHONE, post_twilio
from sqlalchemy import select

from case_store.enums import MessageEventKind, MessagePurpose
from case_store.models import Message
from case_store.operations.messages import record_attempt
from case_store.queries.messages import find_message, is_opted_out
from gateway.channels.sms.intake import queue_sms

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TWILIO_SID = "SM" + "ab" * 16
AT_ID = "ATXid_" + "cd" * 16


@pytest.fixture
def sent(app, db):
    """An outbound message a provider accepted; returns a function giving it for a provider."""
    vault = app.extensions["kinga"].vault

    def make(provider: str, provider_id: str) -> str:
        with db.begin() as session:
            message, _row = queue_sms(
                session,
                vault,
                phone=PHONE,
                text="Your reference 482-177-302 was updated.",
                purpose=MessagePurpose.FOLLOW_UP,
                max_segments=4,
                now=NOW,
            )
            record_attempt(session, message, provider=provider, provider_id=provider_id, now=NOW)
            return message.public_id

    return make


def twilio_status(client, public_id: str, status: str, error: str | None = None):
    params = {
        "MessageSid": TWILIO_SID,
        "SmsSid": TWILIO_SID,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": "AC" + "0f1e" * 8,
        "To": PHONE,
        "From": "+15005550006",
        "ApiVersion": "2010-04-01",
    }
    if error:
        params["ErrorCode"] = error
    return post_twilio(client, f"/sms/twilio/status?id={public_id}", params)


def at_delivery(client, status: str, reason: str | None = None):
    data = {
        "id": AT_ID,
        "status": status,
        "phoneNumber": PHONE,
        "networkCode": "63902",
        "retryCount": "0",
    }
    if reason:
        data["failureReason"] = reason
    return client.post(f"/sms/africastalking/delivery?key={AT_KEY}", data=data)


def message(db, public_id: str) -> Message:
    with db() as session:
        found = find_message(session, public_id=public_id)
        assert found is not None
        _ = list(found.timeline)
        return found


def statuses(found: Message) -> list[str | None]:
    return [e.status for e in found.timeline if e.kind is MessageEventKind.STATUS]


def test_twilio_receipts_out_of_order_never_move_back(client, db, sent) -> None:
    public_id = sent("twilio", TWILIO_SID)
    for status in ("sent", "delivered", "sending", "queued"):
        assert twilio_status(client, public_id, status).status_code == 200
    found = message(db, public_id)
    assert found.status.value == "delivered"
    assert statuses(found) == ["queued", "sent", "delivered", "sending", "queued"]


def test_a_replayed_receipt_is_recorded_once(client, db, sent) -> None:
    public_id = sent("twilio", TWILIO_SID)
    for _ in range(3):
        assert twilio_status(client, public_id, "delivered").status_code == 200
    assert statuses(message(db, public_id)) == ["queued", "delivered"]


def test_our_id_finds_the_message_before_the_provider_id_is_stored(app, client, db) -> None:
    vault = app.extensions["kinga"].vault
    with db.begin() as session:
        queued, _ = queue_sms(
            session,
            vault,
            phone=PHONE,
            text="Hello",
            max_segments=4,
            purpose=MessagePurpose.REPLY,
            now=NOW,
        )
        public_id = queued.public_id
    assert twilio_status(client, public_id, "sent").status_code == 200
    found = message(db, public_id)
    assert (found.status.value, found.provider, found.provider_id) == ("sent", "twilio", TWILIO_SID)


def test_twilio_21610_marks_the_number_opted_out(app, client, db, sent) -> None:
    public_id = sent("twilio", TWILIO_SID)
    assert twilio_status(client, public_id, "failed", "21610").status_code == 200
    found = message(db, public_id)
    assert found.status.value == "failed"
    assert found.last_error == "21610"
    with db() as session:
        assert is_opted_out(session, app.extensions["kinga"].vault, PHONE)


def test_africastalking_blacklist_marks_the_number_opted_out(app, client, db, sent) -> None:
    public_id = sent("africastalking", AT_ID)
    assert at_delivery(client, "Failed", "UserInBlackList").status_code == 200
    found = message(db, public_id)
    assert found.status.value == "undelivered"
    with db() as session:
        assert is_opted_out(session, app.extensions["kinga"].vault, PHONE)


def test_africastalking_statuses_in_order(client, db, sent) -> None:
    public_id = sent("africastalking", AT_ID)
    for status in ("Submitted", "Buffered", "Success", "Sent"):
        assert at_delivery(client, status).status_code == 200
    found = message(db, public_id)
    assert found.status.value == "delivered"


def test_an_unknown_status_is_answered_200_logged_and_changes_no_status(
    client, db, sent, caplog
) -> None:
    public_id = sent("twilio", TWILIO_SID)
    caplog.set_level("INFO")
    assert twilio_status(client, public_id, "sent").status_code == 200
    assert twilio_status(client, public_id, "teleported").status_code == 200
    assert at_delivery(client, "Vanished").status_code == 200
    found = message(db, public_id)
    assert found.status.value == "sent"
    assert "teleported" in caplog.text and "unknown" in caplog.text
    assert "Vanished" in caplog.text


def test_a_receipt_for_no_message_of_ours_is_answered_200(client, db, caplog) -> None:
    caplog.set_level("INFO")
    response = twilio_status(client, "00000000-0000-0000-0000-000000000000", "delivered")
    assert response.status_code == 200
    with db() as session:
        assert session.scalars(select(Message)).first() is None
    assert "no message of ours" in caplog.text


def test_a_receipt_with_a_bad_signature_changes_nothing(client, db, sent) -> None:
    public_id = sent("twilio", TWILIO_SID)
    params = {"MessageSid": TWILIO_SID, "MessageStatus": "delivered"}
    response = post_twilio(client, f"/sms/twilio/status?id={public_id}", params, token="other")
    assert response.status_code == 403
    assert statuses(message(db, public_id)) == ["queued"]


def test_receipts_log_no_phone_number(client, sent, caplog) -> None:
    caplog.set_level("DEBUG")
    public_id = sent("twilio", TWILIO_SID)
    twilio_status(client, public_id, "failed", "21610")
    at_delivery(client, "Failed", "UserInBlackList")
    assert PHONE not in caplog.text and PHONE[1:] not in caplog.text


@pytest.mark.parametrize("our_id", ["00000000-0000-0000-0000-000000000000", "", "%00", "x" * 300])
def test_a_twilio_receipt_with_an_unknown_id_falls_back_to_the_message_sid(
    client, db, sent, our_id
) -> None:
    public_id = sent("twilio", TWILIO_SID)
    assert twilio_status(client, our_id, "delivered").status_code == 200
    found = message(db, public_id)
    assert found.status.value == "delivered"
    assert statuses(found) == ["queued", "delivered"]
