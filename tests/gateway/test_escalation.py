"""An immediate case nobody acknowledges within 15 minutes is escalated to the on-call
supervisors, once; acknowledged or closed cases are left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer
from sms_client import Texter
from sqlalchemy import select, update
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
from case_store.models import Case, CaseEvent, Message, OutboxRow
from case_store.triage import TriagePolicy
from gateway.providers.log import LogSender
from workers.dispatch import sweep
from workers.escalation import Outcome, run_escalation
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


def escalate(app, db, redis_client, case: Case, after: timedelta) -> str:
    runtime = app.extensions["kinga"]
    return run_escalation(
        runtime.sessions,
        redis_client,
        runtime.vault,
        profile=runtime.profile,
        policy=runtime.triage,
        max_segments=runtime.settings.sms_max_segments,
        case_id=case.id,
        now=case.created_at + after,
    )


def status_and_events(db, case: Case) -> tuple[CaseStatus, list[str]]:
    with db() as session:
        found = session.get(Case, case.id)
        kinds = session.scalars(
            select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
        return found.status, list(kinds)


def test_the_escalation_is_scheduled_once_per_case_when_it_is_due(case, redis_client):
    urgent = Queue(URGENT, connection=redis_client, serializer=JSONSerializer)
    registry = urgent.scheduled_job_registry
    job_id = f"escalate_case-{case.id}"
    assert sorted(registry.get_job_ids()) == [f"alert_fallback-{case.id}", job_id]
    due = registry.get_scheduled_time(job_id)
    assert abs((due - (case.created_at + timedelta(minutes=15))).total_seconds()) < 1
    job = Job.fetch(job_id, connection=redis_client, serializer=JSONSerializer)
    assert job.kwargs["case_id"] == case.id


def test_an_unacknowledged_case_is_escalated_after_15_minutes(app, db, redis_client, case):
    assert escalate(app, db, redis_client, case, timedelta(minutes=10)) == Outcome.NOT_DUE
    assert [phone for phone, _ in alerts(db, app)] == [CASEWORKER_PHONE]

    assert escalate(app, db, redis_client, case, timedelta(minutes=16)) == Outcome.ESCALATED
    status, kinds = status_and_events(db, case)
    assert status is CaseStatus.ESCALATED and kinds == ["case_opened", "escalated"]
    (_caseworkers, (phone, text)) = alerts(db, app)
    assert phone == SUPERVISOR_PHONE
    assert text.startswith("Kinga: case ")
    assert " NOT acknowledged, level IMMEDIATE, Mombasa." in text
    assert "Kibera" not in text and "alone" not in text

    # A second run (a retry, a sweep) changes nothing and alerts nobody again.
    assert escalate(app, db, redis_client, case, timedelta(minutes=20)) == Outcome.ALREADY
    assert len(alerts(db, app)) == 2
    assert status_and_events(db, case)[1] == ["case_opened", "escalated"]


def test_an_acknowledged_case_is_not_escalated(app, client, db, redis_client, case):
    Texter(client, phone=CASEWORKER_PHONE).send(f"ACK {case.reference}")
    assert escalate(app, db, redis_client, case, timedelta(minutes=16)) == Outcome.ACKNOWLEDGED
    status, kinds = status_and_events(db, case)
    assert status is CaseStatus.OPEN and "escalated" not in kinds
    assert [phone for phone, _ in alerts(db, app)] == [CASEWORKER_PHONE]


def test_a_closed_case_is_not_escalated(app, client, db, redis_client, case):
    texter = Texter(client, phone=CASEWORKER_PHONE)
    texter.send(f"ACK {case.reference}")
    texter.send(f"CLOSE {case.reference} no_concern")
    assert escalate(app, db, redis_client, case, timedelta(minutes=16)) == Outcome.CLOSED


def test_the_escalate_within_figure_comes_from_the_policy(app, db, redis_client, case):
    runtime = app.extensions["kinga"]
    policy = TriagePolicy.from_mapping({**runtime.profile.triage, "escalate_within": "30m"})
    assert policy.escalate_within == timedelta(minutes=30)
    outcome = run_escalation(
        runtime.sessions,
        redis_client,
        runtime.vault,
        profile=runtime.profile,
        policy=policy,
        max_segments=4,
        case_id=case.id,
        now=case.created_at + timedelta(minutes=20),
    )
    assert outcome == Outcome.NOT_DUE


def test_a_worker_runs_the_escalation_and_sends_the_supervisors_alert(app, db, redis_client, case):
    """The scheduled job, made due (as RQ's scheduler does), run by a real worker."""
    runtime = app.extensions["kinga"]
    urgent = Queue(URGENT, connection=redis_client, serializer=JSONSerializer)
    worker_context.install(runtime.job_context([LogSender()]))
    try:
        SimpleWorker([urgent], connection=redis_client, serializer=JSONSerializer).work(burst=True)
        with db() as session:  # the caseworker's alert went; nobody acknowledged
            session.execute(
                Case.__table__.update()
                .where(Case.id == case.id)
                .values(created_at=case.created_at - timedelta(minutes=16))
            )
            session.commit()
        registry = urgent.scheduled_job_registry
        job_id = f"escalate_case-{case.id}"
        job = Job.fetch(job_id, connection=redis_client, serializer=JSONSerializer)
        registry.remove(job)
        urgent.enqueue_job(job)
        SimpleWorker([urgent], connection=redis_client, serializer=JSONSerializer).work(burst=True)
    finally:
        worker_context.uninstall()
    assert Job.fetch(job_id, connection=redis_client, serializer=JSONSerializer).return_value() == (
        Outcome.ESCALATED
    )
    with db() as session:
        sent = session.scalars(
            select(Message).where(Message.purpose == MessagePurpose.ALERT).order_by(Message.id)
        ).all()
        assert [(m.provider, m.status.value) for m in sent] == [("log", "sent"), ("log", "sent")]
    assert status_and_events(db, case)[0] is CaseStatus.ESCALATED


def test_the_sweeper_schedules_an_escalation_redis_never_got(db, redis_client, case):
    redis_client.flushdb()  # Redis lost everything after the commit
    with db.begin() as session:
        session.execute(update(OutboxRow).values(dispatched_at=None))
    assert sweep(db, redis_client, now=datetime.now(UTC) + timedelta(minutes=2)) == 3
    urgent = Queue(URGENT, connection=redis_client, serializer=JSONSerializer)
    assert sorted(urgent.scheduled_job_registry.get_job_ids()) == [
        f"alert_fallback-{case.id}",
        f"escalate_case-{case.id}",
    ]
    assert len(urgent) == 1  # the caseworker's alert
