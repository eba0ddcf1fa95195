"""Per-provider rate limits (messages per second, shared through Redis) and the outbox
sweeper that enqueues what a crash left undispatched."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta

import pytest
from outbound_helpers import send_queue
from sqlalchemy import select, update

from case_store.crypto import Vault
from case_store.enums import MessagePurpose
from case_store.models import OutboxRow
from gateway.channels.sms.intake import queue_sms
from gateway.config.settings import Settings, SettingsError
from workers.dispatch import sweep
from workers.sms.rate_limit import SendRateLimiter


def test_slots_are_spaced_by_the_rate_across_limiters(redis_client) -> None:
    first = SendRateLimiter(redis_client, {"twilio": 10.0})
    second = SendRateLimiter(redis_client, {"twilio": 10.0})  # another worker
    waits = [limiter.reserve("twilio") for limiter in (first, second, first, second)]
    assert waits[0] == 0.0
    for previous, current in itertools.pairwise(waits):
        assert current - previous == pytest.approx(0.1, abs=0.02)


def test_providers_are_limited_separately_and_unlimited_by_default(redis_client) -> None:
    limiter = SendRateLimiter(redis_client, {"twilio": 1.0})
    assert limiter.reserve("twilio") == 0.0
    assert limiter.reserve("africastalking") == 0.0
    assert limiter.reserve("africastalking") == 0.0
    assert limiter.reserve("twilio") == pytest.approx(1.0, abs=0.05)


def test_wait_for_slot_sleeps_for_the_reserved_wait(redis_client) -> None:
    slept: list[float] = []
    limiter = SendRateLimiter(redis_client, {"log": 50.0}, sleep=slept.append)
    for _ in range(3):
        limiter.wait_for_slot("log")
    assert slept == [pytest.approx(0.02, abs=0.01), pytest.approx(0.04, abs=0.01)]


def test_a_quiet_spell_resets_the_bucket(redis_client) -> None:
    limiter = SendRateLimiter(redis_client, {"twilio": 20.0})
    limiter.reserve("twilio")
    time.sleep(0.06)
    assert limiter.reserve("twilio") == 0.0


def test_rates_come_from_settings_per_provider(tmp_path) -> None:
    settings = Settings.from_env(
        {"KINGA_VAR_DIR": str(tmp_path), "KINGA_SMS_RATE_TWILIO": "5", "KINGA_SMS_RATE_LOG": "0.5"}
    )
    assert settings.sms_rates == {"twilio": 5.0, "log": 0.5}
    for bad in ("0", "-1", "fast", "inf"):
        with pytest.raises(SettingsError, match="KINGA_SMS_RATE_TWILIO"):
            Settings.from_env({"KINGA_VAR_DIR": str(tmp_path), "KINGA_SMS_RATE_TWILIO": bad})


def test_sms_settings_are_checked(tmp_path) -> None:
    base = {"KINGA_VAR_DIR": str(tmp_path)}
    settings = Settings.from_env({**base, "KINGA_AT_SENDER_ID": "KINGA"})
    assert (settings.at_sender_id, settings.sms_max_segments, settings.sms_session_ttl) == (
        "KINGA",
        4,
        86400,
    )
    with pytest.raises(SettingsError, match="KINGA_SMS_MAX_SEGMENTS"):
        Settings.from_env({**base, "KINGA_SMS_MAX_SEGMENTS": "0"})
    with pytest.raises(SettingsError, match="KINGA_SMS_SESSION_TTL"):
        Settings.from_env({**base, "KINGA_SMS_SESSION_TTL": "soon"})


def _queue_without_dispatch(db, settings) -> int:
    vault = Vault(settings.encryption_keys, settings.phone_hash_key)
    with db.begin() as session:
        _message, row = queue_sms(
            session,
            vault,
            phone="+254712345321",
            text="Hello",
            max_segments=4,
            purpose=MessagePurpose.REPLY,
            now=datetime.now(UTC),
        )
    return row.id


def test_the_sweeper_enqueues_rows_a_crash_left_behind(db, settings, redis_client) -> None:
    row_id = _queue_without_dispatch(db, settings)  # committed, then the process died
    now = datetime.now(UTC)
    assert sweep(db, redis_client, now=now) == 0  # too young: its request may still dispatch it
    assert sweep(db, redis_client, now=now + timedelta(seconds=61)) == 1
    assert send_queue(redis_client).get_job_ids() == [f"outbox-{row_id}"]
    with db() as session:
        assert session.scalars(select(OutboxRow)).one().dispatched_at is not None
    assert sweep(db, redis_client, now=now + timedelta(seconds=120)) == 0


def test_the_sweeper_does_not_enqueue_a_job_already_in_redis(db, settings, redis_client) -> None:
    from workers.dispatch import enqueue_row

    row_id = _queue_without_dispatch(db, settings)
    with db() as session:
        row = session.get(OutboxRow, row_id)
        enqueue_row(redis_client, row.job, dict(row.args), f"outbox-{row_id}")
    with db.begin() as session:  # enqueued, but the mark was lost
        session.execute(update(OutboxRow).values(dispatched_at=None))
    assert sweep(db, redis_client, now=datetime.now(UTC) + timedelta(minutes=2)) == 0
    assert send_queue(redis_client).count == 1
    with db() as session:
        assert session.get(OutboxRow, row_id).dispatched_at is not None


def test_the_sweeper_marks_every_row_batch_after_batch_and_enqueues_only_the_lost(
    db, settings, redis_client
) -> None:
    """Requests enqueue and write nothing more; the sweeper marks what Redis holds, in one
    round trip and one statement per batch, and enqueues what it does not hold."""
    from workers.dispatch import enqueue_row

    row_ids = [_queue_without_dispatch(db, settings) for _ in range(5)]
    with db() as session:
        for row_id in row_ids[::2]:  # these three were enqueued by their requests
            row = session.get(OutboxRow, row_id)
            enqueue_row(redis_client, row.job, dict(row.args), f"outbox-{row_id}")
    later = datetime.now(UTC) + timedelta(minutes=2)
    assert sweep(db, redis_client, now=later, batch=2) == 2
    assert sorted(send_queue(redis_client).get_job_ids()) == sorted(f"outbox-{n}" for n in row_ids)
    with db() as session:
        assert all(row.dispatched_at is not None for row in session.scalars(select(OutboxRow)))
    assert sweep(db, redis_client, now=later, batch=2) == 0


def test_the_sweeper_runs_every_minute_on_the_schedule(redis_client) -> None:
    from workers import cron
    from workers.dispatch import sweep_outbox

    (job,) = [j for j in cron.build_scheduler(redis_client).get_jobs() if j.name == "outbox_sweep"]
    assert job.cron == "* * * * *" and job.func is sweep_outbox
