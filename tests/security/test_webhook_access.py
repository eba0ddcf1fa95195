"""Only the providers get in: forged, replayed-with-other-fields and re-targeted Twilio
signatures, and wrong, partial, duplicated and misplaced Africa's Talking keys.

Each is a 403 that leaves the database and Redis exactly as they were, and a warning in the
log naming the webhook and the reason, never the key or the signature. (A wrong or missing key
on the USSD hop alone: ``tests/gateway/test_ussd_refusals.py``; the recorded badly signed,
tampered and internally-signed Twilio requests: ``tests/providers/test_adapter_contract.py``.)
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import pytest
from probe_data import HOSTILE_PHONE
from sms_client import AT_KEY, PUBLIC_URL, twilio_signature
from stored import snapshot

PHONE = HOSTILE_PHONE
AT_WEBHOOKS = {
    "/ussd/africastalking": {"sessionId": "ATUid_x", "serviceCode": "*384*116#",
                             "phoneNumber": PHONE, "networkCode": "63902", "text": ""},
    "/ussd/africastalking/events": {"sessionId": "ATUid_x", "phoneNumber": PHONE,
                                    "status": "Incomplete", "date": "2026-03-02 09:30:00"},
    "/sms/africastalking/inbound": {"from": PHONE, "to": "40404", "text": "REPORT",
                                    "date": "2026-03-02 09:30:00", "id": "ATXid_x"},
    "/sms/africastalking/delivery": {"id": "ATXid_y", "status": "Success",
                                     "phoneNumber": PHONE},
}  # fmt: skip
# (query, extra form fields, headers): every way of not quite giving the key in the query.
WRONG_KEYS = {
    "missing": ("", {}, {}),
    "empty": ("?key=", {}, {}),
    "wrong": ("?key=wrong", {}, {}),
    "partial": (f"?key={AT_KEY[:-1]}", {}, {}),
    "longer": (f"?key={AT_KEY}x", {}, {}),
    "other case": (f"?key={AT_KEY.upper()}", {}, {}),
    "trailing newline": (f"?key={AT_KEY}%0A", {}, {}),
    "another parameter": (f"?apikey={AT_KEY}", {}, {}),
    "wrong first, right second": (f"?key=wrong&key={AT_KEY}", {}, {}),
    "in the form": ("", {"key": AT_KEY}, {}),
    "in a header": ("", {}, {"key": AT_KEY, "apiKey": AT_KEY}),
    "in the path": (f"/{quote(AT_KEY)}", {}, {}),
}


def refused(client: Any, db: Any, redis_client: Any, caplog: Any, secret: str, **post: Any) -> None:
    before = snapshot(db, redis_client)
    with caplog.at_level(logging.WARNING):
        response = client.post(**post)
    assert response.status_code in (403, 404), response.get_data(as_text=True)
    assert snapshot(db, redis_client) == before
    if response.status_code == 403:
        assert any("refused" in record.getMessage() for record in caplog.records)
    assert secret not in caplog.text


@pytest.mark.parametrize("how", sorted(WRONG_KEYS))
@pytest.mark.parametrize("path", sorted(AT_WEBHOOKS))
def test_a_wrong_partial_duplicated_or_misplaced_key_is_refused(
    client, db, redis_client, caplog, path, how
) -> None:
    query, extra, headers = WRONG_KEYS[how]
    refused(client, db, redis_client, caplog, AT_KEY, path=path + query,
            data=AT_WEBHOOKS[path] | extra, headers=headers)  # fmt: skip


INBOUND = {"MessageSid": "SMx1", "SmsSid": "SMx1", "AccountSid": "AC" + "0f1e" * 8,
           "From": PHONE, "To": "+15005550006", "Body": "REPORT", "NumMedia": "0"}  # fmt: skip
STATUS = {"MessageSid": "SMx2", "SmsSid": "SMx2", "MessageStatus": "delivered",
          "AccountSid": "AC" + "0f1e" * 8, "To": PHONE}  # fmt: skip
INBOUND_PATH, STATUS_PATH = "/sms/twilio/inbound", "/sms/twilio/status?id=ours"


# name: (path posted, fields posted, URL signed, fields signed, token)
TWILIO_FORGERIES: dict[str, tuple[str, dict[str, str], str, dict[str, str], str]] = {
    "another token": (INBOUND_PATH, INBOUND, PUBLIC_URL + INBOUND_PATH, INBOUND, "guessed"),
    "a changed body": (INBOUND_PATH, INBOUND | {"Body": "STOP"},
                       PUBLIC_URL + INBOUND_PATH, INBOUND, "twilio-webhook-test-token"),
    "another sender": (INBOUND_PATH, INBOUND | {"From": "+254722000111"},
                       PUBLIC_URL + INBOUND_PATH, INBOUND, "twilio-webhook-test-token"),
    "a field added": (INBOUND_PATH, INBOUND | {"NumSegments": "9"},
                      PUBLIC_URL + INBOUND_PATH, INBOUND, "twilio-webhook-test-token"),
    "a field dropped": (INBOUND_PATH, {k: v for k, v in INBOUND.items() if k != "NumMedia"},
                        PUBLIC_URL + INBOUND_PATH, INBOUND, "twilio-webhook-test-token"),
    "signed for the status URL": (INBOUND_PATH, INBOUND, PUBLIC_URL + STATUS_PATH, INBOUND,
                                  "twilio-webhook-test-token"),
    "signed for the inbound URL": (STATUS_PATH, STATUS, PUBLIC_URL + INBOUND_PATH, STATUS,
                                   "twilio-webhook-test-token"),
    "signed for another message id": (STATUS_PATH, STATUS,
                                      PUBLIC_URL + "/sms/twilio/status?id=theirs", STATUS,
                                      "twilio-webhook-test-token"),
    "signed for another host": (INBOUND_PATH, INBOUND, "https://evil.example" + INBOUND_PATH,
                                INBOUND, "twilio-webhook-test-token"),
    "signed over http": (INBOUND_PATH, INBOUND,
                         PUBLIC_URL.replace("https:", "http:") + INBOUND_PATH, INBOUND,
                         "twilio-webhook-test-token"),
}  # fmt: skip


@pytest.mark.parametrize("how", sorted(TWILIO_FORGERIES))
def test_a_forged_replayed_or_retargeted_twilio_signature_is_refused(
    client, db, redis_client, caplog, how
) -> None:
    path, posted, url, fields, token = TWILIO_FORGERIES[how]
    signature = twilio_signature(url, fields, token)
    refused(client, db, redis_client, caplog, signature, path=path, data=posted,
            headers={"X-Twilio-Signature": signature})  # fmt: skip


@pytest.mark.parametrize("signature", [None, "", "not base64!", "A" * 28, "=" * 4])
@pytest.mark.parametrize(("path", "fields"), [(INBOUND_PATH, INBOUND), (STATUS_PATH, STATUS)])
def test_a_missing_or_malformed_twilio_signature_is_refused(
    client, db, redis_client, caplog, path, fields, signature
) -> None:
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    refused(client, db, redis_client, caplog, "twilio-webhook-test-token", path=path,
            data=fields, headers=headers)  # fmt: skip


def test_the_genuine_requests_pass(client, db, redis_client) -> None:
    """The control: the same requests, rightly keyed and signed, are accepted."""
    for path, fields in AT_WEBHOOKS.items():
        assert client.post(f"{path}?key={AT_KEY}", data=fields).status_code == 200, path
    for path, fields in ((INBOUND_PATH, INBOUND), (STATUS_PATH, STATUS)):
        signature = twilio_signature(PUBLIC_URL + path, fields)
        answer = client.post(path, data=fields, headers={"X-Twilio-Signature": signature})
        assert answer.status_code == 200, path
