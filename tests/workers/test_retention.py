"""The daily retention job and the schedule that runs it, on a clock moved forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis
from rq import Queue, SimpleWorker
from rq.cron import CronScheduler
from rq.serializers import JSONSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from case_store.crypto import Vault
from case_store.enums import ClosureReason, MaintenanceKind, Role
from case_store.models import Case, MaintenanceRun, Message, User
from case_store.operations import close, open_case
from case_store.operations.messages import record_inbound
from case_store.report_contract import Report
from gateway.config.settings import Settings
from workers import cron
from workers.context import JobContext
from workers.queues import SLOW
from workers.retention import purge_expired

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
PHONE = "+254712345321"


def _seed(db: sessionmaker[Session], settings: Settings) -> str:
    vault = Vault(settings.encryption_keys, settings.phone_hash_key)
    with db.begin() as session:
        supervisor = User(
            username="sup", role=Role.SUPERVISOR, areas=[], languages=["en"], created_at=NOW
        )
        session.add(supervisor)
        report = Report(
            channel="ussd",
            provider="africastalking",
            external_id="ATUid_retention",
            phone=PHONE,
            language="en",
            answers={
                "danger": "no",
                "category": "neglect",
                "age_band": "5_11",
                "sex": "girl",
                "area": "047",
                "relationship": "community",
                "narrative": "Left alone at night.",
                "callback": "yes",
                "callback_time": "evening",
            },
            started_at=NOW,
        )
        case = open_case(session, vault, report, now=NOW)
        close(session, case, ClosureReason.RESOLVED, actor=supervisor, now=NOW)
        record_inbound(
            session,
            vault,
            provider="twilio",
            provider_id="SM1",
            phone=PHONE,
            body="hello",
            received_at=NOW,
        )
        return case.reference


def test_the_job_blanks_what_expired_and_records_the_run(
    db: sessionmaker[Session], settings: Settings, job_context: JobContext
) -> None:
    reference = _seed(db, settings)
    assert purge_expired(now=(NOW + timedelta(days=1)).isoformat())["message_body"] == 0
    counts = purge_expired(now=(NOW + timedelta(days=100)).isoformat())
    assert counts == {"narrative": 0, "reporter_phone": 1, "message_body": 1, "message_phone": 1}
    with db() as session:
        message = session.scalars(select(Message)).one()
        assert message.body_encrypted is None
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        assert case.narrative_encrypted is not None  # five years, not a hundred days
        runs = session.scalars(
            select(MaintenanceRun).where(MaintenanceRun.kind == MaintenanceKind.RETENTION_PURGE)
        ).all()
        assert len(runs) == 2 and runs[-1].progress["periods"]["message_body"] == "30d"


def test_the_job_refuses_a_naive_time(job_context: JobContext) -> None:
    with pytest.raises(ValueError, match="time zone"):
        purge_expired(now="2030-01-01T00:00:00")


def test_the_schedule_enqueues_retention_once_per_slot_as_json(
    db: sessionmaker[Session],
    settings: Settings,
    job_context: JobContext,
    redis_client: redis.Redis,
) -> None:
    _seed(db, settings)
    first, second = cron.build_scheduler(redis_client), cron.build_scheduler(redis_client)
    (job,) = [j for j in first.get_jobs() if j.name == "retention"]
    assert (job.name, job.cron, job.queue_name) == ("retention", "17 3 * * *", SLOW)
    assert job.func is purge_expired and job.job_options["job_timeout"] == 3600
    slot = datetime.now(UTC) - timedelta(seconds=1)
    for scheduler in (first, second):  # two workers, both see the slot come due
        for scheduled in scheduler.get_jobs():
            scheduled.next_enqueue_time = None
        next(j for j in scheduler.get_jobs() if j.name == "retention").next_enqueue_time = slot
        assert cron.tick(scheduler) >= 1.0
    slow = Queue(SLOW, connection=redis_client, serializer=JSONSerializer)
    assert slow.count == 1
    next_slot = next(j for j in first.get_jobs() if j.name == "retention").next_enqueue_time
    assert next_slot is not None and next_slot > slot

    worker = SimpleWorker([slow], connection=redis_client, serializer=JSONSerializer)
    assert worker.work(burst=True)
    with db() as session:
        run = session.scalars(select(MaintenanceRun)).one()
        assert run.kind is MaintenanceKind.RETENTION_PURGE


def test_the_schedule_thread_registers_and_stops(redis_client: redis.Redis) -> None:
    thread, stop = cron.start_in_thread(redis_client)
    try:
        for _ in range(50):
            if CronScheduler.all(redis_client):
                break
            stop.wait(0.05)
        (scheduler,) = CronScheduler.all(redis_client)
        assert [j.name for j in scheduler.get_jobs()] == [
            "retention",
            "outbox_sweep",
            "pending_alerts",
            "unsent_sweep",
            "referral_sweep",
            "follow_ups",
            "deadlines",
        ]
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert CronScheduler.all(redis_client) == []


def test_the_schedule_thread_outlives_a_tick_that_fails(
    redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing would restart it: a bug in one tick must not end every later sweep."""
    ticks: list[str] = []
    real = cron.tick

    def flaky(scheduler: CronScheduler) -> float:
        if not ticks:
            ticks.append("failed")
            raise ValueError("a cron job without a function")
        ticks.append("ran")
        real(scheduler)
        return 0.01

    monkeypatch.setattr(cron, "tick", flaky)
    monkeypatch.setattr(cron, "MAX_SLEEP", 0.01)
    thread, stop = cron.start_in_thread(redis_client)
    try:
        for _ in range(100):
            if "ran" in ticks:
                break
            stop.wait(0.05)
        assert ticks[:2] == ["failed", "ran"] and thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=5)
