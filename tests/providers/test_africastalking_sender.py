"""Sending through Africa's Talking's SDK to the fake Africa's Talking server over real HTTP."""

from __future__ import annotations

import pytest
from africastalking.SMS import SMSService
from fakes import AT_API_KEY, AT_USERNAME, FakeAfricasTalking
from fakes.africastalking import COST

from gateway.providers.africastalking.sms import AfricasTalkingSender
from workers.sms.provider_api import (
    MessageStatus,
    OutboundSms,
    PermanentFailure,
    Sender,
    TemporaryFailure,
)

TO = "+254711000123"
SMS = OutboundSms("msg_1", TO, "Your reference 482-177-302 was updated.")


def sender_for(
    fake: FakeAfricasTalking, sender_id: str | None = "KINGA", timeout: float = 0.5
) -> AfricasTalkingSender:
    return AfricasTalkingSender(
        AT_USERNAME, AT_API_KEY, sender_id, base_url=f"{fake.base_url}/version1", timeout=timeout
    )


def test_send(fake_africastalking: FakeAfricasTalking) -> None:
    sender: Sender = sender_for(fake_africastalking)
    result = sender.send(SMS)

    assert result.provider == "africastalking" == sender.name
    assert result.provider_id.startswith("ATXid_")
    assert result.status is MessageStatus.QUEUED
    assert result.cost == COST
    [request] = fake_africastalking.requests
    assert (request.method, request.path) == ("POST", "/version1/messaging")
    assert request.form == {
        "username": [AT_USERNAME],
        "to": [TO],
        "message": [SMS.body],
        "bulkSMSMode": ["1"],
        "from": ["KINGA"],
    }
    assert request.headers["apikey"] == AT_API_KEY
    assert request.headers["accept"] == "application/json"


def test_send_without_a_sender_id(fake_africastalking: FakeAfricasTalking) -> None:
    sender_for(fake_africastalking, sender_id=None).send(SMS)
    [request] = fake_africastalking.requests
    assert "from" not in request.form


def test_senders_keep_their_own_credentials(fake_africastalking: FakeAfricasTalking) -> None:
    # africastalking.initialize() keeps one module-level account; senders must not share it.
    stranger = AfricasTalkingSender(
        "someone-else", "another-key", base_url=f"{fake_africastalking.base_url}/version1"
    )
    ours = sender_for(fake_africastalking)
    with pytest.raises(PermanentFailure) as raised:
        stranger.send(SMS)
    assert raised.value.error_code == "401"
    assert ours.send(SMS).status is MessageStatus.QUEUED


def test_rate_limited_is_temporary_with_retry_after(
    fake_africastalking: FakeAfricasTalking,
) -> None:
    fake_africastalking.fail_next("rate_limited")
    sender = sender_for(fake_africastalking)
    with pytest.raises(TemporaryFailure) as raised:
        sender.send(SMS)
    assert raised.value.retry_after == 11.0
    assert raised.value.provider == "africastalking"
    assert sender.send(SMS).status is MessageStatus.QUEUED
    assert len(fake_africastalking.requests) == 2


@pytest.mark.parametrize("failure", ["server_error", "gateway_error"])
def test_server_errors_are_temporary(fake_africastalking: FakeAfricasTalking, failure: str) -> None:
    fake_africastalking.fail_next(failure)
    with pytest.raises(TemporaryFailure) as raised:
        sender_for(fake_africastalking).send(SMS)
    assert raised.value.retry_after is None
    assert not raised.value.maybe_sent


@pytest.mark.parametrize(
    ("failure", "code", "opted_out"),
    [
        ("rejected", "InvalidPhoneNumber", False),
        ("invalid_sender", "InvalidSenderId", False),
        ("blacklisted", "UserInBlacklist", True),
    ],
)
def test_refusals_are_permanent(
    fake_africastalking: FakeAfricasTalking, failure: str, code: str, opted_out: bool
) -> None:
    fake_africastalking.fail_next(failure)
    with pytest.raises(PermanentFailure) as raised:
        sender_for(fake_africastalking).send(SMS)
    assert raised.value.error_code == code
    assert raised.value.opted_out is opted_out
    assert "254711000123" not in str(raised.value)


def test_a_number_the_sdk_refuses_never_leaves(fake_africastalking: FakeAfricasTalking) -> None:
    with pytest.raises(PermanentFailure) as raised:
        sender_for(fake_africastalking).send(OutboundSms("msg_1", "0711000123", "Habari"))
    assert "0711000123" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert fake_africastalking.requests == []


def test_timeout_is_temporary_and_may_have_sent(fake_africastalking: FakeAfricasTalking) -> None:
    fake_africastalking.fail_next("slow")
    with pytest.raises(TemporaryFailure) as raised:
        sender_for(fake_africastalking, timeout=0.2).send(SMS)
    assert raised.value.maybe_sent


@pytest.mark.parametrize(
    ("username", "host"),
    [("kinga", "api.africastalking.com"), ("sandbox", "api.sandbox.africastalking.com")],
)
def test_without_a_base_url_it_calls_africastalking(
    offline: list[str], username: str, host: str
) -> None:
    sender = AfricasTalkingSender(username, AT_API_KEY, timeout=0.5)
    with pytest.raises(TemporaryFailure):
        sender.send(SMS)
    assert offline == [host]


def test_the_fake_answers_as_the_plain_sdk_expects(
    fake_africastalking: FakeAfricasTalking,
) -> None:
    # The unmodified SDK parses JSON only for a content type of exactly "application/json".
    service = SMSService(AT_USERNAME, AT_API_KEY)
    service._baseUrl = f"{fake_africastalking.base_url}/version1"
    answer = service.send("Habari", [TO], sender_id="KINGA", timeout=0.5)
    [recipient] = answer["SMSMessageData"]["Recipients"]
    assert recipient["statusCode"] == 101
    assert recipient["cost"] == COST


def test_an_answer_that_is_not_the_provider_is_temporary_and_may_have_sent(
    fake_africastalking: FakeAfricasTalking,
) -> None:
    fake_africastalking.fail_next("garbled")
    with pytest.raises(TemporaryFailure) as raised:
        sender_for(fake_africastalking).send(SMS)
    assert raised.value.maybe_sent


def test_missing_credentials_fail_at_start() -> None:
    full = (AT_USERNAME, AT_API_KEY)
    for blank in range(len(full)):
        partial = [value if index != blank else "" for index, value in enumerate(full)]
        with pytest.raises(ValueError, match="needs"):
            AfricasTalkingSender(*partial)
