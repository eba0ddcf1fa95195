"""Arbitrary values in every field of every webhook: never a 5xx, and a refusal changes nothing.

Each example starts from a valid request and replaces, drops or repeats a field with values a
provider, a broken network or anyone holding the key could send: digits of other scripts,
huge numbers, control characters, empty and very long strings, phone numbers of every length,
dates at both ends of the calendar with odd offsets. Every field gets its own run (biased to
values of its kind, so a rare class is not left to luck), and each webhook one more run where
several fields change at once and unknown fields are added. Twilio requests are signed over
exactly what is posted, so they reach the parser instead of stopping at the signature check.

The answer is a 200, or a 4xx with a short plain-text reason; after a 4xx the database and
Redis hold exactly what they held before. The app runs in testing mode, so an exception in a
view fails the example with its traceback instead of becoming a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sms_client import AT_KEY, PUBLIC_URL, twilio_signature
from stored import snapshot
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from case_store.enums import MessagePurpose
from case_store.operations.messages import record_attempt
from workers.sms.queueing import queue_sms

PHONE = "+254712345321"
OTHER_PHONE = "+254722000111"
TWILIO_SID = "SM" + "ab" * 16
AT_ID = "ATXid_" + "cd" * 16
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
OURS = "ours"  # stands for the id of the message we sent, in a Twilio status callback URL

FIELD_EXAMPLES = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MIXED_EXAMPLES = settings(FIELD_EXAMPLES, max_examples=25)


def _date_text(when: datetime, offset_minutes: int, form: str) -> str:
    text = when.replace(tzinfo=timezone(timedelta(minutes=offset_minutes))).strftime(form)
    return text.replace("+0000", "Z")


ODD_DATES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2024-02-30 10:15:30",
             "2026-03-02", "24:00:00", "2026-W10-1", "05/03/2024 10:15"]  # fmt: skip
DATE_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S%z",
                "%Y-%m-%dT%H:%M:%S.%f%z"]  # fmt: skip
DATES = st.one_of(
    st.sampled_from(ODD_DATES),
    st.builds(
        _date_text,
        st.datetimes(),  # years 1 to 9999
        st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59),
        st.sampled_from(DATE_FORMATS),
    ),
)
NUMBERS = st.one_of(
    st.sampled_from(
        ["²", "①", "٣٤", "１２", "9" * 5000, "99999999999999999999", "-1", "1e9", "0x10", "1_000"]
    ),
    st.integers(min_value=10**12, max_value=10**80).map(str),
    st.text(st.characters(categories=("Nd", "No", "Nl")), min_size=1, max_size=12),  # ², ٣, Ⅻ
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.floats().map(str),  # nan, inf, 1e+300
)
ODD_PHONES = ["+4922", "+2342222222222222", "+25471", "+", "+254 712 345 321", "+٢٥٤٧١٢٣٤٥٣٢١",
              "0712345321", "++254712345321"]  # fmt: skip
PHONES = st.one_of(
    st.sampled_from(ODD_PHONES),
    st.builds(
        "+{}{}".format,
        st.sampled_from([1, 7, 20, 43, 49, 62, 81, 234, 254, 290, 683]),
        st.text("0123456789", max_size=20),
    ),
)
TEXTS = st.one_of(
    st.just(""),
    st.text(st.characters(categories=("Cc", "Cf", "Zl", "Zp", "Zs")), min_size=1, max_size=8),
    st.builds(
        lambda piece, times: piece * times,
        st.text(min_size=1, max_size=3),
        st.integers(min_value=50, max_value=1500),
    ),
    st.text(max_size=40),
    st.sampled_from(["\x00", "a\r\nb", "\u202e", "🙂", "null", "[]", "<x/>", "%s", "{0}"]),
)
ODD = st.one_of(NUMBERS, PHONES, TEXTS, DATES)
EXTRA_NAMES = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12)


def kind(field: str) -> st.SearchStrategy[str]:
    """Odd values, mostly of the field's own kind."""
    own = {"date": DATES, "phonenumber": PHONES, "from": PHONES, "to": PHONES}.get(field.lower())
    if own is None and any(word in field for word in ("Millis", "Count", "Num", "Code")):
        own = NUMBERS
    return ODD if own is None else st.one_of(own, own, ODD)


def one_field(base: dict[str, Any], field: str) -> st.SearchStrategy[MultiDict[str, str]]:
    """``base`` with ``field`` replaced by an odd value, dropped, or repeated."""
    change = st.one_of(kind(field), kind(field), st.none(), st.lists(kind(field), min_size=2))
    return st.builds(_changed, _valid(base), change.map(lambda value: {field: value}), st.just({}))


def many_fields(base: dict[str, Any]) -> st.SearchStrategy[MultiDict[str, str]]:
    """``base`` with several fields changed at once and unknown fields added."""
    change = st.one_of(ODD, st.none(), st.lists(ODD, min_size=2, max_size=3))
    changes = st.dictionaries(st.sampled_from(sorted(base)), change)
    extra = st.dictionaries(EXTRA_NAMES, ODD, max_size=2)
    return st.builds(_changed, _valid(base), changes, extra)


def _valid(base: dict[str, Any]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries(
        {k: v if isinstance(v, st.SearchStrategy) else st.just(v) for k, v in base.items()}
    )


def _changed(
    fields: dict[str, str], changes: dict[str, Any], extra: dict[str, str]
) -> MultiDict[str, str]:
    pairs: list[tuple[str, str]] = []
    for name, value in {**fields, **changes}.items():
        if value is not None:
            pairs.extend((name, v) for v in (value if isinstance(value, list) else [value]))
    pairs.extend((name, value) for name, value in extra.items() if name not in fields)
    return MultiDict(pairs)


SESSIONS = st.sampled_from(["ATUid_p1", "ATUid_p2"])
CALLERS = st.sampled_from([PHONE, OTHER_PHONE])
KEYS = st.sampled_from(["1", "2", "3", "0", "98", "Kibera"])
WEBHOOKS: dict[str, tuple[str, dict[str, Any]]] = {
    "ussd": (
        f"/ussd/africastalking?key={AT_KEY}",
        {"sessionId": SESSIONS, "serviceCode": "*384*116#", "phoneNumber": CALLERS,
         "networkCode": "63902", "text": st.lists(KEYS, max_size=12).map("*".join)},
    ),
    "ussd_events": (
        f"/ussd/africastalking/events?key={AT_KEY}",
        {"date": "2026-03-02 09:30:00", "sessionId": SESSIONS, "serviceCode": "*384*116#",
         "networkCode": "63902", "phoneNumber": CALLERS,
         "status": st.sampled_from(["Success", "Incomplete", "Failed"]), "cost": "KES 0.0000",
         "durationInMillis": "41234", "hopsCount": "4", "input": "1*2*3",
         "lastAppResponse": "CON How old is the child?", "errorMessage": ""},
    ),
    "at_inbound": (
        f"/sms/africastalking/inbound?key={AT_KEY}",
        {"from": CALLERS, "to": "40404", "text": st.sampled_from(["REPORT", "1", "0", "STOP"]),
         "date": "2026-03-02 09:30:00", "id": st.sampled_from(["ATXid_a", "ATXid_b"]),
         "linkId": "", "networkCode": "63902"},
    ),
    "at_delivery": (
        f"/sms/africastalking/delivery?key={AT_KEY}",
        {"id": AT_ID, "status": st.sampled_from(["Sent", "Success", "Failed", "Rejected"]),
         "phoneNumber": PHONE, "networkCode": "63902", "retryCount": "0",
         "failureReason": st.sampled_from(["", "UserInBlackList", "InsufficientCredit"]),
         "cost": "KES 0.8000"},
    ),
    "twilio_inbound": (
        "/sms/twilio/inbound",
        {"MessageSid": st.sampled_from(["SMa1", "SMa2"]), "SmsSid": "SMa1",
         "AccountSid": "AC" + "0f1e" * 8, "From": CALLERS, "To": "+15005550006",
         "Body": st.sampled_from(["REPORT", "1", "0", "STOP"]), "NumMedia": "0",
         "NumSegments": "1", "ApiVersion": "2010-04-01"},
    ),
    "twilio_status": (
        "/sms/twilio/status",
        {"?id": st.one_of(st.just(OURS), TEXTS), "MessageSid": TWILIO_SID, "SmsSid": TWILIO_SID,
         "MessageStatus": st.sampled_from(["sent", "delivered", "failed", "undelivered"]),
         "ErrorCode": st.sampled_from(["", "30003", "21610"]), "AccountSid": "AC" + "0f1e" * 8,
         "To": PHONE, "From": "+15005550006", "ApiVersion": "2010-04-01"},
    ),
}  # fmt: skip
EVERY_FIELD = [(hook, field) for hook, (_path, base) in WEBHOOKS.items() for field in base]


@pytest.fixture
def post(client: Any, db: Any, redis_client: Any, app: Any) -> Any:
    """Posts one request to a webhook (signed, for Twilio) and checks the answer."""
    vault = app.extensions["kinga"].vault
    ours = {}
    with db.begin() as session:  # one sent message per provider, for receipts to find
        for provider, provider_id in (("twilio", TWILIO_SID), ("africastalking", AT_ID)):
            message, _row = queue_sms(
                session, vault, phone=PHONE, text="Hello", purpose=MessagePurpose.REPLY,
                max_segments=4, now=NOW,
            )  # fmt: skip
            record_attempt(session, message, provider=provider, provider_id=provider_id, now=NOW)
            ours[provider] = message.public_id

    def send(webhook: str, form: MultiDict[str, str], raw: tuple[bytes, str] | None = None) -> None:
        """``form`` as posted, or ``raw``: a body and its content type, posted as they are."""
        path = WEBHOOKS[webhook][0]
        ids = form.poplist("?id")  # the query of a Twilio status callback URL
        if ids:
            path += "?" + urlencode([("id", ours["twilio"] if i == OURS else i) for i in ids])
        request: dict[str, Any] = {"data": form}
        if raw is not None:
            request = {"data": raw[0], "content_type": raw[1]}
        headers = {}
        if webhook.startswith("twilio"):  # signed over the fields as the app will read them
            fields = Request.from_values(path, method="POST", **request).form
            headers["X-Twilio-Signature"] = twilio_signature(PUBLIC_URL + path, fields)
        before = snapshot(db, redis_client)
        response = client.post(path, headers=headers, **request)
        body = response.get_data(as_text=True)
        assert response.status_code < 500, body
        assert response.status_code != 403, body  # the key or the signature must pass
        if response.status_code >= 400:
            assert response.mimetype == "text/plain", body
            assert body.startswith(f"{response.status_code} ") and len(body) < 200, body
            assert "Traceback" not in body and PHONE not in body
            assert snapshot(db, redis_client) == before, "a refused request changed something"
        elif webhook == "ussd":
            assert body.startswith(("CON ", "END ")), body

    return send


@pytest.mark.parametrize(("webhook", "field"), EVERY_FIELD)
def test_an_odd_value_in_any_field_never_gets_a_5xx(post: Any, webhook: str, field: str) -> None:
    @FIELD_EXAMPLES
    @given(one_field(WEBHOOKS[webhook][1], field))
    def check(form: MultiDict[str, str]) -> None:
        post(webhook, form)

    check()


@pytest.mark.parametrize("webhook", sorted(WEBHOOKS))
def test_odd_values_in_many_fields_never_get_a_5xx(post: Any, webhook: str) -> None:
    @MIXED_EXAMPLES
    @given(many_fields(WEBHOOKS[webhook][1]))
    def check(form: MultiDict[str, str]) -> None:
        post(webhook, form)

    check()


CONTENT_TYPES = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=latin-1",
        "multipart/form-data; boundary=b",
        "multipart/form-data",
        "application/json",
        "text/plain",
    ]
)
BODIES = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from(["=", "&", "%", "%ff", "%00", "+", "id", "key", "a", "é", "\r\n"]))
    .map("".join)
    .map(str.encode),
    st.text(max_size=300).map(str.encode),
    st.just(b'--b\r\nContent-Disposition: form-data; name="id"\r\n\r\nATXid_m\r\n--b'),
)


@pytest.mark.parametrize("webhook", sorted(WEBHOOKS))
def test_any_body_never_gets_a_5xx(post: Any, webhook: str) -> None:
    @FIELD_EXAMPLES
    @given(BODIES, CONTENT_TYPES)
    def check(body: bytes, content_type: str) -> None:
        post(webhook, MultiDict(), (body, content_type))

    check()
