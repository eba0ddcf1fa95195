"""Sending through Twilio's SDK to the fake Twilio server over real HTTP."""

from __future__ import annotations

import base64
import socket

import pytest
from fakes import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, FakeTwilio

from gateway.providers.twilio.sms import TwilioSender
from workers.sms.provider_api import (
    MessageStatus,
    OutboundSms,
    PermanentFailure,
    Sender,
    TemporaryFailure,
)

FROM = "+15005550006"
TO = "+254711000123"
CALLBACK = "https://kinga.example.org/sms/twilio/status?id=msg_1"
PUBLIC_URL = "https://kinga.example.org"
SMS = OutboundSms("msg_1", TO, "Your reference 482-177-302 was updated.")


def sender_for(
    fake: FakeTwilio, sender: str = FROM, timeout: float = 0.5, public_url: str | None = PUBLIC_URL
) -> TwilioSender:
    return TwilioSender(
        TWILIO_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN,
        sender,
        base_url=fake.base_url,
        public_url=public_url,
        timeout=timeout,
    )


def test_send(fake_twilio: FakeTwilio) -> None:
    sender: Sender = sender_for(fake_twilio)
    result = sender.send(SMS)

    assert result.provider == "twilio" == sender.name
    assert result.provider_id.startswith("SM") and len(result.provider_id) == 34
    assert result.status is MessageStatus.QUEUED
    assert result.cost is None  # Twilio prices a message only after sending it
    [request] = fake_twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json"
    assert request.form == {
        "To": [TO],
        "From": [FROM],
        "Body": [SMS.body],
        "StatusCallback": [CALLBACK],
    }
    credentials = base64.b64encode(f"{TWILIO_ACCOUNT_SID}:{TWILIO_AUTH_TOKEN}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {credentials}"


def test_send_through_a_messaging_service(fake_twilio: FakeTwilio) -> None:
    service = "MG" + "0c0c" * 8
    result = sender_for(fake_twilio, sender=service, public_url=None).send(
        OutboundSms("msg_2", TO, "Habari")
    )
    assert result.status is MessageStatus.QUEUED  # Twilio says "accepted"
    [request] = fake_twilio.requests
    assert request.form == {"To": [TO], "MessagingServiceSid": [service], "Body": ["Habari"]}


def test_each_send_is_one_request(fake_twilio: FakeTwilio) -> None:
    sender = sender_for(fake_twilio)
    first, second = sender.send(SMS), sender.send(SMS)
    assert first.provider_id != second.provider_id
    assert len(fake_twilio.requests) == 2


def test_rate_limited_is_temporary_with_retry_after(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next("rate_limited")
    sender = sender_for(fake_twilio)
    with pytest.raises(TemporaryFailure) as raised:
        sender.send(SMS)
    assert raised.value.retry_after == 7.0
    assert raised.value.error_code == "20429"
    assert raised.value.provider == "twilio"
    assert len(fake_twilio.requests) == 1  # the SDK does not retry behind our back
    assert sender.send(SMS).status is MessageStatus.QUEUED


def test_server_error_is_temporary(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next("server_error")
    with pytest.raises(TemporaryFailure) as raised:
        sender_for(fake_twilio).send(SMS)
    assert raised.value.retry_after is None
    assert not raised.value.maybe_sent


@pytest.mark.parametrize(
    ("failure", "code", "opted_out"),
    [
        ("rejected", "21211", False),
        ("invalid_sender", "21212", False),
        ("opted_out", "21610", True),
    ],
)
def test_refusals_are_permanent(
    fake_twilio: FakeTwilio, failure: str, code: str, opted_out: bool
) -> None:
    fake_twilio.fail_next(failure)
    with pytest.raises(PermanentFailure) as raised:
        sender_for(fake_twilio).send(SMS)
    assert raised.value.error_code == code
    assert raised.value.opted_out is opted_out
    assert "254711000123" not in str(raised.value)  # Twilio's message echoes the number


def test_wrong_credentials_are_permanent(fake_twilio: FakeTwilio) -> None:
    sender = TwilioSender(TWILIO_ACCOUNT_SID, "wrong-token", FROM, base_url=fake_twilio.base_url)
    with pytest.raises(PermanentFailure) as raised:
        sender.send(SMS)
    assert raised.value.error_code == "20003"


def test_timeout_is_temporary_and_may_have_sent(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next("slow")
    with pytest.raises(TemporaryFailure) as raised:
        sender_for(fake_twilio, timeout=0.2).send(SMS)
    assert raised.value.maybe_sent
    assert len(fake_twilio.requests) == 1


def test_connection_refused_is_temporary() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = TwilioSender(
        TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, FROM, base_url=f"http://127.0.0.1:{port}"
    )
    with pytest.raises(TemporaryFailure) as raised:
        sender.send(SMS)
    assert not raised.value.maybe_sent


def test_without_a_base_url_it_calls_twilio(offline: list[str]) -> None:
    sender = TwilioSender(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, FROM, timeout=0.5)
    with pytest.raises(TemporaryFailure):
        sender.send(SMS)
    assert offline == ["api.twilio.com"]


def test_an_answer_that_is_not_the_provider_is_temporary_and_may_have_sent(
    fake_twilio: FakeTwilio,
) -> None:
    fake_twilio.fail_next("garbled")
    with pytest.raises(TemporaryFailure) as raised:
        sender_for(fake_twilio).send(SMS)
    assert raised.value.maybe_sent


def test_missing_credentials_fail_at_start() -> None:
    full = (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, FROM)
    for blank in range(len(full)):
        partial = [value if index != blank else "" for index, value in enumerate(full)]
        with pytest.raises(ValueError, match="needs"):
            TwilioSender(*partial)
