"""Unicode edge cases, invalid bytes and bodies at and past the size limit, in every webhook.

``tests/gateway/test_webhook_properties.py`` already fuzzes every field with odd numbers,
dates, phones and texts, and any body under any content type. This adds what it leaves out:
the raw bytes of a field (invalid UTF-8, a lone surrogate as its three bytes, overlong and cut
sequences, NUL) next to bidirectional marks, joiners, the BOM and non-characters, posted as a
real form body; and bodies of exactly the size limit and one byte more. Every answer is below
500 without a traceback, and a refusal leaves the database and Redis as they were. Then the
valid edge cases go, inside a place and a narrative, through whole reports, and are stored
exactly as sent, on either database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from probe_data import HOSTILE_PHONE, NARRATIVE, PLACE
from sms_client import AT_KEY, PUBLIC_URL, REPORT_ANSWERS, Texter, twilio_signature
from sqlalchemy import select
from stored import snapshot
from ussd_client import REPORT_ANSWERS as USSD_ANSWERS
from ussd_client import Caller
from werkzeug.wrappers import Request

from case_store.enums import MessagePurpose
from case_store.models import Case
from case_store.operations.messages import record_attempt
from gateway import MAX_CONTENT_LENGTH
from workers.sms.queueing import queue_sms

PHONE = HOSTILE_PHONE
TWILIO_SID = "SM" + "ab" * 16
AT_ID = "ATXid_" + "cd" * 16
FORM = "application/x-www-form-urlencoded"
EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Valid text that trips naive code: right-to-left and isolate marks, the override, joiners,
# the byte-order mark, a combining accent, a family emoji (joined), non-characters, NUL.
UNICODE_EDGES = ["\u200f", "\u200e", "\u202e", "\u2066", "\u2069", "\u200d", "\u200c",
                 "\ufeff", "e\u0301", "👨\u200d👩\u200d👧", "\uffff", "\U0010ffff", "\x00",
                 "مرحبا", "\u0000\u0000"]  # fmt: skip
# Bytes no UTF-8 decoder accepts: a lone high and low surrogate (CESU-8), an overlong "/",
# a cut 3-byte sequence, stray continuation and invalid lead bytes.
INVALID_UTF8 = [b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xc0\xaf", b"\xe2\x80", b"\x80", b"\xff\xfe"]
PIECES = st.one_of(
    st.sampled_from(UNICODE_EDGES).map(str.encode),
    st.sampled_from(INVALID_UTF8),
    st.text(max_size=4).map(str.encode),
)
VALUES = st.lists(PIECES, max_size=6).map(b"".join)

WEBHOOKS: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "ussd": (
        f"/ussd/africastalking?key={AT_KEY}",
        {"sessionId": "ATUid_h1", "serviceCode": "*384*116#", "phoneNumber": PHONE,
         "networkCode": "63902", "text": "1*2"},
        ("sessionId", "serviceCode", "phoneNumber", "text"),
    ),
    "ussd_events": (
        f"/ussd/africastalking/events?key={AT_KEY}",
        {"date": "2026-03-02 09:30:00", "sessionId": "ATUid_h1", "serviceCode": "*384*116#",
         "networkCode": "63902", "phoneNumber": PHONE, "status": "Incomplete",
         "durationInMillis": "41234", "input": "1*2", "lastAppResponse": "CON Hello",
         "errorMessage": ""},
        ("sessionId", "status", "input", "lastAppResponse", "errorMessage", "date"),
    ),
    "at_inbound": (
        f"/sms/africastalking/inbound?key={AT_KEY}",
        {"from": PHONE, "to": "40404", "text": "REPORT", "date": "2026-03-02 09:30:00",
         "id": "ATXid_h1", "linkId": "", "networkCode": "63902"},
        ("from", "text", "id", "date", "linkId"),
    ),
    "at_delivery": (
        f"/sms/africastalking/delivery?key={AT_KEY}",
        {"id": AT_ID, "status": "Success", "phoneNumber": PHONE, "networkCode": "63902",
         "retryCount": "0", "failureReason": "", "cost": "KES 0.8000"},
        ("id", "status", "failureReason", "cost", "retryCount"),
    ),
    "twilio_inbound": (
        "/sms/twilio/inbound",
        {"MessageSid": "SMh1", "SmsSid": "SMh1", "AccountSid": "AC" + "0f1e" * 8,
         "From": PHONE, "To": "+15005550006", "Body": "REPORT", "NumMedia": "0",
         "NumSegments": "1", "ApiVersion": "2010-04-01"},
        ("MessageSid", "From", "Body", "NumSegments"),
    ),
    "twilio_status": (
        "/sms/twilio/status",
        {"MessageSid": TWILIO_SID, "SmsSid": TWILIO_SID, "MessageStatus": "delivered",
         "ErrorCode": "", "AccountSid": "AC" + "0f1e" * 8, "To": PHONE,
         "From": "+15005550006", "ApiVersion": "2010-04-01"},
        ("MessageSid", "MessageStatus", "ErrorCode"),
    ),
}  # fmt: skip


def encoded(fields: dict[str, bytes]) -> bytes:
    return "&".join(
        f"{quote_from_bytes(k.encode())}={quote_from_bytes(v)}" for k, v in fields.items()
    ).encode()


@pytest.fixture
def post(client: Any, db: Any, redis_client: Any, app: Any) -> Any:
    """Posts a raw form body to a webhook (signed over what the app will read, for Twilio)
    and holds the answer to the rules; returns it."""
    vault, now = app.extensions["kinga"].vault, datetime.now(UTC)
    with db.begin() as session:  # a sent message per provider, for the receipts to find
        for provider, provider_id in (("twilio", TWILIO_SID), ("africastalking", AT_ID)):
            message, _row = queue_sms(
                session, vault, phone=PHONE, text="Hello", purpose=MessagePurpose.REPLY,
                max_segments=4, now=now,
            )  # fmt: skip
            record_attempt(session, message, provider=provider, provider_id=provider_id, now=now)

    def send(webhook: str, body: bytes) -> Any:
        path = WEBHOOKS[webhook][0]
        headers = {}
        if webhook.startswith("twilio"):
            fields = Request.from_values(path, method="POST", data=body, content_type=FORM).form
            headers["X-Twilio-Signature"] = twilio_signature(PUBLIC_URL + path, fields)
        before = snapshot(db, redis_client)
        response = client.post(path, data=body, content_type=FORM, headers=headers)
        text = response.get_data(as_text=True)
        assert response.status_code < 500, text
        assert response.status_code != 403, text
        assert "Traceback" not in text and PHONE not in text
        if response.status_code >= 400:
            assert response.mimetype == "text/plain" and len(text) < 200, text
            assert snapshot(db, redis_client) == before, "a refused request changed something"
        return response

    return send


@pytest.mark.parametrize("webhook", sorted(WEBHOOKS))
def test_edge_unicode_and_invalid_bytes_in_any_field(post: Any, webhook: str) -> None:
    _path, base, fields = WEBHOOKS[webhook]

    @EXAMPLES
    @given(st.dictionaries(st.sampled_from(fields), VALUES, min_size=1, max_size=3))
    def check(changes: dict[str, bytes]) -> None:
        post(webhook, encoded({k: v.encode() for k, v in base.items()} | changes))

    check()


def padded(base: dict[str, str], field: str, size: int) -> bytes:
    """The form with ``field`` filled with "a" so that the whole body is ``size`` bytes."""
    empty = encoded({k: v.encode() for k, v in base.items()} | {field: b""})
    return encoded({k: v.encode() for k, v in base.items()} | {field: b"a" * (size - len(empty))})


TEXT_FIELD = {"ussd": "text", "ussd_events": "lastAppResponse", "at_inbound": "text",
              "at_delivery": "failureReason", "twilio_inbound": "Body",
              "twilio_status": "ErrorCode"}  # fmt: skip


@pytest.mark.parametrize("webhook", sorted(WEBHOOKS))
def test_a_body_at_the_size_limit_is_read_and_one_byte_more_is_refused(
    post: Any, webhook: str
) -> None:
    _path, base, _fields = WEBHOOKS[webhook]
    at_limit = padded(base, TEXT_FIELD[webhook], MAX_CONTENT_LENGTH)
    assert len(at_limit) == MAX_CONTENT_LENGTH
    assert post(webhook, at_limit).status_code != 413
    past = padded(base, TEXT_FIELD[webhook], MAX_CONTENT_LENGTH + 1)
    assert post(webhook, past).status_code == 413


VALID_EDGES = ["\u200fمرحبا\u200e 12", "a\u200db\u200cc\ufeff", "👨\u200d👩\u200d👧 e\u0301",
               "\u202eevil\u202c \u2066x\u2069"]  # fmt: skip


def stored_texts(app: Any, db: Any) -> tuple[str, str]:
    vault = app.extensions["kinga"].vault
    with db() as session:
        case = session.scalars(select(Case)).one()
        return vault.decrypt(case.place_encrypted), vault.decrypt(case.narrative_encrypted)


@pytest.mark.parametrize("edge", VALID_EDGES)
@pytest.mark.parametrize("channel", ["ussd", "sms"])
def test_edge_unicode_in_a_whole_report_is_stored_as_sent(app, client, db, channel, edge) -> None:
    place, narrative = f"{PLACE} {edge} end", f"{NARRATIVE} {edge} end"
    changed = {"Kibera": place, "She is alone at night": narrative}
    if channel == "ussd":
        end = Caller(client, phone=PHONE).report([changed.get(a, a) for a in USSD_ANSWERS])
        assert end.startswith("END Thank you. Your reference is"), end
    else:
        reporter = Texter(client, phone=PHONE)
        for text in [changed.get(a, a) for a in REPORT_ANSWERS]:
            assert reporter.send(text).status_code == 200
    assert stored_texts(app, db) == (place, narrative)
