"""What a send job hands an SMS provider, and what it gets back.

The provider adapters live in ``gateway/providers/`` and implement ``Sender``; the gateway
injects them into the worker at start, because imports point one way (gateway → workers) and
a job may never import the gateway. Everything a send job needs to decide what happens next
(retry, fail over to the next provider, give up) is here: the result, the two kinds of failure
and the canonical message statuses.

Failure messages never carry a phone number, a message body or a credential: providers echo
numbers in their error texts, so adapters build these messages from status codes only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

from case_store.enums import MessageStatus
from case_store.masking import mask_phone

__all__ = [
    "DEFAULT_SEND_TIMEOUT",
    "MessageStatus",
    "OutboundSms",
    "PermanentFailure",
    "SendFailure",
    "SendResult",
    "Sender",
    "TemporaryFailure",
    "parse_retry_after",
]

DEFAULT_SEND_TIMEOUT = 10.0  # seconds for one provider API call, connect and read
MAX_RETRY_AFTER = 3600.0  # a provider asking us to wait longer than this is treated as an hour


@dataclass(frozen=True, repr=False)
class OutboundSms:
    message_id: str  # ours: the message log's id, which a provider may echo in its receipts
    to: str  # E.164
    body: str

    def __repr__(self) -> str:
        return (
            f"OutboundSms(message_id={self.message_id!r}, to={mask_phone(self.to)!r}, "
            f"body=<{len(self.body)} characters>)"
        )


@dataclass(frozen=True)
class SendResult:
    provider: str
    provider_id: str
    status: MessageStatus
    cost: str | None = None  # as the provider reports it, e.g. "KES 0.8000"


class SendFailure(Exception):
    """A provider did not accept a message. ``error_code`` is the provider's own code."""

    def __init__(self, reason: str, *, provider: str, error_code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.provider = provider
        self.error_code = error_code


class TemporaryFailure(SendFailure):
    """Try again later: a timeout, a lost connection, a 5xx or a 429.

    ``retry_after`` is the wait the provider asked for, in seconds, when it said one.
    ``maybe_sent`` is true when the request may have reached the provider before the
    connection failed (a read timeout), so a retry could deliver the message twice.
    """

    def __init__(
        self,
        reason: str,
        *,
        provider: str,
        error_code: str | None = None,
        retry_after: float | None = None,
        maybe_sent: bool = False,
    ) -> None:
        super().__init__(reason, provider=provider, error_code=error_code)
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


class PermanentFailure(SendFailure):
    """This provider will never send this message: a rejected number, a bad sender id, a
    refused credential. Another provider may still succeed, unless ``opted_out``: the
    recipient asked the carrier to stop (Twilio 21610), which no provider may override.
    """

    def __init__(
        self,
        reason: str,
        *,
        provider: str,
        error_code: str | None = None,
        opted_out: bool = False,
    ) -> None:
        super().__init__(reason, provider=provider, error_code=error_code)
        self.opted_out = opted_out


class Sender(Protocol):
    name: str

    def send(self, sms: OutboundSms) -> SendResult: ...


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or ``None``."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
