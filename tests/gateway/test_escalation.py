"""An immediate case nobody acknowledges within 15 minutes is escalated to the on-call
supervisors by the deadline sweep, once; acknowledged or closed cases are left alone; the sweep
runs on the schedule, and needs nothing in Redis to find what is due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sms_client import Texter
from sqlalchemy import select
from staff import (
    CASEWORKER_PHONE,
    MOMBASA,
    SUPERVISOR_PHONE,
    add_staff,
    alerts,
)
from ussd_client import IMMEDIATE_ANSWERS as IMMEDIATE
from ussd_client import Caller

import workers.context as worker_context
from case_store.enums import CaseStatus, MessagePurpose, RiskLevel
from case_store.models import Case, CaseEvent, Message
from case_store.triage import TriagePolicy
from gateway.providers.log import LogSender
from workers import cron
from workers.deadlines import run_deadline_sweep, sweep_deadlines
from workers.queues import URGENT


@pytest.fixture
def case(app, client, db) -> Case:
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE, on_call=True)
    assert Caller(client).report(IMMEDIATE).startswith("END Thank you")
    with db() as session:
        opened = session.scalars(select(Case)).one()
    assert opened.risk_level is RiskLevel.IMMEDIATE
    return opened


def sweep(app, redis_client, case: Case, after: timedelta, policy=None) -> int:
    runtime = app.extensions["kinga"]
    return run_deadline_sweep(
        runtime.sessions,
        redis_client,
        runtime.vault,
        profile=runtime.profile,
        policy=policy or runtime.triage,
        max_segments=runtime.settings.sms_max_segments,
        now=case.created_at + after,
    )


def status_and_events(db, case: Case) -> tuple[CaseStatus, list[str]]:
    with db() as session:
        found = session.get(Case, case.id)
        kinds = session.scalars(
            select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
        return found.status, [kind.value for kind in kinds]


def supervisors_told(db, app) -> list[str]:
    return [text for phone, text in alerts(db, app) if phone == SUPERVISOR_PHONE]


def test_an_unacknowledged_case_is_escalated_after_15_minutes(app, db, redis_client, case):
    sweep(app, redis_client, case, timedelta(minutes=10))
    assert [phone for phone, _ in alerts(db, app)] == [CASEWORKER_PHONE]
    assert status_and_events(db, case)[0] is CaseStatus.OPEN

    sweep(app, redis_client, case, timedelta(minutes=16))
    status, kinds = status_and_events(db, case)
    assert status is CaseStatus.ESCALATED
    assert kinds == ["case_opened", "reminded", "escalated", "fallback_alerted"]
    (text,) = supervisors_told(db, app)
    assert text.startswith("Kinga: case ")
    assert " NOT acknowledged, level IMMEDIATE, Mombasa." in text
    assert "Kibera" not in text and "alone" not in text

    # A second run (a retry, another worker's sweep) changes nothing and tells nobody again.
    told = alerts(db, app)
    assert sweep(app, redis_client, case, timedelta(minutes=20)) == 0
    assert alerts(db, app) == told
    assert status_and_events(db, case)[1] == kinds


def test_an_acknowledged_case_is_not_escalated(app, client, db, redis_client, case):
    Texter(client, phone=CASEWORKER_PHONE).send(f"ACK {case.reference}")
    sweep(app, redis_client, case, timedelta(minutes=16))
    status, kinds = status_and_events(db, case)
    assert status is CaseStatus.OPEN and "escalated" not in kinds
    assert [phone for phone, _ in alerts(db, app)] == [CASEWORKER_PHONE]


def test_a_closed_case_is_not_escalated(app, client, db, redis_client, case):
    texter = Texter(client, phone=CASEWORKER_PHONE)
    texter.send(f"ACK {case.reference}")
    texter.send(f"CLOSE {case.reference} no_concern")
    assert sweep(app, redis_client, case, timedelta(minutes=16)) == 0
    assert status_and_events(db, case)[0] is CaseStatus.CLOSED


def test_the_escalate_within_figure_comes_from_the_policy(app, db, redis_client, case):
    runtime = app.extensions["kinga"]
    policy = TriagePolicy.from_mapping({**runtime.profile.triage, "escalate_within": "30m"})
    assert policy.escalate_within == timedelta(minutes=30)
    sweep(app, redis_client, case, timedelta(minutes=20), policy=policy)
    assert supervisors_told(db, app) == []
    sweep(app, redis_client, case, timedelta(minutes=31), policy=policy)
    assert len(supervisors_told(db, app)) == 1


def test_the_schedule_runs_the_deadline_sweep_every_minute(redis_client):
    (job,) = [j for j in cron.build_scheduler(redis_client).get_jobs() if j.name == "deadlines"]
    assert (job.cron, job.queue_name, job.func) == ("* * * * *", URGENT, sweep_deadlines)


def test_a_worker_runs_the_sweep_and_sends_the_supervisors_alert(app, db, redis_client, case):
    """The schedule's job, enqueued as the cron does, run by a real worker with the sends it
    queues; the case opened 16 minutes ago."""
    runtime = app.extensions["kinga"]
    with db.begin() as session:
        found = session.get(Case, case.id)
        found.created_at -= timedelta(minutes=16)
        found.assign_by -= timedelta(minutes=16)
        found.first_contact_by -= timedelta(minutes=16)
    (job,) = [j for j in cron.build_scheduler(redis_client).get_jobs() if j.name == "deadlines"]
    urgent = Queue(URGENT, connection=redis_client, serializer=JSONSerializer)
    worker_context.install(runtime.job_context([LogSender()]))
    try:
        sweep_job = job.enqueue(redis_client)
        SimpleWorker([urgent], connection=redis_client, serializer=JSONSerializer).work(burst=True)
    finally:
        worker_context.uninstall()
    assert sweep_job is not None and sweep_job.return_value() == 2  # supervisor, duty phone
    with db() as session:
        sent = session.scalars(
            select(Message).where(Message.purpose == MessagePurpose.ALERT).order_by(Message.id)
        ).all()
        assert [(m.provider, m.status.value) for m in sent] == [("log", "sent")] * 3
    assert status_and_events(db, case)[0] is CaseStatus.ESCALATED


def test_a_case_redis_never_heard_of_is_escalated_all_the_same(app, db, redis_client, case):
    redis_client.flushdb()  # Redis lost everything after the commit
    sweep(app, redis_client, case, timedelta(minutes=16))
    assert len(supervisors_told(db, app)) == 1
    assert status_and_events(db, case)[0] is CaseStatus.ESCALATED
