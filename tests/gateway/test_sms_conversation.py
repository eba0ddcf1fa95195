"""An SMS conversation end to end: inbound webhook → dialog → case store → queued replies.

Replies are not sent here (no worker runs): they are in the message log, queued, each with an
outbox row whose job is in the send queue.
"""

from __future__ import annotations

import re

import pytest
from round_trips import Transactions
from sms_client import PHONE, REPORT_ANSWERS, Texter, inbound, outbound, texts
from sqlalchemy import func, select

from case_store.models import Case, CaseEvent, Contact, Note, OutboxRow, Reporter
from case_store.queries.cases import find_case_by_reference
from case_store.references import damm_digit
from gateway.channels.callers import MAX_REFERENCE_MISSES
from gateway.channels.sms import intake as sms_intake

REFERENCE = re.compile(r"Your reference is (\d{3}-\d{3}-\d{3})\.")


def ok(response) -> None:
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("provider", ["twilio", "africastalking"])
def test_an_sms_report_becomes_a_case_and_a_reference_reply(app, client, db, provider) -> None:
    texter = Texter(client, provider)
    for answer in REPORT_ANSWERS:
        ok(texter.send(answer))

    replies = texts(app, outbound(db))
    assert len(replies) == len(REPORT_ANSWERS)
    assert replies[0].startswith("Is a child in danger right now?")
    match = REFERENCE.search(replies[-1])
    assert match, replies[-1]
    with db() as session:
        case = find_case_by_reference(session, match.group(1).replace("-", ""))
        assert case is not None
        assert case.category.value == "neglect"
        assert case.location_code == "001"
        contact = session.scalars(select(Contact).where(Contact.case_id == case.id)).one()
        assert contact.channel.value == "sms"
        assert contact.external_id == texter.sent[-1]  # the provider id of the last message
    last = outbound(db)[-1]
    assert last.case is None  # the reporter stayed anonymous: not filed under the case
    assert last.purpose.value == "reply"
    assert (last.encoding, last.segments) == ("GSM-7", 1)


def test_a_replay_of_the_last_message_opens_no_second_case(client, db) -> None:
    texter = Texter(client)
    for answer in REPORT_ANSWERS:
        ok(texter.send(answer))
    ok(texter.send("1", provider_id=texter.sent[-1]))
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
    assert len(outbound(db)) == len(REPORT_ANSWERS)


def test_every_reply_has_an_outbox_row_and_a_queued_job(client, db, redis_client):
    """The request enqueues its replies' jobs and writes nothing more (the outbox sweep marks
    the rows once it has seen their jobs)."""
    ok(Texter(client).send("HELP"))
    replies = outbound(db)
    assert len(replies) == 2  # emergency numbers, then the keywords
    with db() as session:
        rows = list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))
    assert [row.args["public_id"] for row in rows] == [m.public_id for m in replies]
    assert all(row.dispatched_at is None for row in rows)
    assert all(row.job == "workers.sms.send_job.send_message" for row in rows)
    queued = [job_id.decode() for job_id in redis_client.lrange("rq:queue:default", 0, -1)]
    assert queued == [f"outbox-{row.id}" for row in rows]


@pytest.mark.parametrize("provider", ["twilio", "africastalking"])
def test_each_new_message_is_one_transaction(app, client, provider) -> None:
    """A message, its answer, the report it completes and the replies' jobs: one commit each."""
    transactions = Transactions(app.extensions["kinga"].engine)
    texter = Texter(client, provider)
    for answer in REPORT_ANSWERS:
        ok(texter.send(answer))
        assert transactions.take() == (1, 1), answer


def test_stop_opts_out_and_requests_are_still_answered(app, client, db) -> None:
    texter = Texter(client, "africastalking")
    ok(texter.send("REPORT"))
    ok(texter.send("STOP"))
    with db() as session:
        reporter = session.scalars(select(Reporter)).one()
        assert reporter.opted_out is True
    ok(texter.send("REPORT"))
    ok(texter.send("2"))
    ok(texter.send("HELP"))
    ok(texter.send("STOP"))
    replies = outbound(db)
    assert [m.purpose.value for m in replies] == [
        "reply", "confirmation", "reply", "reply", "reply", "reply", "confirmation"
    ]  # fmt: skip
    bodies = texts(app, replies)
    assert bodies[1].startswith("You will not get more messages from us.")
    assert bodies[3].startswith("What is happening?")  # the report goes on after STOP
    with db() as session:
        rows = session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
        flagged = [row.args.get("opt_out_confirmation") is True for row in rows]
        assert flagged == [False, True, False, False, False, False, True]
        assert session.scalars(select(Reporter)).one().opted_out is True
    assert len(inbound(db)) == 6


def test_start_clears_the_opt_out_in_another_language(app, client, db) -> None:
    texter = Texter(client)
    ok(texter.send("STOP"))
    ok(texter.send("ANZA"))  # Kiswahili for START
    with db() as session:
        assert session.scalars(select(Reporter)).one().opted_out is False
    assert len(outbound(db)) == 2


def test_status_reports_the_neutral_state_and_misses_are_limited(app, client, db) -> None:
    texter = Texter(client)
    for answer in REPORT_ANSWERS:
        ok(texter.send(answer))
    reference = REFERENCE.search(texts(app, outbound(db))[-1]).group(1)
    ok(texter.send(f"STATUS {reference}"))
    reply = texts(app, outbound(db))[-1]
    assert reference in reply
    assert "Neglect" not in reply and "Kibera" not in reply


def test_once_status_is_rate_limited_its_follow_ups_change_nothing(app, client, db) -> None:
    reporter = Texter(client)
    for answer in REPORT_ANSWERS:
        ok(reporter.send(answer))
    reference = REFERENCE.search(texts(app, outbound(db))[-1]).group(1)
    guesser = Texter(client, phone="+254733000555")
    for n in range(MAX_REFERENCE_MISSES):
        body = f"7654321{n}"
        ok(guesser.send(f"STATUS {body}{damm_digit(body)}"))
    ok(guesser.send(f"STATUS {reference}"))
    # The same reply as for a reference that does not exist: nothing to add to, nor to call
    # back about; only typing the number again.
    assert texts(app, outbound(db))[-1] == (
        f"Report {reference}. We cannot find it. Check the number.\n1. Try again\n0. Exit"
    )
    ok(guesser.send("1"))
    assert texts(app, outbound(db))[-1] == "Type your reference number.\n0. Exit"
    ok(guesser.send(reference))
    ok(guesser.send("2"))
    assert texts(app, outbound(db))[-1].startswith(
        f"Reply with the number, e.g. 1.\nReport {reference}."
    )
    with db() as session:
        case = find_case_by_reference(session, reference)
        assert session.scalars(select(Note).where(Note.case_id == case.id)).all() == []
        assert case.callback_consent is False
        kinds = {e.kind.value for e in session.scalars(select(CaseEvent))}
        assert not kinds & {"note_added", "callback_requested"}


def test_choosing_a_language_answers_with_the_menu_in_it_and_keeps_it(app, client, db) -> None:
    texter = Texter(client)
    ok(texter.send("1"))  # a bare number: the main menu (words would be a report)
    ok(texter.send("4"))  # Language
    ok(texter.send("2"))  # Kiswahili
    ok(texter.send("3"))  # Get help now, in Kiswahili
    replies = texts(app, outbound(db))

    assert replies[2].startswith("Karibu Kinga\n1. ")
    assert replies[3].startswith("Kama kuna hatari sasa, piga simu:")
    with db() as session:
        assert session.scalars(select(Reporter)).one().language == "sw"


def test_the_conversation_lives_in_redis_per_phone_hash_and_expires(app, client, redis_client):
    ok(Texter(client).send("REPORT"))
    keys = [k.decode() for k in redis_client.keys("kinga:sms:session:*")]
    assert len(keys) == 1
    assert PHONE not in keys[0] and PHONE[1:] not in keys[0]
    ttl = redis_client.ttl(keys[0])
    assert 0 < ttl <= app.extensions["kinga"].settings.sms_session_ttl
    assert PHONE.encode() not in redis_client.get(keys[0])


def test_a_focal_point_reports_in_one_message(app, client, db) -> None:
    ok(Texter(client, "africastalking").send("R 2 3 1 047 She works at night at the market"))
    (reply,) = texts(app, outbound(db))
    assert REFERENCE.search(reply), reply
    with db() as session:
        case = session.scalars(select(Case)).one()
        assert case.category.value == "sexual_abuse"
        assert case.location_code == "047"


def test_no_phone_number_or_body_in_the_logs(client, caplog) -> None:
    caplog.set_level("DEBUG")
    texter = Texter(client)
    for answer in REPORT_ANSWERS:
        ok(texter.send(answer))
    logged = caplog.text
    assert "kinga.sms" in logged or "sms" in logged
    assert PHONE not in logged and PHONE[1:] not in logged
    assert "She is alone at night" not in logged and "Kibera" not in logged


def test_a_reply_over_the_segment_limit_is_not_queued_but_the_report_is_kept(
    app, client, db, caplog
) -> None:
    from dataclasses import replace

    runtime = app.extensions["kinga"]
    runtime.settings = replace(runtime.settings, sms_max_segments=1)
    texter = Texter(client)
    ok(texter.send("REPORT"))
    ok(texter.send("2"))  # the category list takes two segments
    assert len(inbound(db)) == 2
    assert len(outbound(db)) == 1  # only the one-segment question went out
    assert "over the limit of 1" in caplog.text


def test_a_message_arriving_while_another_from_the_same_phone_is_handled_waits(
    app, client, db, redis_client, monkeypatch
) -> None:
    monkeypatch.setattr(sms_intake, "LOCK_WAIT", 0.2)
    texter = Texter(client)
    phone_hash = app.extensions["kinga"].vault.phone_hash(PHONE)
    held = redis_client.lock(f"kinga:sms:lock:{phone_hash}", timeout=10)
    assert held.acquire()
    busy = texter.send("REPORT")
    assert busy.status_code == 503
    assert inbound(db) == []
    held.release()
    # The provider delivers the same message again: now it is handled, once.
    again = texter.send("REPORT", provider_id=texter.sent[-1])
    assert again.status_code == 200
    assert len(inbound(db)) == 1


@pytest.mark.parametrize("provider", ["twilio", "africastalking"])
def test_zero_at_the_summary_is_not_sent_and_1_goes_back_to_it(app, client, db, provider) -> None:
    texter = Texter(client, provider)
    for answer in REPORT_ANSWERS[:-1]:
        ok(texter.send(answer))
    summary = texts(app, outbound(db))[-1]
    assert summary.startswith("Your report: neglect, Mombasa.\n1. Send")

    ok(texter.send("0"))
    assert texts(app, outbound(db))[-1] == "Your report was NOT sent. Send 1 to go back to it."
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
        (left,) = session.scalars(select(Contact)).all()
        assert (left.disposition.value, left.case_id) == ("dropped", None)

    ok(texter.send("1"))
    assert texts(app, outbound(db))[-1] == summary
    ok(texter.send("1"))
    assert REFERENCE.search(texts(app, outbound(db))[-1])
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
