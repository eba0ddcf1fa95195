"""What a reporter who agreed to SMS updates is sent, end to end through the webhooks: their
reference once at the end of a USSD report, and one neutral follow-up when a caseworker
acknowledges the case by SMS; nothing without consent, nothing after STOP."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sms_client import Texter
from sqlalchemy import select
from staff import CASEWORKER_PHONE, MOMBASA, add_staff
from ussd_client import PHONE, REPORT_ANSWERS, Caller

import workers.context as worker_context
from case_store.enums import MessagePurpose, MessageStatus
from case_store.models import Case, Message
from case_store.references import format_reference
from workers.follow_ups import run_follow_ups

TANZANIA = "+255712345321"  # Kiswahili by the example profile's country codes
THANK_YOU = (
    "Thank you. Your reference is {reference}. Keep it safe. If there is danger now, call 116. "
    "If others use this phone, you may delete these messages."
)


@pytest.fixture(autouse=True)
def clean_senders():
    yield
    worker_context.uninstall()


def answers(sms: str) -> list[str]:
    """The usual USSD report, with ``sms`` (1 yes, 2 no) to the SMS-updates question."""
    chosen = list(REPORT_ANSWERS)
    assert chosen[-3:] == ["2", "2", "1"]  # no call-back, no SMS updates, send
    chosen[-2] = sms
    return chosen


def to_reporter(app, db, phone: str = PHONE) -> list[tuple[str, str, int | None]]:
    """(purpose, text, case id) of every message queued to ``phone``, oldest first."""
    vault = app.extensions["kinga"].vault
    with db() as session:
        messages = session.scalars(
            select(Message)
            .where(Message.phone_hash == vault.phone_hash(phone), Message.direction == "outbound")
            .order_by(Message.id)
        )
        return [
            (m.purpose.value, vault.decrypt(m.body_encrypted), m.case_id)
            for m in messages
            if m.purpose is not None
        ]


def the_case(db) -> Case:
    with db() as session:
        return session.scalars(select(Case)).one()


def test_a_ussd_reporter_who_agreed_gets_the_reference_by_sms_once(app, client, db, redis_client):
    caller = Caller(client)
    caller.dial()
    for value in answers("1")[:-1]:
        caller.answer(value)
    record_key = app.extensions["kinga"].ussd_sessions.key("africastalking", caller.session_id)
    saved = redis_client.get(record_key)
    end = caller.answer("1")
    case = the_case(db)
    reference = format_reference(case.reference)
    assert end.startswith(f"END Thank you. Your reference is {reference}.")
    assert case.sms_consent is True

    expected = [("confirmation", THANK_YOU.format(reference=reference), case.id)]
    assert to_reporter(app, db) == expected
    # The provider retries the last hop: the saved answer, nothing run again.
    assert caller.post().get_data(as_text=True) == end
    # The answer was lost and the session record is older than the commit: Send runs again,
    # finds the case, and sends nothing more.
    redis_client.set(record_key, saved)
    caller.post()
    assert to_reporter(app, db) == expected


def test_a_reporter_who_declined_gets_no_sms(app, client, db):
    assert Caller(client).report(answers("2")).startswith("END Thank you.")
    assert the_case(db).sms_consent is False
    assert to_reporter(app, db) == []


def test_the_reference_is_sent_in_the_reporters_language(app, client, db):
    assert Caller(client, phone=TANZANIA).report(answers("1")).startswith("END Asante.")
    ((purpose, text, _case),) = to_reporter(app, db, TANZANIA)
    assert purpose == "confirmation"
    assert text.startswith("Asante. Namba yako ya kumbukumbu ni ")
    assert text.endswith("unaweza kufuta jumbe hizi.")


def test_after_stop_a_ussd_report_sends_no_sms(app, client, db):
    assert Texter(client, phone=PHONE).send("STOP").status_code == 200
    Caller(client).report(answers("1"))
    case = the_case(db)
    assert case.sms_consent is True  # the answer is kept; STOP wins until START
    assert [m for m in to_reporter(app, db) if m[2] == case.id] == []


def test_stop_before_the_worker_sends_it_stops_it(app, client, db, runner):
    Caller(client).report(answers("1"))
    assert Texter(client, phone=PHONE).send("STOP").status_code == 200
    assert runner.invoke(args=["worker", "--burst"]).exit_code == 0

    with db() as session:
        reference_sms = session.scalars(
            select(Message).where(
                Message.purpose == MessagePurpose.CONFIRMATION, Message.case_id.is_not(None)
            )
        ).one()
        assert (reference_sms.status, reference_sms.last_error) == (
            MessageStatus.FAILED,
            "opted_out",
        )


def test_ack_by_sms_sets_off_one_neutral_follow_up(app, client, db, runner):
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    Caller(client).report(answers("1"))
    case = the_case(db)
    assert Texter(client, phone=CASEWORKER_PHONE).send(f"ACK {case.reference}").status_code == 200

    runtime = app.extensions["kinga"]
    profile = replace(runtime.profile, follow_up_quiet_hours=None)  # the real clock: any hour
    outcome = run_follow_ups(
        runtime.sessions,
        runtime.redis,
        runtime.vault,
        profile=profile,
        max_segments=runtime.settings.sms_max_segments,
        now=datetime.now(UTC),
    )
    assert outcome == {"sent": 1}
    reference = format_reference(case.reference)
    assert to_reporter(app, db)[-1] == (
        "follow_up",
        f"Your reference {reference} was updated. Dial *384*116# for details.",
        case.id,
    )

    shown = runner.invoke(args=["cases", "show", case.reference, "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["consent"]["sms_updates"] is True
    kinds = [event["kind"] for event in data["audit"]]
    assert kinds[-2:] == ["acknowledged", "follow_up_sent"]
