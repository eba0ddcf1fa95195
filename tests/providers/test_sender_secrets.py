"""Credentials, numbers and bodies never reach logs or send errors, whatever the outcome."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from fakes import (
    AT_API_KEY,
    AT_USERNAME,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    FakeAfricasTalking,
    FakeServer,
    FakeTwilio,
)

from gateway.providers.africastalking.sms import AfricasTalkingSender
from gateway.providers.twilio.sms import TwilioSender
from workers.sms.provider_api import OutboundSms, Sender, SendFailure

TO = "+254711000123"
BODY = "Your reference 482-177-302 was updated."
SECRETS = (TWILIO_AUTH_TOKEN, AT_API_KEY)
PRIVATE = (*SECRETS, TO.lstrip("+"), BODY)

Build = Callable[[FakeServer], Sender]


def twilio(fake: FakeServer) -> Sender:
    return TwilioSender(
        TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "+15005550006", base_url=fake.base_url, timeout=0.2
    )


def africastalking(fake: FakeServer) -> Sender:
    return AfricasTalkingSender(
        AT_USERNAME, AT_API_KEY, "KINGA", base_url=f"{fake.base_url}/version1", timeout=0.2
    )


def outcomes() -> list[Any]:
    params: list[Any] = []
    for name, fake_class, build in [
        ("twilio", FakeTwilio, twilio),
        ("africastalking", FakeAfricasTalking, africastalking),
    ]:
        for failure in (None, *fake_class.failures):
            params.append(pytest.param(fake_class, build, failure, id=f"{name}-{failure or 'ok'}"))
    return params


@pytest.mark.parametrize(("fake_class", "build", "failure"), outcomes())
def test_no_secret_in_logs_or_errors(
    caplog: pytest.LogCaptureFixture,
    fake_class: type[FakeTwilio] | type[FakeAfricasTalking],
    build: Build,
    failure: str | None,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = fake_class(*_credentials(fake_class))
    with fake:
        if failure:
            fake.fail_next(failure)
        sender = build(fake)
        error: SendFailure | None = None
        try:
            sender.send(OutboundSms("msg_1", TO, BODY))
        except SendFailure as exc:
            error = exc
        logging.getLogger("kinga.test").warning("sender %r", sender)

    assert (error is None) is (failure is None)
    assert caplog.records, "the SDKs log their requests; the check must see them"
    exposed = [caplog.text, repr(sender)]
    if error is not None:
        exposed += [str(error), repr(error), "".join(traceback.format_exception(error))]
    for text in exposed:
        for private in PRIVATE:
            assert private not in text


def _credentials(fake_class: type[FakeServer]) -> tuple[str, str]:
    if fake_class is FakeTwilio:
        return TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN
    return AT_USERNAME, AT_API_KEY
