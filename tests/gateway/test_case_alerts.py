"""A new case alerts the on-call caseworker for its area, in the transaction that opens it;
the alert says nothing about the child and leaves on the urgent queue."""

from __future__ import annotations

import logging
import re

from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sms_client import PHONE as SMS_PHONE
from sms_client import REPORT_ANSWERS as SMS_ANSWERS
from sms_client import Texter
from sqlalchemy import select
from staff import (
    CASEWORKER_PHONE,
    MOMBASA,
    NAIROBI,
    NAIROBI_PHONE,
    OFF_CALL_PHONE,
    SUPERVISOR_PHONE,
    add_staff,
    alerts,
    outbox_jobs,
)
from ussd_client import PHONE as USSD_PHONE
from ussd_client import Caller

import workers.context as worker_context
from case_store.enums import MessagePurpose
from case_store.models import Case, Message
from case_store.references import format_reference
from dialogs.encoding import normalise
from gateway.providers.log import LogSender
from workers.alerts import deadline_text
from workers.queues import DEFAULT, URGENT
from workers.sms.queueing import URGENT_SEND_JOB

ALERT = re.compile(
    r"Kinga: new case (\d{3}-\d{3}-\d{3}), level LOW, Mombasa\. "
    r"Take it by ([A-Z][a-z]{2} \d{1,2}, )?\d{1,2}:\d{2} [AP]M\. Reply ACK (\d{9})"
)
CHILD_DETAILS = ("Kibera", "alone", "night", "girl", "neglect", "5-11", "neighbour")


def the_case(db) -> Case:
    with db() as session:
        return session.scalars(select(Case)).one()


def roster(app) -> None:
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    add_staff(app, "baraka", "caseworker", OFF_CALL_PHONE, areas=[MOMBASA], on_call=False)
    add_staff(app, "chebet", "caseworker", NAIROBI_PHONE, areas=[NAIROBI], on_call=True)
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE, on_call=True)


def assert_neutral_alert(text: str, case: Case) -> None:
    match = ALERT.fullmatch(text)
    assert match, text
    assert match.group(1) == format_reference(case.reference)
    assert match.group(3) == case.reference
    for detail in CHILD_DETAILS:
        assert detail.lower() not in text.lower()


def test_a_ussd_report_alerts_only_the_on_call_caseworker_for_its_area(app, client, db):
    roster(app)
    assert Caller(client).report().startswith("END Thank you")
    case = the_case(db)
    ((phone, text),) = alerts(db, app)
    assert phone == CASEWORKER_PHONE
    assert_neutral_alert(text, case)
    assert outbox_jobs(db) == [URGENT_SEND_JOB]  # its deadlines are the sweep's


def test_an_sms_report_alerts_the_same_way(app, client, db):
    roster(app)
    texter = Texter(client)
    for answer in SMS_ANSWERS:
        assert texter.send(answer).status_code == 200
    case = the_case(db)
    ((phone, text),) = alerts(db, app)
    assert phone == CASEWORKER_PHONE
    assert_neutral_alert(text, case)


def test_the_alert_gives_the_time_to_take_the_case_by_not_the_first_contact(app, client, db):
    """Reply ACK by the take-by time, which the deadline sweep chases first (a low case: 3
    hours, where first contact may wait 7 days)."""
    roster(app)
    Caller(client).report()
    case = the_case(db)
    ((_phone, text),) = alerts(db, app)
    zone = app.extensions["kinga"].profile.time_zone
    take_by, contact_by = (
        normalise(deadline_text(at, now=case.created_at, time_zone=zone, language="en"))
        for at in (case.assign_by, case.first_contact_by)
    )
    assert f"Take it by {take_by}. Reply ACK" in text and contact_by not in text


def test_a_replayed_hop_does_not_alert_twice(app, client, db):
    roster(app)
    caller = Caller(client)
    caller.report()
    assert caller.post().status_code == 200  # the provider retries the last hop
    assert len(alerts(db, app)) == 1


def test_without_an_on_call_caseworker_the_on_call_supervisors_are_alerted(app, client, db):
    add_staff(app, "baraka", "caseworker", OFF_CALL_PHONE, areas=[MOMBASA])
    add_staff(app, "chebet", "caseworker", NAIROBI_PHONE, areas=[NAIROBI], on_call=True)
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE, on_call=True)
    Caller(client).report()
    assert [phone for phone, _text in alerts(db, app)] == [SUPERVISOR_PHONE]


def test_with_nobody_on_call_the_case_is_kept_and_a_warning_logged(app, client, db, caplog):
    add_staff(app, "baraka", "caseworker", OFF_CALL_PHONE, areas=[MOMBASA])
    with caplog.at_level(logging.WARNING, logger="kinga.alerts"):
        assert Caller(client).report().startswith("END Thank you")
    assert the_case(db).location_code == MOMBASA
    assert alerts(db, app) == []
    assert "nobody on call" in caplog.text


def test_alerts_are_in_the_caseworkers_language(app, client, db):
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, on_call=True, languages=["sw"])
    Caller(client).report()
    ((_phone, text),) = alerts(db, app)
    assert text.startswith("Kinga: kesi mpya ") and "kiwango CHINI" in text


def test_the_alert_is_sent_by_a_worker_on_the_urgent_queue(app, client, db, redis_client, caplog):
    roster(app)
    runtime = app.extensions["kinga"]
    worker_context.install(runtime.job_context([LogSender()]))
    try:
        with caplog.at_level(logging.DEBUG):
            Caller(client).report()
            texter = Texter(client, phone="+254799000321")
            texter.send("HELP")
            urgent = Queue(URGENT, connection=redis_client, serializer=JSONSerializer)
            default = Queue(DEFAULT, connection=redis_client, serializer=JSONSerializer)
            assert len(urgent) == 1 and len(default) >= 1
            SimpleWorker([urgent], connection=redis_client, serializer=JSONSerializer).work(
                burst=True
            )
    finally:
        worker_context.uninstall()
    with db() as session:
        (alert,) = session.scalars(
            select(Message).where(Message.purpose == MessagePurpose.ALERT)
        ).all()
        assert (alert.provider, alert.status.value, alert.attempts) == ("log", "sent", 1)
        replies = session.scalars(
            select(Message).where(Message.purpose == MessagePurpose.REPLY)
        ).all()
        assert replies and all(m.status.value == "queued" for m in replies)  # not yet
    for phone in (CASEWORKER_PHONE, USSD_PHONE, SMS_PHONE, "+254799000321"):
        assert phone not in caplog.text


def test_a_staff_member_who_opted_out_gets_no_alert(app, client, db, redis_client):
    roster(app)
    Texter(client, phone=CASEWORKER_PHONE).send("STOP")
    runtime = app.extensions["kinga"]
    worker_context.install(runtime.job_context([LogSender()]))
    try:
        Caller(client).report()
        urgent = Queue(URGENT, connection=redis_client, serializer=JSONSerializer)
        SimpleWorker([urgent], connection=redis_client, serializer=JSONSerializer).work(burst=True)
    finally:
        worker_context.uninstall()
    with db() as session:
        (alert,) = session.scalars(
            select(Message).where(Message.purpose == MessagePurpose.ALERT)
        ).all()
        assert alert.status.value == "failed" and alert.last_error == "opted_out"
