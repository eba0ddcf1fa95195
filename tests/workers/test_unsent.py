"""The unsent-message sweep: the message log says what is unsent, RQ says which jobs are alive.

Jobs lost without a process being killed (the kills are in ``test_dead_workers``): a job popped
by a worker that died before registering it, and jobs Redis lost.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fakes import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN
from outbound_helpers import PHONE, load, mark_outbox, queue_message, run_scheduled_now, work
from rq import Queue
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from case_store.enums import MessagePurpose
from case_store.operations.messages import set_opt_out
from gateway.providers.twilio.sms import TwilioSender
from workers.queues import QUEUE_NAMES, URGENT, queue
from workers.unsent import Swept, job_alive, sweep

TWILIO_FROM = "+15005550006"
LATER = timedelta(minutes=2)


@pytest.fixture(autouse=True)
def offline(no_internet: list[str]) -> list[str]:
    return no_internet


@pytest.fixture
def twilio(install_jobs, fake_twilio):
    sender = TwilioSender(
        TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM, base_url=fake_twilio.base_url
    )
    install_jobs(sender)
    return sender


def _only_job(redis_client) -> Job:
    (job_id,) = [
        job_id
        for name in QUEUE_NAMES
        for job_id in queue(name, redis_client).get_job_ids()
        + queue(name, redis_client).scheduled_job_registry.get_job_ids()
    ]
    return Job.fetch(job_id, connection=redis_client, serializer=JSONSerializer)


def test_a_job_popped_by_a_worker_that_died_is_enqueued_again_and_sent_once(
    db, vault, redis_client, twilio, fake_twilio
) -> None:
    public_id = queue_message(db, vault, redis_client, purpose=MessagePurpose.ALERT)
    job = _only_job(redis_client)
    # What a worker on several queues does first (a plain pop), and then it dies.
    queues = [queue(name, redis_client) for name in QUEUE_NAMES]
    popped, _queue = Queue.dequeue_any(queues, None, connection=redis_client)
    assert popped.id == job.id and job.get_status() == JobStatus.QUEUED
    assert not job_alive(redis_client, job.id, now=datetime.now(UTC))

    mark_outbox(db, redis_client, datetime.now(UTC) + LATER)  # its job is in Redis: marked
    assert sweep(db, redis_client, now=datetime.now(UTC) + LATER) == Swept(1, 0)
    assert job_alive(redis_client, job.id, now=datetime.now(UTC))
    work(redis_client, QUEUE_NAMES)
    assert fake_twilio.sent == 1 and load(db, public_id).provider == "twilio"
    assert sweep(db, redis_client, now=datetime.now(UTC) + 2 * LATER) == Swept(0, 0)
    work(redis_client, QUEUE_NAMES)
    assert fake_twilio.sent == 1


def test_jobs_redis_lost_are_enqueued_again_with_their_arguments(
    db, vault, redis_client, twilio, fake_twilio
) -> None:
    """The STOP confirmation keeps its flag: the outbox row, not a guess, is re-enqueued."""
    with db.begin() as session:
        set_opt_out(session, vault, PHONE, True, now=datetime.now(UTC))
    public_id = queue_message(
        db, vault, redis_client, body="You will not get more messages.", opt_out_confirmation=True
    )
    redis_client.flushdb()
    mark_outbox(db, redis_client, datetime.now(UTC) + LATER)  # not in Redis: enqueued again
    assert sweep(db, redis_client, now=datetime.now(UTC) + LATER) == Swept(0, 0)
    work(redis_client, QUEUE_NAMES)
    assert fake_twilio.sent == 1 and load(db, public_id).provider_id is not None


def test_live_and_young_jobs_are_left_alone(db, vault, redis_client, twilio, fake_twilio) -> None:
    queue_message(db, vault, redis_client, purpose=MessagePurpose.ALERT)
    assert sweep(db, redis_client, now=datetime.now(UTC)) == Swept(0, 0)  # too young to look
    assert sweep(db, redis_client, now=datetime.now(UTC) + LATER) == Swept(0, 0)  # queued

    fake_twilio.fail_next("server_error")
    work(redis_client, QUEUE_NAMES)
    assert _only_job(redis_client).get_status() == JobStatus.SCHEDULED  # RQ retries it later
    assert sweep(db, redis_client, now=datetime.now(UTC) + LATER) == Swept(0, 0)
    run_scheduled_now(redis_client, URGENT)
    work(redis_client, QUEUE_NAMES)
    assert fake_twilio.sent == 1


def test_the_sweep_runs_every_minute_on_the_urgent_queue(redis_client) -> None:
    from workers import cron
    from workers.unsent import sweep_unsent

    (job,) = [j for j in cron.build_scheduler(redis_client).get_jobs() if j.name == "unsent_sweep"]
    assert job.cron == "* * * * *" and job.func is sweep_unsent and job.queue_name == URGENT
