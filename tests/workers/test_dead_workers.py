"""A dead worker loses no alert, and no alert reaches the provider twice.

A real ``kinga worker`` process (its RQ work horse, its scheduler) sends through the fake
Twilio, and is SIGKILLed at a chosen step of a send: the job process alone, or the worker with
everything under it. Then RQ's retry, the unsent-message sweep and a new worker finish the
work. Every alert reaches the provider exactly once; one the provider may have is left "maybe
sent" for review, and nothing sends it again.

The steps are the two states a send can die in. Before the provider call (here: waiting for a
rate-limit slot, the one place a send waits) nothing is held, so the alert is sent again.
Once the provider has accepted it but the job has not recorded that, the send claim is held,
so nothing sends it again and the sweep marks it "maybe sent". The claim is taken just before
the request goes out, so a job killed between the two lands in the second state: reviewed,
never sent twice. A job lost before it started is in ``test_unsent``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN
from outbound_helpers import PHONE, load, mark_outbox, queue_message, run_scheduled_now, work
from processes import alive, child_env, children, wait_until
from rq import Worker
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from case_store.enums import MessagePurpose
from case_store.operations.outbox import outbox_job_id
from case_store.queries.messages import find_message
from gateway.providers.twilio.sms import TwilioSender
from workers.queues import QUEUE_NAMES, URGENT
from workers.sms.rate_limit import KEY_PREFIX
from workers.sms.send_job import MAYBE_SENT
from workers.unsent import Swept, job_alive, sweep

TWILIO_FROM = "+15005550006"
LATER = timedelta(minutes=10)  # past any RQ heartbeat: the sweep's clock once workers died
STEPS = ("rate_limited", "after_accepted")
KILLS = ("job", "worker")


@dataclass
class WorkerProcess:
    """``kinga worker`` in a session of its own (so its whole process group can be killed)."""

    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def installed(install_jobs, fake_twilio) -> None:
    """The job context of the "new worker" this test process runs after the kill."""
    twilio = TwilioSender(
        TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM, base_url=fake_twilio.base_url
    )
    install_jobs(twilio, sms_rates={"twilio": 1000.0})


@pytest.fixture
def kinga_worker(settings, db, redis_client, fake_twilio, tmp_path) -> Iterator[WorkerProcess]:
    env = child_env()
    env.update(
        KINGA_ENV="test",
        KINGA_VAR_DIR=str(tmp_path / "var"),
        KINGA_DATABASE_URL=settings.database_url,
        KINGA_REDIS_URL=settings.redis_url,
        KINGA_SECRET_KEY=settings.secret_key,
        KINGA_ENCRYPTION_KEYS=",".join(settings.encryption_keys),
        KINGA_PHONE_HASH_KEY=settings.phone_hash_key,
        KINGA_AT_WEBHOOK_KEY=settings.at_webhook_key,
        KINGA_PUBLIC_URL=settings.public_url,
        KINGA_SMS_PROVIDERS="twilio",
        KINGA_TWILIO_ACCOUNT_SID=TWILIO_ACCOUNT_SID,
        KINGA_TWILIO_AUTH_TOKEN=TWILIO_AUTH_TOKEN,
        KINGA_TWILIO_FROM=TWILIO_FROM,
        KINGA_TWILIO_API_URL=fake_twilio.base_url,
        KINGA_SMS_RATE_TWILIO="1000",
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "worker"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = WorkerProcess(process, log)
    try:
        # Ready once registered and idle, with its scheduler process forked.
        wait_until(
            lambda: (
                any(
                    w.pid == process.pid and w.get_state() == "idle"
                    for w in Worker.all(connection=redis_client)
                )
                and children(process.pid)
            ),
            "the worker to start",
        )
        yield worker
    finally:
        worker.stop()


def _status(redis_client, job_id: str) -> JobStatus:
    return Job.fetch(job_id, connection=redis_client, serializer=JSONSerializer).get_status()


class Step:
    """Holds a send at one step: the job cannot go past it until ``release``."""

    def __init__(self, name: str, redis_client, fake_twilio) -> None:
        self.name, self.redis, self.fake = name, redis_client, fake_twilio
        self.far = str((time.time() + 3600) * 1000)  # the next free rate-limit slot: in an hour

    def arm(self) -> None:
        if self.name == "rate_limited":
            self.redis.set(KEY_PREFIX + "twilio", self.far)
        else:
            self.fake.fail_next("held")

    def reached(self) -> bool:
        if self.name == "rate_limited":  # the job reserved its (far) slot and sleeps
            return self.redis.get(KEY_PREFIX + "twilio") != self.far.encode()
        return self.fake.sent == 1

    def release(self) -> None:
        self.redis.delete(KEY_PREFIX + "twilio")
        self.fake.release()


def _kill(kinga_worker: WorkerProcess, kill: str, horse: int) -> None:
    if kill == "job":
        os.kill(horse, signal.SIGKILL)
        wait_until(lambda: not alive(horse), "the job process to die")
    else:
        os.killpg(kinga_worker.pid, signal.SIGKILL)
        kinga_worker.process.wait()
        wait_until(lambda: not alive(horse), "the job process to die with its worker")


def _job_id(db, public_id: str) -> str:
    with db() as session:
        message = find_message(session, public_id=public_id)
        assert message is not None and message.outbox is not None
        return outbox_job_id(message.outbox)


@pytest.mark.parametrize("kill", KILLS)
@pytest.mark.parametrize("step", STEPS)
def test_an_alert_survives_a_kill_at_each_step_and_goes_out_exactly_once(
    step, kill, db, vault, redis_client, fake_twilio, kinga_worker, installed
) -> None:
    scheduler = children(kinga_worker.pid)
    held = Step(step, redis_client, fake_twilio)
    held.arm()
    public_id = queue_message(db, vault, redis_client, purpose=MessagePurpose.ALERT)
    job_id = _job_id(db, public_id)

    wait_until(held.reached, f"the send to reach {step}")
    # A job that is alive is left alone by the sweep.
    assert sweep(db, redis_client, now=datetime.now(UTC), age=0) == Swept(0, 0)
    (horse,) = wait_until(lambda: children(kinga_worker.pid) - scheduler, "the job process")
    _kill(kinga_worker, kill, horse)
    held.release()

    if kill == "job":  # the worker saw its job process die: RQ retries the job (when due)
        wait_until(lambda: _status(redis_client, job_id) != JobStatus.STARTED, "RQ's retry")
        run_scheduled_now(redis_client, URGENT)
        wait_until(lambda: _status(redis_client, job_id) == JobStatus.FINISHED, "the retry to run")
    else:  # nobody saw it: the sweep (RQ's cleanup of dead workers' jobs) and a new worker
        assert not job_alive(redis_client, job_id, now=datetime.now(UTC) + LATER)
        mark_outbox(db, redis_client, datetime.now(UTC) + LATER)
        sweep(db, redis_client, now=datetime.now(UTC) + LATER)
        run_scheduled_now(redis_client, URGENT)
        work(redis_client, QUEUE_NAMES)
    mark_outbox(db, redis_client, datetime.now(UTC) + LATER)
    sweep(db, redis_client, now=datetime.now(UTC) + LATER)  # settles a claim left by the kill

    message = load(db, public_id)
    assert fake_twilio.sent == 1
    assert message.claimed_at is None and message.attempts == 1
    if step == "after_accepted":  # the provider has it, but Kinga never learned its id
        assert (message.status.value, message.provider_id) == ("sending", None)
        assert message.last_error.startswith(MAYBE_SENT)
    else:
        assert (message.status.value, message.provider) == ("queued", "twilio")
        assert message.provider_id is not None and message.last_error is None
    # Nothing sends it again: not another sweep, not another worker.
    assert sweep(db, redis_client, now=datetime.now(UTC) + 2 * LATER) == Swept(0, 0)
    work(redis_client, QUEUE_NAMES)
    assert fake_twilio.sent == 1 and len(fake_twilio.requests) == 1
    assert PHONE not in kinga_worker.output() and PHONE[1:] not in kinga_worker.output()
