"""Every webhook sent again, in sequence and all at once, across two real gateways.

Providers retry a webhook they got no answer to, and a retry can reach another process while
the first is still working. Each webhook here is sent 3 times one after the other, or 10 times
at once, alternating between two ``kinga serve`` processes on the same database and Redis: the
answers are identical, and what it stores is stored once (one case, one message log entry, one
alert and its outbox row, one status line).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from delivered import alerts, outbox_rows, references, rows, unqueued_messages
from probe_data import REPLAY_PHONE, with_probe
from sms_client import AT_KEY, PUBLIC_URL, twilio_signature
from sms_client import REPORT_ANSWERS as SMS_REPORT
from sqlalchemy import select
from staff import CASEWORKER_PHONE, MOMBASA, add_staff
from ussd_client import REPORT_ANSWERS as USSD_REPORT
from web_processes import Answer, WebProcess

from case_store.enums import Direction, MessageEventKind, MessagePurpose
from case_store.models import Contact, Message, MessageEvent
from case_store.operations.messages import record_attempt
from case_store.references import is_valid_reference
from workers.sms.queueing import queue_sms

PHONE = REPLAY_PHONE
USSD_ANSWERS, SMS_ANSWERS = with_probe(USSD_REPORT), with_probe(SMS_REPORT)
USSD = f"/ussd/africastalking?key={AT_KEY}"
USSD_EVENTS = f"/ussd/africastalking/events?key={AT_KEY}"
AT_INBOUND = f"/sms/africastalking/inbound?key={AT_KEY}"
AT_DELIVERY = f"/sms/africastalking/delivery?key={AT_KEY}"
TWILIO_INBOUND = "/sms/twilio/inbound"
TWILIO_STATUS = "/sms/twilio/status"
TIMES = {"sequence": 3, "concurrent": 10}


def ussd_form(session_id: str, text: str) -> dict[str, str]:
    return {"sessionId": session_id, "serviceCode": "*384*116#", "phoneNumber": PHONE,
            "networkCode": "63902", "text": text}  # fmt: skip


def at_sms(provider_id: str, text: str) -> dict[str, str]:
    return {"from": PHONE, "to": "40404", "text": text, "date": "2026-03-02 09:30:00",
            "id": provider_id, "networkCode": "63902"}  # fmt: skip


def twilio_sms(provider_id: str, text: str) -> dict[str, str]:
    return {"MessageSid": provider_id, "SmsSid": provider_id, "AccountSid": "AC" + "0f1e" * 8,
            "From": PHONE, "To": "+15005550006", "Body": text, "NumMedia": "0",
            "NumSegments": "1", "ApiVersion": "2010-04-01"}  # fmt: skip


def signed(path: str, form: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": twilio_signature(PUBLIC_URL + path, form)}


def send(
    gateways: tuple[WebProcess, WebProcess],
    mode: str,
    path: str,
    form: dict[str, str],
    headers: dict[str, str] | None = None,
) -> list[Answer]:
    """The same request ``TIMES[mode]`` times, alternating between the two gateways: one after
    the other, or all released together."""
    times = TIMES[mode]
    targets = [gateways[n % 2] for n in range(times)]
    if mode == "sequence":
        return [web.post(path, form, headers) for web in targets]
    start = threading.Barrier(times)

    def one(web: WebProcess) -> Answer:
        start.wait()
        return web.post(path, form, headers)

    with ThreadPoolExecutor(times) as pool:
        return list(pool.map(one, targets))


def the_same_success(answers: list[Answer]) -> Answer:
    assert len(set(answers)) == 1, answers
    assert answers[0].status == 200, answers[0]
    return answers[0]


@pytest.fixture
def on_call(app: Any) -> None:
    """A caseworker on call for the reports' area: every new case queues one alert."""
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)


def one_case_with_one_alert(db: Any) -> None:
    (reference,) = references(db)
    assert is_valid_reference(reference)
    assert alerts(db) == 1
    assert unqueued_messages(db) == 0
    with db() as session:
        assert len(session.scalars(select(Contact)).all()) == 1


@pytest.mark.parametrize("mode", sorted(TIMES))
def test_the_ussd_hop_that_sends_a_report(gateways, db, redis_client, on_call, mode) -> None:
    first, _ = gateways
    session_id = f"ATUid_replay_{mode}"
    for n in range(len(USSD_ANSWERS)):  # dial, then every answer but the last
        assert first.post(USSD, ussd_form(session_id, "*".join(USSD_ANSWERS[:n]))).status == 200
    before = outbox_rows(db)
    last = ussd_form(session_id, "*".join(USSD_ANSWERS))

    answer = the_same_success(send(gateways, mode, USSD, last))

    one_case_with_one_alert(db)
    (reference,) = references(db)
    assert answer.body.startswith("END Thank you. Your reference is"), answer.body
    assert reference in answer.body.replace("-", "")
    assert outbox_rows(db) == before + 1  # the alert's


@pytest.mark.parametrize("mode", sorted(TIMES))
def test_a_ussd_hop_in_the_middle_of_a_report(gateways, db, redis_client, on_call, mode) -> None:
    """Copies of a hop change the session once: the report goes on from it, to one case."""
    first, second = gateways
    session_id = f"ATUid_middle_{mode}"
    middle = len(USSD_ANSWERS) // 2
    for n in range(middle):
        assert first.post(USSD, ussd_form(session_id, "*".join(USSD_ANSWERS[:n]))).status == 200
    hop = ussd_form(session_id, "*".join(USSD_ANSWERS[:middle]))

    assert the_same_success(send(gateways, mode, USSD, hop)).body.startswith("CON ")

    for n in range(middle + 1, len(USSD_ANSWERS) + 1):
        answer = second.post(USSD, ussd_form(session_id, "*".join(USSD_ANSWERS[:n])))
    assert answer.body.startswith("END Thank you. Your reference is"), answer.body
    one_case_with_one_alert(db)


@pytest.mark.parametrize("mode", sorted(TIMES))
def test_the_ussd_end_of_session_event(gateways, db, redis_client, mode) -> None:
    first, _ = gateways
    session_id = f"ATUid_dropped_{mode}"
    for n in range(3):  # the caller hangs up after two answers
        assert first.post(USSD, ussd_form(session_id, "*".join(USSD_ANSWERS[:n]))).status == 200
    event = {"date": "2026-03-02 09:30:00", "sessionId": session_id, "serviceCode": "*384*116#",
             "networkCode": "63902", "phoneNumber": PHONE, "status": "Incomplete",
             "cost": "KES 0.0000", "durationInMillis": "41234", "hopsCount": "3",
             "input": "1*2", "lastAppResponse": "CON Is the child in danger now?",
             "errorMessage": ""}  # fmt: skip

    the_same_success(send(gateways, mode, USSD_EVENTS, event))

    with db() as session:
        (contact,) = session.scalars(select(Contact)).all()
        assert contact.external_id == session_id and contact.case_id is None
    assert references(db) == []


def texted_report(
    gateways: tuple[WebProcess, WebProcess], path: str, form: Callable[[str, str], dict[str, str]]
) -> dict[str, str]:
    """Every message of an SMS report but the last, through the first gateway; the last."""
    first, _ = gateways
    for n, text in enumerate(SMS_ANSWERS[:-1]):
        message = form(f"SM{n:032x}" if "twilio" in path else f"ATXid_{n:032x}", text)
        headers = signed(path, message) if "twilio" in path else None
        assert first.post(path, message, headers).status == 200
    return form("SM" + "f" * 32 if "twilio" in path else "ATXid_" + "f" * 32, SMS_ANSWERS[-1])


def one_entry_per_message(db: Any) -> None:
    with db() as session:
        inbound = session.scalars(
            select(Message.provider_id).where(Message.direction == Direction.INBOUND)
        ).all()
        replies = session.scalars(
            select(Message.id).where(Message.purpose == MessagePurpose.REPLY)
        ).all()
    assert sorted(inbound) == sorted(set(inbound)) and len(inbound) == len(SMS_ANSWERS)
    assert len(replies) == len(SMS_ANSWERS)  # one reply to each message


@pytest.mark.parametrize("mode", sorted(TIMES))
@pytest.mark.parametrize("provider", ["africastalking", "twilio"])
def test_the_inbound_sms_that_sends_a_report(
    gateways, db, redis_client, on_call, provider, mode
) -> None:
    path, form = (TWILIO_INBOUND, twilio_sms) if provider == "twilio" else (AT_INBOUND, at_sms)
    last = texted_report(gateways, path, form)
    headers = signed(path, last) if provider == "twilio" else None

    the_same_success(send(gateways, mode, path, last, headers))

    one_case_with_one_alert(db)
    one_entry_per_message(db)
    assert rows(db)["inbound_receipt"] == len(SMS_ANSWERS)


def sent_message(app: Any, db: Any, provider: str, provider_id: str) -> str:
    """An outbound message the provider accepted as ``provider_id``; its public id."""
    vault, now = app.extensions["kinga"].vault, datetime.now(UTC)
    with db.begin() as session:
        message, _row = queue_sms(
            session, vault, phone=PHONE, text="Hello", purpose=MessagePurpose.REPLY,
            max_segments=4, now=now,
        )  # fmt: skip
        record_attempt(session, message, provider=provider, provider_id=provider_id, now=now)
        return message.public_id


def status_lines(db: Any, public_id: str) -> list[str | None]:
    with db() as session:
        return list(
            session.scalars(
                select(MessageEvent.status)
                .join(Message)
                .where(Message.public_id == public_id, MessageEvent.kind == MessageEventKind.STATUS)
                .order_by(MessageEvent.id)
            )
        )


@pytest.mark.parametrize("mode", sorted(TIMES))
@pytest.mark.parametrize("provider", ["africastalking", "twilio"])
def test_the_delivery_report(gateways, app, db, redis_client, provider, mode) -> None:
    provider_id = "SM" + "ab" * 16 if provider == "twilio" else "ATXid_" + "cd" * 16
    public_id = sent_message(app, db, provider, provider_id)
    if provider == "twilio":
        path = f"{TWILIO_STATUS}?id={public_id}"
        form = {"MessageSid": provider_id, "SmsSid": provider_id, "MessageStatus": "delivered",
                "AccountSid": "AC" + "0f1e" * 8, "To": PHONE, "From": "+15005550006",
                "ApiVersion": "2010-04-01"}  # fmt: skip
        headers: dict[str, str] | None = signed(path, form)
    else:
        path, headers = AT_DELIVERY, None
        form = {"id": provider_id, "status": "Success", "phoneNumber": PHONE,
                "networkCode": "63902", "retryCount": "0", "failureReason": "",
                "cost": "KES 0.8000"}  # fmt: skip
    before, lines = rows(db), status_lines(db, public_id)

    the_same_success(send(gateways, mode, path, form, headers))

    assert status_lines(db, public_id) == [*lines, "delivered"]
    after = rows(db)
    assert {t: n - before[t] for t, n in after.items() if n != before[t]} == {"message_event": 1}
