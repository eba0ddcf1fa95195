"""The periodic schedule, run by ``kinga worker`` next to the RQ worker.

rq 3's ``CronScheduler`` runs its own blocking loop (``start``, which installs signal handlers
and so must own the main thread), and its ``CronJob`` enqueues with RQ's default pickle
serializer. Kinga's queues use JSON, and the worker owns the main thread, so the same loop
runs here in a daemon thread with jobs enqueued as JSON.

Several workers each run a schedule; a Redis lock per job and slot makes the first one
enqueue and the others skip, so a daily job runs once a day however many workers there are.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import redis
from rq import Queue, cron_job_registry
from rq.cron import CronJob, CronScheduler
from rq.defaults import DEFAULT_CRON_JOB_HISTORY_LIMIT, DEFAULT_CRON_JOB_HISTORY_TTL
from rq.job import Job
from rq.serializers import JSONSerializer

from workers import deadlines, follow_ups, pending_alerts, referrals
from workers.dispatch import SWEEP_JOB_TIMEOUT, SWEEP_QUEUE, sweep_outbox
from workers.queues import SLOW, URGENT
from workers.retention import JOB_TIMEOUT, purge_expired
from workers.unsent import SWEEP_JOB_TIMEOUT as UNSENT_SWEEP_JOB_TIMEOUT
from workers.unsent import sweep_unsent

log = logging.getLogger("kinga.cron")

EVERY_MINUTE = "* * * * *"
# Every periodic job: (name, queue, function, cron, timeout in seconds). Cron fields are in the
# worker host's local time (croniter, as rq uses it).
SCHEDULE: tuple[tuple[str, str, Callable[..., Any], str, int], ...] = (
    # Daily at 03:17, away from the top of the hour.
    ("retention", SLOW, purge_expired, "17 3 * * *", JOB_TIMEOUT),
    # Outbox rows left undispatched by a crash.
    ("outbox_sweep", SWEEP_QUEUE, sweep_outbox, EVERY_MINUTE, SWEEP_JOB_TIMEOUT),
    # Alerts waiting for someone to come on call.
    (
        "pending_alerts",
        pending_alerts.JOB_QUEUE,
        pending_alerts.send_pending_alerts,
        EVERY_MINUTE,
        pending_alerts.JOB_TIMEOUT,
    ),
    # Messages whose send job died; urgent: it rescues alerts, not behind a backlog of replies.
    ("unsent_sweep", URGENT, sweep_unsent, EVERY_MINUTE, UNSENT_SWEEP_JOB_TIMEOUT),
    # Referrals whose answer is late.
    (
        "referral_sweep",
        referrals.JOB_QUEUE,
        referrals.sweep_referrals,
        EVERY_MINUTE,
        referrals.JOB_TIMEOUT,
    ),
    # Reporters owed a follow-up SMS.
    (
        "follow_ups",
        follow_ups.JOB_QUEUE,
        follow_ups.send_follow_ups,
        EVERY_MINUTE,
        follow_ups.JOB_TIMEOUT,
    ),
    # Reminders, escalations and fallbacks due.
    (
        "deadlines",
        deadlines.JOB_QUEUE,
        deadlines.sweep_deadlines,
        EVERY_MINUTE,
        deadlines.JOB_TIMEOUT,
    ),
)
SLOT_LOCK_TTL = 24 * 3600
MAX_SLEEP = 60.0


class JsonCronJob(CronJob):
    """A cron job enqueued with the JSON serializer, once per slot across all workers."""

    def enqueue(self, connection: redis.Redis[bytes]) -> Job | None:  # type: ignore[override]
        slot = self.next_enqueue_time.isoformat() if self.next_enqueue_time else "now"
        lock = f"kinga:cron:{self.name}:{slot}"
        if not connection.set(lock, "1", nx=True, ex=SLOT_LOCK_TTL):
            log.info("cron %s for %s already enqueued by another worker", self.name, slot)
            return None
        if self.func is None:
            raise ValueError(f"cron job {self.name} has no function")
        queue = Queue(self.queue_name, connection=connection, serializer=JSONSerializer)
        with connection.pipeline() as pipeline:
            job = queue.enqueue(
                self.func, args=self.args, kwargs=self.kwargs, **self.job_options, pipeline=pipeline
            )
            assert job.enqueued_at is not None
            stamp = job.enqueued_at.timestamp()
            pipeline.zadd(self.job_history_key, {job.id: stamp})
            pipeline.zremrangebyrank(self.job_history_key, 0, -(DEFAULT_CRON_JOB_HISTORY_LIMIT + 1))
            pipeline.expire(self.job_history_key, DEFAULT_CRON_JOB_HISTORY_TTL)
            cron_job_registry.add(self.name, pipeline, enqueue_timestamp=stamp)
            pipeline.execute()
        log.info("cron %s enqueued on %s", self.name, self.queue_name)
        return job


class KingaCronScheduler(CronScheduler):
    def add(self, cron_job: CronJob) -> CronJob:
        """Schedule an already built job (``register`` would build a pickling ``CronJob``)."""
        self._cron_jobs.append(cron_job)
        return cron_job


def build_scheduler(connection: redis.Redis[bytes]) -> KingaCronScheduler:
    """Every periodic job Kinga runs."""
    scheduler = KingaCronScheduler(connection)
    for name, queue_name, func, cron, timeout in SCHEDULE:
        scheduler.add(JsonCronJob(queue_name, func=func, cron=cron, job_timeout=timeout, name=name))
    return scheduler


def tick(scheduler: CronScheduler) -> float:
    """Enqueue what is due, keep the scheduler's registration fresh; seconds to the next."""
    if scheduler.enqueue_jobs():
        scheduler.save()
    scheduler.heartbeat()
    return min(MAX_SLEEP, max(1.0, scheduler.calculate_sleep_interval()))


def start_in_thread(connection: redis.Redis[bytes]) -> tuple[threading.Thread, threading.Event]:
    """Run the schedule in a daemon thread until the returned event is set."""
    scheduler = build_scheduler(connection)
    stop = threading.Event()

    def loop() -> None:
        scheduler.register_birth()
        try:
            while not stop.is_set():
                try:
                    delay = tick(scheduler)
                except Exception:  # the thread must outlive any one tick: nothing restarts it
                    log.exception("cron tick failed; retrying")
                    delay = MAX_SLEEP
                stop.wait(delay)
        finally:
            try:
                scheduler.register_death()
            except redis.RedisError:
                log.warning("cron scheduler could not unregister")

    thread = threading.Thread(target=loop, name="kinga-cron", daemon=True)
    thread.start()
    return thread, stop
