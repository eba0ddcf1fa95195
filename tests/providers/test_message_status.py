"""The shared send vocabulary in ``workers.sms.provider_api``: status order, Retry-After,
safe reprs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.providers.events import InboundSms
from workers.sms.provider_api import MessageStatus, OutboundSms, parse_retry_after

S = MessageStatus


@pytest.mark.parametrize(
    ("current", "new", "applies"),
    [
        (None, S.QUEUED, True),
        (S.QUEUED, S.SENT, True),
        (S.SENT, S.DELIVERED, True),
        (S.DELIVERED, S.SENT, False),  # a late "sent" never overwrites "delivered"
        (S.DELIVERED, S.QUEUED, False),
        (S.SENT, S.SENDING, False),
        (S.SENT, S.SENT, False),  # a duplicate receipt changes nothing
        (S.FAILED, S.SENT, False),
        (S.UNDELIVERED, S.FAILED, False),  # the first final failure stands
        (S.FAILED, S.DELIVERED, True),  # only the handset's own receipt beats a failure
        (S.DELIVERED, S.UNDELIVERED, False),
        (S.QUEUED, S.UNKNOWN, False),
        (S.UNKNOWN, S.QUEUED, True),
    ],
)
def test_receipts_never_move_a_message_backwards(
    current: MessageStatus | None, new: MessageStatus, applies: bool
) -> None:
    assert new.supersedes(current) is applies


def test_final_states() -> None:
    assert {status for status in S if status.is_final} == {
        S.DELIVERED,
        S.FAILED,
        S.UNDELIVERED,
        S.RECEIVED,
    }


NOW = datetime(2024, 3, 5, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("999999", 3600.0),
        ("Tue, 05 Mar 2024 10:01:30 GMT", 90.0),
        ("Tue, 05 Mar 2024 09:59:00 GMT", 0.0),
        ("soon", None),
        ("nan", None),
    ],
)
def test_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_reprs_hide_numbers_and_bodies() -> None:
    sms = OutboundSms("msg_1", "+254711000123", "Your reference 482-177-302 was updated")
    inbound = InboundSms(
        provider="twilio",
        provider_id="SM1",
        sender="+254711000123",
        recipient="+15005550006",
        text="there is a child in danger",
        received_at=NOW,
    )
    for text in (repr(sms), repr(inbound)):
        assert "254711000123" not in text
        assert "reference" not in text and "danger" not in text
        assert "+2547" in text  # masked, still recognisable by an operator
