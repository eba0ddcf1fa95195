"""An immediate or high case still unacknowledged at its assign-by deadline goes to the
profile's fallback of last resort: the on-call users with the fallback roles for its area
(those who may take it are told to reply ACK) and the duty phone, in the default language;
once, and never again to someone already told about the case."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer
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
from ussd_client import HIGH_ANSWERS, IMMEDIATE_ANSWERS, Caller

import workers.context as worker_context
from case_store.enums import CaseStatus, MessagePurpose, RiskLevel, Role
from case_store.models import Case, CaseEvent, Message
from case_store.on_call import AlertFallback
from case_store.references import format_reference
from gateway.providers.log import LogSender
from workers.alerts import deadline_text
from workers.dispatch import FALLBACK_ALERT_JOB
from workers.escalation import run_escalation
from workers.fallback import Outcome, run_fallback
from workers.queues import URGENT

ADMIN_PHONE = "+254700111006"
FALLBACK_TEXT = (
    "Kinga: case {reference} NOT acknowledged, level {level}, Mombasa. "
    "First contact by {deadline}. Please find a caseworker for it."
)


def report(client, db, answers: list[str]) -> Case:
    assert Caller(client).report(answers).startswith("END Thank you")
    with db() as session:
        return session.scalars(select(Case)).one()


def fall_back(app, redis_client, case: Case, after: timedelta, **profile_changes) -> str:
    rt = app.extensions["kinga"]
    return run_fallback(
        rt.sessions,
        redis_client,
        rt.vault,
        profile=replace(rt.profile, **profile_changes),
        max_segments=rt.settings.sms_max_segments,
        case_id=case.id,
        now=case.created_at + after,
    )


def escalate(app, redis_client, case: Case, after: timedelta) -> str:
    rt = app.extensions["kinga"]
    return run_escalation(
        rt.sessions,
        redis_client,
        rt.vault,
        profile=rt.profile,
        policy=rt.triage,
        max_segments=rt.settings.sms_max_segments,
        case_id=case.id,
        now=case.created_at + after,
    )


def duty_phone(app) -> str:
    phone = app.extensions["kinga"].profile.alert_fallback.duty_phone
    assert phone is not None
    return phone


def fallback_text(app, case: Case, after: timedelta, level: str = "IMMEDIATE") -> str:
    zone = app.extensions["kinga"].profile.time_zone
    deadline = deadline_text(case.first_contact_by, now=case.created_at + after, time_zone=zone)
    return FALLBACK_TEXT.format(
        reference=format_reference(case.reference), level=level, deadline=deadline
    )


def nobody_for_mombasa(app) -> None:
    add_staff(app, "baraka", "caseworker", OFF_CALL_PHONE, areas=[MOMBASA])
    add_staff(app, "chebet", "caseworker", NAIROBI_PHONE, areas=[NAIROBI], on_call=True)
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE, areas=[NAIROBI], on_call=True)
    add_staff(app, "ayo", "admin", ADMIN_PHONE, on_call=True)


def test_the_check_is_scheduled_at_the_assign_by_deadline_of_immediate_and_high_cases(
    client, db, redis_client
):
    case = report(client, db, IMMEDIATE_ANSWERS)
    registry = Queue(
        URGENT, connection=redis_client, serializer=JSONSerializer
    ).scheduled_job_registry
    job_id = f"alert_fallback-{case.id}"
    assert sorted(registry.get_job_ids()) == [job_id, f"escalate_case-{case.id}"]
    due = registry.get_scheduled_time(job_id)
    assert abs((due - case.assign_by).total_seconds()) < 1
    assert case.assign_by - case.created_at == timedelta(minutes=15)


def test_a_high_case_is_checked_after_an_hour_and_a_low_one_never(app, client, db):
    case = report(client, db, HIGH_ANSWERS)
    assert case.risk_level is RiskLevel.HIGH
    assert outbox_jobs(db).count(FALLBACK_ALERT_JOB) == 1
    assert case.assign_by - case.created_at == timedelta(hours=1)
    Caller(client, session_id="ATUid_low", phone="+254712345999").report()
    with db() as session:
        assert session.scalars(select(Case.risk_level).order_by(Case.id)).all() == [
            RiskLevel.HIGH,
            RiskLevel.LOW,
        ]
    assert outbox_jobs(db).count(FALLBACK_ALERT_JOB) == 1


def test_an_immediate_case_with_nobody_on_call_reaches_the_fallback(
    app, client, db, runner, redis_client
):
    nobody_for_mombasa(app)
    case = report(client, db, IMMEDIATE_ANSWERS)
    assert alerts(db, app) == []  # pending: nobody for Mombasa
    assert fall_back(app, redis_client, case, timedelta(minutes=10)) == Outcome.NOT_DUE
    assert alerts(db, app) == []

    assert fall_back(app, redis_client, case, timedelta(minutes=16)) == Outcome.ALERTED
    told = fallback_text(app, case, timedelta(minutes=16))
    assert alerts(db, app) == [(ADMIN_PHONE, told), (duty_phone(app), told)]
    with db() as session:
        found = session.get(Case, case.id)
        assert found.fallback_alerted_at == case.created_at + timedelta(minutes=16)
        kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id))
        assert [k.value for k in kinds] == ["case_opened", "alert_pending", "fallback_alerted"]
    # Mombasa's own on-call staff still have to hear of it.
    listed = json.loads(runner.invoke(args=["cases", "list", "--json", "--unalerted"]).stdout)
    assert [row["reference"] for row in listed] == [format_reference(case.reference)]

    assert fall_back(app, redis_client, case, timedelta(minutes=20)) == Outcome.ALREADY
    assert len(alerts(db, app)) == 2


def test_a_high_case_goes_to_the_fallback_but_not_to_who_was_told(app, client, db, redis_client):
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE, on_call=True, languages=["fr"])
    case = report(client, db, HIGH_ANSWERS)
    assert [phone for phone, _ in alerts(db, app)] == [CASEWORKER_PHONE]
    assert fall_back(app, redis_client, case, timedelta(minutes=61)) == Outcome.ALERTED
    (_amina, (supervisor, french), (duty, english)) = alerts(db, app)
    assert supervisor == SUPERVISOR_PHONE  # may take it: told to reply ACK, in French
    assert french.startswith("Kinga : dossier ") and f"ACK {case.reference}" in french
    assert (duty, english) == (
        duty_phone(app),
        fallback_text(app, case, timedelta(minutes=61), "HIGH"),
    )


def test_the_duty_phone_is_told_in_the_default_language(app, client, db, redis_client):
    case = report(client, db, IMMEDIATE_ANSWERS)
    outcome = fall_back(app, redis_client, case, timedelta(minutes=16), default_language="sw")
    assert outcome == Outcome.ALERTED
    ((phone, text),) = alerts(db, app)
    assert phone == duty_phone(app)
    assert text.startswith(f"Kinga: HAKUNA aliyepokea kesi {format_reference(case.reference)}")


def test_an_acknowledged_or_closed_case_does_not_go_to_the_fallback(app, client, db, redis_client):
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    case = report(client, db, HIGH_ANSWERS)
    texter = Texter(client, phone=CASEWORKER_PHONE)
    texter.send(f"ACK {case.reference}")
    assert fall_back(app, redis_client, case, timedelta(minutes=61)) == Outcome.ACKNOWLEDGED
    texter.send(f"CLOSE {case.reference} no_concern")
    assert fall_back(app, redis_client, case, timedelta(minutes=61)) == Outcome.CLOSED
    assert [phone for phone, _ in alerts(db, app)] == [CASEWORKER_PHONE]


@pytest.mark.parametrize("first", ["fallback", "escalation"])
def test_the_escalation_and_the_fallback_tell_each_supervisor_once(
    app, client, db, redis_client, first
):
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE, on_call=True)
    case = report(client, db, IMMEDIATE_ANSWERS)
    due = timedelta(minutes=16)
    if first == "fallback":
        assert fall_back(app, redis_client, case, due) == Outcome.ALERTED
        assert escalate(app, redis_client, case, due) == "escalated"
    else:
        assert escalate(app, redis_client, case, due) == "escalated"
        assert fall_back(app, redis_client, case, due) == Outcome.ALERTED
    phones = [phone for phone, _ in alerts(db, app)]
    assert sorted(phones) == sorted([CASEWORKER_PHONE, SUPERVISOR_PHONE, duty_phone(app)])
    with db() as session:
        assert session.get(Case, case.id).status is CaseStatus.ESCALATED


def test_a_fallback_that_finds_nobody_is_an_error_and_the_case_stays_listed(
    app, client, db, runner, redis_client, caplog
):
    case = report(client, db, IMMEDIATE_ANSWERS)
    nobody = AlertFallback(roles=(Role.ADMIN,), duty_phone=None)
    with caplog.at_level(logging.ERROR, logger="kinga.fallback"):
        outcome = fall_back(app, redis_client, case, timedelta(minutes=16), alert_fallback=nobody)
    assert outcome == Outcome.NOBODY
    assert "reached nobody" in caplog.text
    assert alerts(db, app) == []
    with db() as session:
        assert session.get(Case, case.id).fallback_alerted_at is None
    listed = json.loads(runner.invoke(args=["cases", "list", "--json", "--unalerted"]).stdout)
    assert [row["reference"] for row in listed] == [format_reference(case.reference)]


def test_a_worker_runs_the_scheduled_check_and_the_duty_phone_alert_is_sent(
    app, client, db, redis_client, caplog
):
    """From the report to the duty phone: the scheduled job, made due as RQ's scheduler does,
    then the send, each run by a real worker."""
    case = report(client, db, IMMEDIATE_ANSWERS)
    urgent = Queue(URGENT, connection=redis_client, serializer=JSONSerializer)
    with db.begin() as session:
        found = session.get(Case, case.id)
        found.created_at -= timedelta(minutes=16)
        found.assign_by -= timedelta(minutes=16)
    registry = urgent.scheduled_job_registry
    job = Job.fetch(f"alert_fallback-{case.id}", connection=redis_client, serializer=JSONSerializer)
    registry.remove(job)
    urgent.enqueue_job(job)
    worker_context.install(app.extensions["kinga"].job_context([LogSender()]))
    try:
        with caplog.at_level(logging.DEBUG):
            for _ in range(2):  # the check, then the send it queued
                worker = SimpleWorker([urgent], connection=redis_client, serializer=JSONSerializer)
                worker.work(burst=True)
    finally:
        worker_context.uninstall()
    assert "fallback: case" in caplog.text and duty_phone(app)[1:] not in caplog.text
    done = Job.fetch(job.id, connection=redis_client, serializer=JSONSerializer)
    assert done.return_value() == Outcome.ALERTED
    vault = app.extensions["kinga"].vault
    with db() as session:
        (sent,) = session.scalars(select(Message).where(Message.purpose == MessagePurpose.ALERT))
        assert vault.decrypt(sent.phone_encrypted) == duty_phone(app)
        assert (sent.provider, sent.status.value) == ("log", "sent")
