"""Our own event types, which every provider adapter parses its webhooks into, and the one
error an adapter raises (``InvalidPayload``); the channels know only these.

``MessageStatus`` is defined in ``workers.sms.provider_api`` (send jobs record it too, and
workers may not import the gateway) and re-exported here so adapters and views have one place
to look.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from case_store.masking import mask_phone
from gateway.phones import InvalidPhoneNumber, to_e164
from workers.sms.provider_api import MessageStatus

__all__ = [
    "MAX_BODY",
    "MAX_ID",
    "InboundSms",
    "IncomingCall",
    "InvalidPayload",
    "MessageStatus",
    "NewAnswer",
    "SeenText",
    "StatusUpdate",
    "UssdOutcome",
    "UssdRequest",
    "UssdSessionEnded",
    "optional",
    "phone",
    "required",
    "short",
]

MAX_BODY = 1600  # characters; Twilio's documented maximum, and plenty for any concatenated SMS
MAX_ID = 128  # provider ids, codes and short fields


class InvalidPayload(ValueError):
    """A webhook payload we cannot accept. The reason is short and never echoes a phone
    number or a message body, so it is safe to return as a 400 and to log."""


@dataclass(frozen=True)
class SeenText:
    """What a USSD session keeps of the input its provider sent last: the length and a short
    digest, never the text itself (the answers are in the dialog state already)."""

    length: int
    digest: str

    @classmethod
    def of(cls, text: str) -> SeenText:
        return cls(len(text), _digest(text))

    def matches(self, text: str) -> bool:
        return len(text) == self.length and _digest(text) == self.digest


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# A provider's rule for the answer just typed: from the input it sent now and what the session
# saw last. Africa's Talking sends everything typed so far and keeps the rule in its adapter; an
# aggregator that sends only the new answer returns its input unchanged.
NewAnswer = Callable[[str, SeenText], str]


@dataclass(frozen=True)
class UssdRequest:
    """One hop of a USSD session. ``text`` is the input exactly as the provider sent it: a
    provider's retry sends the same again, which the intake answers from the session without
    moving the dialog. ``new_answer`` is the provider's rule for the answer within it."""

    session_id: str
    service_code: str
    phone: str  # E.164
    network_code: str
    text: str
    new_answer: NewAnswer

    def answer_after(self, seen: SeenText) -> str:
        """The answer just given, the session having last seen ``seen``."""
        return self.new_answer(self.text, seen)


class UssdOutcome(Enum):
    COMPLETED = "completed"  # ended on an END screen
    DROPPED = "dropped"  # the caller hung up or timed out on a question
    FAILED = "failed"  # the network or our side failed
    UNKNOWN = "unknown"  # a status the adapter does not know: treated as a drop


@dataclass(frozen=True)
class UssdSessionEnded:
    """The aggregator's notice that a session is over, however it ended."""

    session_id: str
    phone: str  # E.164
    outcome: UssdOutcome
    status: str  # the aggregator's own word, for the log
    duration_ms: int | None
    error: str


@dataclass(frozen=True, repr=False)
class InboundSms:
    provider: str
    provider_id: str  # with ``provider``, the key that makes a replayed webhook a duplicate
    sender: str  # E.164
    recipient: str  # our number or short code, as the provider gave it
    text: str
    received_at: datetime  # UTC
    link_id: str | None = None  # Africa's Talking premium messages: needed to reply
    network_code: str | None = None

    def __repr__(self) -> str:
        return (
            f"InboundSms(provider={self.provider!r}, provider_id={self.provider_id!r}, "
            f"sender={mask_phone(self.sender)!r}, text=<{len(self.text)} characters>, "
            f"received_at={self.received_at.isoformat()!r})"
        )


@dataclass(frozen=True, repr=False)
class IncomingCall:
    """A voice call to the hotline number, as the provider notifies it: ringing (``active``),
    or its notice that the call is over."""

    provider: str
    session_id: str  # with ``provider``, the key that makes a retried notice a duplicate
    caller: str  # E.164
    inbound: bool  # False: a call the provider placed for us
    active: bool

    def __repr__(self) -> str:
        return (
            f"IncomingCall(provider={self.provider!r}, session_id={self.session_id!r}, "
            f"caller={mask_phone(self.caller)!r}, inbound={self.inbound}, active={self.active})"
        )


@dataclass(frozen=True)
class StatusUpdate:
    provider: str
    provider_id: str
    our_id: str | None  # the message log id when the provider echoes it (Twilio's callback URL)
    status: MessageStatus
    error_code: str | None = None
    failure_reason: str | None = None
    cost: str | None = None
    opted_out: bool = False  # the carrier says the recipient asked to stop (Twilio 21610)
    provider_status: str = ""  # the provider's own word, for the log when it maps to unknown


def required(params: Mapping[str, str], field: str) -> str:
    """A short field that must be there, stripped; ``InvalidPayload`` names it, never its value.

    Ids and codes are stored and logged as they are, so control and invisible characters are
    refused (PostgreSQL refuses NUL in text, and a line break would forge a log line)."""
    value = params.get(field, "").strip()
    if not value:
        raise InvalidPayload(f"{field} is required")
    if len(value) > MAX_ID:
        raise InvalidPayload(f"{field} is too long")
    if not value.isprintable():
        raise InvalidPayload(f"{field} has control or invisible characters")
    return value


def optional(params: Mapping[str, str], field: str) -> str | None:
    """A short field that may be missing or empty, stripped and cut to ``MAX_ID``; a value
    with control or invisible characters is dropped (an extra never refuses a message)."""
    return short(params.get(field))


def short(value: str | None) -> str | None:
    """``optional`` for a value already taken from a request (a query parameter)."""
    value = (value or "").strip()[:MAX_ID]
    return value if value and value.isprintable() else None


def phone(params: Mapping[str, str], field: str) -> str:
    """A required phone number field in E.164 form."""
    value = required(params, field)
    try:
        return to_e164(value)
    except InvalidPhoneNumber as exc:
        raise InvalidPayload(f"{field} is not an E.164 phone number") from exc
