"""Send jobs against the fake Twilio and Africa's Talking servers, run by a real RQ
``SimpleWorker`` in burst mode: success, retries, failover, idempotency, opt-outs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from fakes import (
    AT_API_KEY,
    AT_USERNAME,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
)
from outbound_helpers import (
    BODY,
    PHONE,
    attempts,
    jobs_for,
    load,
    queue_message,
    run_scheduled_now,
    scheduled_in,
    send_queue,
    work,
)
from rq.job import JobStatus
from sqlalchemy import select

import workers.context as worker_context
from case_store.enums import MessagePurpose
from case_store.models import Message, MessageEvent
from case_store.operations.messages import claim_send, set_opt_out
from case_store.queries.messages import is_opted_out
from gateway.providers.africastalking.sms import AfricasTalkingSender
from gateway.providers.twilio.sms import TwilioSender
from workers.queues import DEFAULT, URGENT
from workers.sms.provider_api import OutboundSms, SendResult, TemporaryFailure
from workers.sms.send_job import RETRY_INTERVALS, Outcome

TWILIO_FROM = "+15005550006"


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(autouse=True)
def offline(no_internet: list[str]) -> list[str]:
    return no_internet


@pytest.fixture
def twilio(fake_twilio) -> TwilioSender:
    return TwilioSender(
        TWILIO_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN,
        TWILIO_FROM,
        base_url=fake_twilio.base_url,
        public_url="https://kinga.example.org",
        timeout=1,
    )


@pytest.fixture
def africastalking(fake_africastalking) -> AfricasTalkingSender:
    return AfricasTalkingSender(
        AT_USERNAME,
        AT_API_KEY,
        "KINGA",
        base_url=f"{fake_africastalking.base_url}/version1",
        timeout=1,
    )


@pytest.fixture
def install(install_jobs):
    """Install senders (in failover order) as ``kinga worker`` does; removed after the test."""
    return install_jobs


def test_a_message_is_sent_once_with_our_id_in_the_callback_url(
    db,
    vault,
    redis_client,
    install,
    twilio,
    fake_twilio,
) -> None:
    install(twilio)
    public_id = queue_message(db, vault, redis_client)
    work(redis_client)

    (request,) = fake_twilio.requests
    assert request.field("To") == PHONE and request.field("Body") == BODY
    assert request.field("StatusCallback") == (
        f"https://kinga.example.org/sms/twilio/status?id={public_id}"
    )
    message = load(db, public_id)
    assert (message.provider, message.status.value, message.attempts) == ("twilio", "queued", 1)
    assert message.provider_id is not None and message.provider_id.startswith("SM")
    (job,) = jobs_for(redis_client)
    assert job.get_status() == JobStatus.FINISHED and job.return_value() == Outcome.SENT
    assert job.timeout is not None and job.timeout > 0
    assert job.retries_left == len(RETRY_INTERVALS)


@pytest.mark.parametrize("failure", ["rate_limited", "server_error"])
def test_a_temporary_failure_is_retried_later_then_sent(
    db,
    vault,
    redis_client,
    install,
    twilio,
    fake_twilio,
    failure,
) -> None:
    install(twilio)
    fake_twilio.fail_next(failure)
    public_id = queue_message(db, vault, redis_client)
    work(redis_client)

    (job,) = jobs_for(redis_client)
    assert job.get_status() == JobStatus.SCHEDULED
    (wait,) = scheduled_in(redis_client)
    assert RETRY_INTERVALS[0] - 5 < wait <= RETRY_INTERVALS[0] + 1
    message = load(db, public_id)
    assert message.status.value == "queued" and message.provider_id is None
    assert attempts(message)[0][0] == "twilio" and attempts(message)[0][2].startswith("temporary")

    run_scheduled_now(redis_client)
    work(redis_client)
    message = load(db, public_id)
    assert [a[0] for a in attempts(message)] == ["twilio", "twilio"]
    assert message.provider_id is not None
    assert fake_twilio.sent == 1


def test_a_longer_retry_after_is_honoured(db, vault, redis_client, install) -> None:
    class Busy:
        name = "busy"

        def send(self, sms: OutboundSms) -> SendResult:
            raise TemporaryFailure("busy answered HTTP 429", provider="busy", retry_after=1200.0)

    install(Busy())
    queue_message(db, vault, redis_client)
    work(redis_client)
    (wait,) = scheduled_in(redis_client)
    assert 1195 < wait <= 1201


def test_retries_run_out_and_the_message_fails(
    db,
    vault,
    redis_client,
    install,
    twilio,
    fake_twilio,
) -> None:
    install(twilio)
    fake_twilio.fail_next("server_error", times=len(RETRY_INTERVALS) + 1)
    public_id = queue_message(db, vault, redis_client)
    work(redis_client)
    waits = []
    for _ in RETRY_INTERVALS:
        waits.extend(round(w, -1) for w in scheduled_in(redis_client))
        run_scheduled_now(redis_client)
        work(redis_client)
    assert waits == [float(round(i, -1)) for i in RETRY_INTERVALS]
    message = load(db, public_id)
    assert message.status.value == "failed"
    assert len(attempts(message)) == len(RETRY_INTERVALS) + 1
    (job,) = jobs_for(redis_client)
    assert job.return_value() == Outcome.FAILED


def test_a_rejected_number_fails_over_and_both_attempts_are_logged(
    db,
    vault,
    redis_client,
    install,
    twilio,
    africastalking,
    fake_twilio,
    fake_africastalking,
) -> None:
    install(twilio, africastalking)
    fake_twilio.fail_next("rejected")
    public_id = queue_message(db, vault, redis_client)
    work(redis_client)

    message = load(db, public_id)
    (first, second) = attempts(message)
    assert first[0] == "twilio" and first[1] is None
    assert first[2] == "permanent: twilio answered HTTP 400, error 21211"
    assert second[0] == "africastalking" and second[1].startswith("ATXid_") and second[2] is None
    assert (message.provider, message.cost) == ("africastalking", "KES 0.8000")
    assert fake_africastalking.sent == 1 and fake_twilio.sent == 0


def test_an_invalid_sender_id_fails_over(
    db,
    vault,
    redis_client,
    install,
    twilio,
    africastalking,
    fake_twilio,
    fake_africastalking,
) -> None:
    install(africastalking, twilio)
    fake_africastalking.fail_next("invalid_sender")
    public_id = queue_message(db, vault, redis_client)
    work(redis_client)
    message = load(db, public_id)
    assert [(a[0], a[2]) for a in attempts(message)] == [
        ("africastalking", "permanent: africastalking accepted no recipient: InvalidSenderId"),
        ("twilio", None),
    ]
    assert message.provider == "twilio"


def test_a_retry_after_failover_skips_the_provider_that_refused(
    db,
    vault,
    redis_client,
    install,
    twilio,
    africastalking,
    fake_twilio,
    fake_africastalking,
) -> None:
    install(twilio, africastalking)
    fake_twilio.fail_next("rejected")
    fake_africastalking.fail_next("server_error")
    public_id = queue_message(db, vault, redis_client)
    work(redis_client)
    run_scheduled_now(redis_client)
    work(redis_client)
    message = load(db, public_id)
    assert [a[0] for a in attempts(message)] == ["twilio", "africastalking", "africastalking"]
    assert len(fake_twilio.requests) == 1 and fake_africastalking.sent == 1


def test_every_provider_refuses_and_the_message_fails(
    db,
    vault,
    redis_client,
    install,
    twilio,
    africastalking,
    fake_twilio,
    fake_africastalking,
) -> None:
    install(twilio, africastalking)
    fake_twilio.fail_next("invalid_sender")
    fake_africastalking.fail_next("rejected")
    public_id = queue_message(db, vault, redis_client)
    work(redis_client)
    message = load(db, public_id)
    assert message.status.value == "failed"
    assert message.last_error == "InvalidPhoneNumber"
    assert len(attempts(message)) == 2
    (job,) = jobs_for(redis_client)
    assert job.get_status() == JobStatus.FINISHED and job.return_value() == Outcome.FAILED


def test_never_sent_twice_when_the_job_runs_twice(
    db,
    vault,
    redis_client,
    install,
    twilio,
    fake_twilio,
) -> None:
    install(twilio)
    public_id = queue_message(db, vault, redis_client)
    work(redis_client)
    # The same job again (a re-enqueue), and a second job for the same message.
    (job,) = jobs_for(redis_client)
    send_queue(redis_client).enqueue_job(job)
    send_queue(redis_client).enqueue(
        "workers.sms.send_job.send_message", kwargs={"public_id": public_id}, job_id="again"
    )
    work(redis_client)
    assert fake_twilio.sent == 1 and len(fake_twilio.requests) == 1
    assert load(db, public_id).attempts == 1


def test_a_claim_held_by_another_run_stops_a_concurrent_send(
    db,
    vault,
    redis_client,
    install,
    twilio,
    fake_twilio,
) -> None:
    install(twilio)
    public_id = queue_message(db, vault, redis_client)
    with db.begin() as session:  # another run is calling a provider right now
        assert claim_send(session, public_id, provider="twilio", attempts=0, now=_now())
    work(redis_client)
    assert fake_twilio.requests == []
    (job,) = jobs_for(redis_client)
    assert job.return_value() == Outcome.DUPLICATE
    message = load(db, public_id)
    assert (message.status.value, message.claimed_provider, message.attempts) == (
        "queued",
        "twilio",
        0,
    )


def test_a_run_that_read_the_message_before_another_runs_attempt_sends_nothing(
    db,
    vault,
    redis_client,
    install,
    twilio,
    africastalking,
    fake_twilio,
    fake_africastalking,
) -> None:
    """Run A reads the message, then run B tries Twilio (refused for good) and fails over to
    Africa's Talking (down for now): A must not try Twilio again on its stale reading."""
    from workers.sms.send_job import Send

    install(twilio, africastalking)
    fake_twilio.fail_next("rejected")
    fake_africastalking.fail_next("server_error")
    public_id = queue_message(db, vault, redis_client)
    stale = Send(worker_context.installed(), redis_client)
    pending = stale._load(public_id, False)
    work(redis_client)  # run B
    assert len(fake_twilio.requests) == 1 and len(fake_africastalking.requests) == 1
    assert not isinstance(pending, str)
    with db.begin() as session:
        assert not claim_send(
            session, public_id, provider="twilio", attempts=pending.attempts, now=_now()
        )


def test_a_sender_that_crashes_mid_call_leaves_the_message_for_review(
    db, vault, redis_client, install
) -> None:
    class Broken:
        name = "broken"

        def send(self, sms: OutboundSms) -> SendResult:
            raise RuntimeError("a bug in the adapter")

    install(Broken())
    public_id = queue_message(db, vault, redis_client)
    work(redis_client)
    run_scheduled_now(redis_client)
    work(redis_client)  # RQ's retry sends nothing
    message = load(db, public_id)
    assert message.status.value == "sending" and message.claimed_at is None
    assert message.last_error.startswith("maybe sent, review before resending")
    assert attempts(message) == [
        ("broken", None, "temporary: unexpected error during the provider call")
    ]
    (job,) = jobs_for(redis_client)
    assert job.return_value() == Outcome.DUPLICATE


def test_an_opted_out_number_is_never_sent_to(
    db,
    vault,
    redis_client,
    install,
    twilio,
    fake_twilio,
    settings,
) -> None:
    install(twilio)
    with db.begin() as session:
        set_opt_out(
            session,
            vault,
            PHONE,
            True,
            now=__import__("datetime").datetime.now(__import__("datetime").UTC),
        )
    public_id = queue_message(db, vault, redis_client)
    work(redis_client)
    assert fake_twilio.requests == []
    message = load(db, public_id)
    assert (message.status.value, message.last_error, message.attempts) == (
        "failed",
        "opted_out",
        0,
    )


def test_the_stop_confirmation_still_reaches_an_opted_out_number(
    db,
    vault,
    redis_client,
    install,
    twilio,
    fake_twilio,
) -> None:
    from datetime import UTC, datetime

    install(twilio)
    with db.begin() as session:
        set_opt_out(session, vault, PHONE, True, now=datetime.now(UTC))
    queue_message(
        db,
        vault,
        redis_client,
        body="You will not get more messages from us.",
        opt_out_confirmation=True,
    )
    work(redis_client)
    assert fake_twilio.sent == 1


@pytest.mark.parametrize(
    ("purpose", "sent"),
    [
        (MessagePurpose.REPLY, 1),  # an answer to what the reporter just sent
        (MessagePurpose.FOLLOW_UP, 0),  # anything we start is not
        (MessagePurpose.REMINDER, 0),
        (MessagePurpose.REFERRAL, 0),
    ],
)
def test_after_stop_only_replies_to_the_numbers_own_messages_are_sent(
    db, vault, redis_client, install, twilio, fake_twilio, purpose, sent
) -> None:
    from datetime import UTC, datetime

    install(twilio)
    with db.begin() as session:
        set_opt_out(session, vault, PHONE, True, now=datetime.now(UTC))
    public_id = queue_message(db, vault, redis_client, purpose=purpose)
    work(redis_client, (URGENT, DEFAULT))  # reminders to staff go on the urgent queue
    assert fake_twilio.sent == sent
    message = load(db, public_id)
    if sent:
        assert message.provider == "twilio" and message.last_error is None
    else:
        assert (message.status.value, message.last_error) == ("failed", "opted_out")


def test_a_carrier_opt_out_marks_the_number_and_stops_failover(
    db,
    vault,
    redis_client,
    install,
    twilio,
    africastalking,
    fake_twilio,
    fake_africastalking,
) -> None:
    install(twilio, africastalking)
    fake_twilio.fail_next("opted_out")
    public_id = queue_message(db, vault, redis_client)
    work(redis_client)
    assert fake_africastalking.requests == []
    message = load(db, public_id)
    assert (message.status.value, message.last_error) == ("failed", "opted_out")
    with db() as session:
        assert is_opted_out(session, vault, PHONE)
    # and the next message to that number goes nowhere
    queue_message(db, vault, redis_client)
    work(redis_client)
    assert len(fake_twilio.requests) == 1


def test_a_send_that_may_have_happened_is_not_resent_but_marked_for_review(
    db,
    vault,
    redis_client,
    install,
    fake_twilio,
    fake_africastalking,
    africastalking,
) -> None:
    slow = TwilioSender(
        TWILIO_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN,
        TWILIO_FROM,
        base_url=fake_twilio.base_url,
        timeout=0.3,
    )
    install(slow, africastalking)
    fake_twilio.fail_next("slow")
    public_id = queue_message(db, vault, redis_client)
    work(redis_client)
    message = load(db, public_id)
    assert message.status.value == "sending"
    assert message.last_error.startswith("maybe sent, review before resending")
    assert fake_africastalking.requests == []
    assert scheduled_in(redis_client) == []
    (job,) = jobs_for(redis_client)
    assert job.return_value() == Outcome.REVIEW
    # Running it again sends nothing either.
    send_queue(redis_client).enqueue_job(job)
    work(redis_client)
    assert len(fake_twilio.requests) == 1


def test_secrets_phone_numbers_and_bodies_stay_out_of_logs_and_the_message_log(
    db,
    vault,
    redis_client,
    install,
    twilio,
    africastalking,
    fake_twilio,
    fake_africastalking,
    caplog,
) -> None:
    caplog.set_level(logging.DEBUG)
    install(twilio, africastalking)
    fake_twilio.fail_next("rejected")  # Twilio's error text echoes the number
    fake_africastalking.fail_next("server_error")
    queue_message(db, vault, redis_client)
    work(redis_client)
    run_scheduled_now(redis_client)
    work(redis_client)
    with db() as session:
        stored = " ".join(
            str(value)
            for row in [*session.scalars(select(Message)), *session.scalars(select(MessageEvent))]
            for value in vars(row).values()
        )
    failed = " ".join(
        str(j.latest_result().exc_string)
        for j in jobs_for(redis_client)
        if j.latest_result() is not None
    )
    for secret in (TWILIO_AUTH_TOKEN, AT_API_KEY, PHONE, PHONE[1:], BODY):
        assert secret not in caplog.text
        assert secret not in stored
        assert secret not in failed
    assert "twilio" in caplog.text  # the log does say what happened


def test_without_a_job_context_the_job_fails_loudly_and_is_retried(
    db, vault, redis_client, caplog
) -> None:
    worker_context.uninstall()
    public_id = queue_message(db, vault, redis_client)
    work(redis_client)
    (job,) = jobs_for(redis_client)
    assert job.get_status() == JobStatus.SCHEDULED  # a worker started right may still send it
    assert "start workers with `kinga worker`" in caplog.text
    assert load(db, public_id).status.value == "queued"


def test_a_database_outage_before_the_provider_call_leaves_the_message_for_the_retry(
    db, vault, redis_client, install, twilio, fake_twilio, monkeypatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from workers.sms import send_job

    install(twilio)
    public_id = queue_message(db, vault, redis_client)
    calls = {"n": 0}
    real = send_job.find_message

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("SELECT", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(send_job, "find_message", flaky)
    work(redis_client)
    assert fake_twilio.requests == []
    assert load(db, public_id).claimed_at is None
    run_scheduled_now(redis_client)
    work(redis_client)
    assert fake_twilio.sent == 1


def test_a_database_outage_after_the_provider_call_never_resends(
    db, vault, redis_client, install, twilio, fake_twilio, monkeypatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from workers.sms import send_job

    install(twilio)
    public_id = queue_message(db, vault, redis_client)

    def down(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    real = send_job.record_attempt
    monkeypatch.setattr(send_job, "record_attempt", down)
    work(redis_client)
    run_scheduled_now(redis_client)
    monkeypatch.setattr(send_job, "record_attempt", real)
    work(redis_client)
    assert fake_twilio.sent == 1 and len(fake_twilio.requests) == 1
    # Still claimed: the unsent-message sweep marks it for review once its job is gone.
    assert load(db, public_id).claimed_provider == "twilio"
