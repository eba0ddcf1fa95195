"""A provider down for minutes, against the fake Twilio and Africa's Talking servers (real HTTP
on 127.0.0.1) and a real RQ ``SimpleWorker``: answering 500 to every request, asking every
worker to wait (429 with ``Retry-After``), or not listening at all. Messages go through the
next provider at once, each exactly once; with every provider down they wait out the retry
schedule (1, 5 and 15 minutes, the scheduler's time brought forward) and go once a provider is
back, or fail when none comes back. Never a second send."""

from __future__ import annotations

import pytest
from fakes import AT_API_KEY, AT_USERNAME, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN
from outbound_helpers import attempts, jobs_for, load, queue_message, run_scheduled_now, work

from gateway.providers.africastalking.sms import AfricasTalkingSender
from gateway.providers.twilio.sms import TwilioSender
from workers.sms.send_job import RETRY_INTERVALS, Outcome

MESSAGES = 5
FOR_MINUTES = 1_000  # failures programmed: more than every request these tests make
TWILIO_RETRY_AFTER = 7  # seconds: the fake Twilio's Retry-After


@pytest.fixture(autouse=True)
def offline(no_internet: list[str]) -> list[str]:
    return no_internet


@pytest.fixture
def senders(fake_twilio, fake_africastalking) -> tuple[TwilioSender, AfricasTalkingSender]:
    twilio = TwilioSender(
        TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "+15005550006", base_url=fake_twilio.base_url,
        public_url="https://kinga.example.org", timeout=1,
    )  # fmt: skip
    africastalking = AfricasTalkingSender(
        AT_USERNAME, AT_API_KEY, "KINGA", base_url=f"{fake_africastalking.base_url}/version1",
        timeout=1,
    )  # fmt: skip
    return twilio, africastalking


def providers_of(db, public_ids: list[str]) -> list[list[tuple[str, bool]]]:
    """Each message's attempts: (provider, accepted)."""
    return [[(a[0], a[1] is not None) for a in attempts(load(db, i))] for i in public_ids]


@pytest.mark.parametrize("failure", ["server_error", "not_listening"])
def test_a_provider_down_for_minutes_hands_every_message_to_the_next_once(
    db, vault, redis_client, install_jobs, senders, fake_twilio, fake_africastalking, failure
) -> None:
    install_jobs(*senders)
    if failure == "not_listening":
        fake_twilio.stop()  # nothing answers on its port: the connection is refused
    else:
        fake_twilio.fail_next(failure, times=FOR_MINUTES)
    sent = [queue_message(db, vault, redis_client) for _ in range(MESSAGES)]
    work(redis_client)

    assert providers_of(db, sent) == [[("twilio", False), ("africastalking", True)]] * MESSAGES
    assert fake_africastalking.sent == MESSAGES and fake_twilio.sent == 0
    assert all(job.return_value() == Outcome.SENT for job in jobs_for(redis_client))
    assert run_scheduled_now(redis_client) == []  # nothing left to try again


def test_a_provider_that_asks_to_wait_is_left_alone_by_every_job(
    db, vault, redis_client, install_jobs, senders, fake_twilio, fake_africastalking
) -> None:
    install_jobs(*senders)
    fake_twilio.fail_next("rate_limited", times=FOR_MINUTES)
    sent = [queue_message(db, vault, redis_client) for _ in range(MESSAGES)]
    work(redis_client)

    assert len(fake_twilio.requests) == 1  # asked once, then left alone for its Retry-After
    assert providers_of(db, sent)[0] == [("twilio", False), ("africastalking", True)]
    assert providers_of(db, sent)[1:] == [[("africastalking", True)]] * (MESSAGES - 1)
    assert fake_africastalking.sent == MESSAGES
    assert 0 < redis_client.pttl("kinga:rate:sms-paused:twilio") <= TWILIO_RETRY_AFTER * 1000


def test_every_provider_down_for_minutes_waits_then_sends_once_when_one_is_back(
    db, vault, redis_client, install_jobs, senders, fake_twilio, fake_africastalking
) -> None:
    install_jobs(*senders)
    fake_twilio.fail_next("server_error", times=FOR_MINUTES)
    fake_africastalking.fail_next("server_error", times=FOR_MINUTES)
    sent = [queue_message(db, vault, redis_client) for _ in range(MESSAGES)]
    work(redis_client)
    for _ in RETRY_INTERVALS[:-1]:  # the first and second retries: both still down
        assert len(run_scheduled_now(redis_client)) == MESSAGES
        work(redis_client)
    fake_africastalking.recover()  # back before the last retry
    assert len(run_scheduled_now(redis_client)) == MESSAGES
    work(redis_client)

    tries = len(RETRY_INTERVALS)  # runs while both were down
    both = [("twilio", False), ("africastalking", False)]
    last = [("twilio", False), ("africastalking", True)]
    assert providers_of(db, sent) == [both * tries + last] * MESSAGES
    assert fake_africastalking.sent == MESSAGES and fake_twilio.sent == 0
    assert all(load(db, i).status.value == "queued" for i in sent)  # with Africa's Talking
    assert all(job.return_value() == Outcome.SENT for job in jobs_for(redis_client))


def test_every_provider_down_past_the_last_retry_fails_the_message_unsent(
    db, vault, redis_client, install_jobs, senders, fake_twilio, fake_africastalking
) -> None:
    install_jobs(*senders)
    fake_twilio.fail_next("server_error", times=FOR_MINUTES)
    fake_africastalking.fail_next("server_error", times=FOR_MINUTES)
    public_id = queue_message(db, vault, redis_client)
    work(redis_client)
    for _ in RETRY_INTERVALS:
        run_scheduled_now(redis_client)
        work(redis_client)

    message = load(db, public_id)
    assert message.status.value == "failed"
    assert len(attempts(message)) == 2 * (len(RETRY_INTERVALS) + 1)
    assert fake_twilio.sent == fake_africastalking.sent == 0
    (job,) = jobs_for(redis_client)
    assert job.return_value() == Outcome.FAILED
