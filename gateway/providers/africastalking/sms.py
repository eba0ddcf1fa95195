"""Africa's Talking SMS: check the callback key, parse inbound messages and delivery reports,
send.

Africa's Talking signs nothing, so every callback URL carries a secret ``key`` query parameter;
``key_matches`` is the one comparison the SMS and USSD adapters share. Delivery reports carry
only Africa's Talking's message id, so they are matched on ``provider_id``.

Sending uses the SDK's ``SMSService`` (its form fields, URL and number check) built directly,
never through ``africastalking.initialize``, whose module-level state would be shared by every
sender in the process. The SDK turns every error answer into one exception without the HTTP
status, so ``_SmsService`` makes the request itself and hands back the raw response.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from africastalking.SMS import SMSService
from flask import Blueprint, Response, request

from gateway.channels.sms import intake as sms_intake
from gateway.config.settings import Settings
from gateway.providers import webhooks
from gateway.providers.events import (
    MAX_BODY,
    InboundSms,
    InvalidPayload,
    MessageStatus,
    StatusUpdate,
    optional,
    phone,
    required,
)
from gateway.providers.provider import Provider
from gateway.runtime import runtime
from workers.sms.provider_api import (
    DEFAULT_SEND_TIMEOUT,
    OutboundSms,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    parse_retry_after,
)

NAME = "africastalking"
KEY_PARAM = "key"

log = logging.getLogger(__name__)

STATUSES: dict[str, MessageStatus] = {
    "Sent": MessageStatus.SENT,  # left Africa's Talking
    "Submitted": MessageStatus.SENT,  # with the carrier
    "Buffered": MessageStatus.SENT,  # queued by the carrier, handset not reachable yet
    "Success": MessageStatus.DELIVERED,
    "Rejected": MessageStatus.FAILED,  # the carrier refused it
    "Failed": MessageStatus.UNDELIVERED,  # the handset never got it
    "Expired": MessageStatus.UNDELIVERED,
}
# The user blocked messages from our sender: the closest Africa's Talking has to an opt-out.
OPT_OUT_REASONS = frozenset({"UserInBlackList", "UserInBlacklist"})

# Recipient statusCode in the send answer: accepted, or worth retrying later.
ACCEPTED_CODES = frozenset({100, 101, 102})  # Processed, Sent, Queued
TEMPORARY_CODES = frozenset({500, 501})  # InternalServerError, GatewayError
OPT_OUT_CODES = frozenset({406})  # UserInBlacklist
_WORD = re.compile(r"^[A-Za-z][A-Za-z ]{0,63}$")
# Inbound ``date``: the provider's clock may run a little ahead of ours, and a message may reach
# us late (an outage, retries); outside this window the time of receipt is the better guess.
CLOCK_SKEW = timedelta(minutes=5)
MAX_DELAY = timedelta(days=2)


def key_matches(given: str | None, expected: str) -> bool:
    """Whether the callback's ``key`` is ours; an empty configured key matches nothing."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def verify(query: Mapping[str, str], webhook_key: str) -> bool:
    """Whether the callback URL's query string carries our webhook key."""
    return key_matches(query.get(KEY_PARAM), webhook_key)


def parse_inbound(params: Mapping[str, str], *, now: datetime | None = None) -> InboundSms:
    """An inbound SMS, timed by Africa's Talking's ``date`` when it is believable (see
    ``received_at``), else by ``now``, the time of receipt."""
    now = now or datetime.now(UTC)
    provider_id = required(params, "id")
    sender = phone(params, "from")
    recipient = required(params, "to")
    if "text" not in params:
        raise InvalidPayload("text is required")
    text = params["text"]
    if len(text) > MAX_BODY:
        raise InvalidPayload(f"text is longer than {MAX_BODY} characters")
    return InboundSms(
        provider=NAME,
        provider_id=provider_id,
        sender=sender,
        recipient=recipient,
        text=text,
        received_at=received_at(params.get("date", ""), now),
        link_id=optional(params, "linkId"),
        network_code=optional(params, "networkCode"),
    )


def received_at(date: str, now: datetime) -> datetime:
    """When the message was received: the provider's ``date`` if it reads as a time from
    ``MAX_DELAY`` before ``now`` to ``CLOCK_SKEW`` after it, else ``now``, with a warning.

    A real message is never refused for its timestamp (the provider would retry it and then
    give up: a lost report), and a nonsense date never decides how long it is kept.
    """
    try:
        when = parse_date(date)
    except InvalidPayload:
        log.warning("africastalking date unreadable (%d characters); timed at receipt", len(date))
        return now
    if not now - MAX_DELAY <= when <= now + CLOCK_SKEW:
        log.warning("africastalking date %s is not believable; timed at receipt", when.isoformat())
        return now
    return when


def parse_date(value: str) -> datetime:
    """Africa's Talking's ``date``, in any of its forms, as UTC: ISO 8601 with or without a
    fraction and a zone (``Z`` or an offset), or ``YYYY-MM-DD HH:MM:SS``. A date without a
    zone is UTC."""
    try:
        when = datetime.fromisoformat(value.strip())
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # OverflowError: year 1 or 9999 moved to UTC
        raise InvalidPayload("date is not an ISO 8601 date and time") from exc


def parse_status(params: Mapping[str, str], our_id: str | None = None) -> StatusUpdate:
    """A delivery report. Unknown statuses map to ``unknown`` and are logged, never refused."""
    provider_id = required(params, "id")
    provider_status = required(params, "status")
    status = STATUSES.get(provider_status)
    if status is None:
        log.warning("africastalking status %r is unknown; recorded as unknown", provider_status)
        status = MessageStatus.UNKNOWN
    reason = optional(params, "failureReason")
    return StatusUpdate(
        provider=NAME,
        provider_id=provider_id,
        our_id=our_id,
        status=status,
        error_code=reason,
        failure_reason=reason,
        cost=optional(params, "cost"),
        opted_out=reason in OPT_OUT_REASONS,
        provider_status=provider_status,
    )


class _SmsService(SMSService):  # type: ignore[misc]
    """The SDK's SMS service answering with the raw ``requests`` response."""

    def __init__(self, username: str, api_key: str, base_url: str | None) -> None:
        super().__init__(username, api_key)
        if base_url:
            self._baseUrl = base_url.rstrip("/")
        self._session = requests.Session()

    def _make_request(
        self,
        url: str,
        method: str,
        headers: dict[str, str],
        data: Any,
        params: Any,
        callback: Any = None,
        timeout: Any = DEFAULT_SEND_TIMEOUT,
    ) -> requests.Response:
        return self._session.request(
            method, url, headers=headers, data=data, params=params, timeout=timeout
        )


class AfricasTalkingSender:
    """Sends through Africa's Talking's bulk SMS API, one recipient per call.

    ``sender_id`` is an approved alphanumeric sender id or short code; ``None`` lets Africa's
    Talking use the account's default.
    """

    name = NAME

    def __init__(
        self,
        username: str,
        api_key: str,
        sender_id: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_SEND_TIMEOUT,
    ) -> None:
        if not username or not api_key:
            raise ValueError("africastalking needs a username and an api key")
        self._service = _SmsService(username, api_key, base_url)
        self._sender_id = sender_id or None
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"AfricasTalkingSender(sender_id={self._sender_id!r})"

    def send(self, sms: OutboundSms) -> SendResult:
        try:
            response = self._service.send(
                sms.body, [sms.to], sender_id=self._sender_id, timeout=self._timeout
            )
        except ValueError:
            # The SDK's own number check; its message holds the number.
            raise PermanentFailure(
                "recipient is not an E.164 number", provider=NAME, error_code="InvalidPhoneNumber"
            ) from None
        except requests.RequestException as exc:
            raise TemporaryFailure(
                f"africastalking unreachable: {type(exc).__name__}",
                provider=NAME,
                maybe_sent=isinstance(exc, requests.ReadTimeout),
            ) from exc
        return _result(response)


def _result(response: requests.Response) -> SendResult:
    code = response.status_code
    if code == 429 or code >= 500:
        raise TemporaryFailure(
            f"africastalking answered HTTP {code}",
            provider=NAME,
            error_code=str(code),
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    if not 200 <= code < 300:
        # The body is plain text and may echo the number: keep only the status.
        raise PermanentFailure(
            f"africastalking answered HTTP {code}", provider=NAME, error_code=str(code)
        )
    try:
        data = json.loads(response.text)["SMSMessageData"]
        recipients = data["Recipients"]
    except (ValueError, KeyError, TypeError):
        raise TemporaryFailure(
            f"africastalking answered HTTP {code} without SMSMessageData",
            provider=NAME,
            maybe_sent=True,
        ) from None
    if not isinstance(recipients, list):
        raise TemporaryFailure(
            "africastalking answered an unreadable recipient list", provider=NAME, maybe_sent=True
        )
    if not recipients:
        # A bad sender id (or a blocked account) is answered 201 with nobody to send to.
        message = str(data.get("Message", ""))
        error_code = message if _WORD.match(message) else "NoRecipients"
        raise PermanentFailure(
            f"africastalking accepted no recipient: {error_code}",
            provider=NAME,
            error_code=error_code,
        )
    try:
        recipient = recipients[0]
        status_code = int(recipient["statusCode"])
        provider_id = str(recipient.get("messageId", ""))
        cost = str(recipient.get("cost") or "") or None
    except (KeyError, TypeError, ValueError, IndexError):
        raise TemporaryFailure(
            "africastalking answered an unreadable recipient", provider=NAME, maybe_sent=True
        ) from None
    status = str(recipient.get("status", ""))
    status = status if _WORD.match(status) else "Unknown"
    if status_code in ACCEPTED_CODES:
        if not provider_id:
            raise TemporaryFailure(
                "africastalking accepted without a messageId", provider=NAME, maybe_sent=True
            )
        return SendResult(
            provider=NAME, provider_id=provider_id, status=MessageStatus.QUEUED, cost=cost
        )
    reason = f"africastalking refused the recipient: {status_code} {status}"
    if status_code in TEMPORARY_CODES:
        raise TemporaryFailure(reason, provider=NAME, error_code=status)
    raise PermanentFailure(
        reason, provider=NAME, error_code=status, opted_out=status_code in OPT_OUT_CODES
    )


bp = Blueprint("africastalking_sms", __name__, url_prefix="/sms/africastalking")
ANSWER = "OK"


@bp.post("/inbound")
def inbound() -> Response:
    _check()
    sms = webhooks.parsed(lambda: parse_inbound(request.form))
    webhooks.handled(lambda: sms_intake.receive(runtime(), sms))
    return Response(ANSWER, 200, content_type="text/plain; charset=utf-8")


@bp.post("/delivery")
def delivery() -> Response:
    _check()
    update = webhooks.parsed(lambda: parse_status(request.form))
    webhooks.handled(lambda: sms_intake.apply_receipt(runtime(), update))
    return Response(ANSWER, 200, content_type="text/plain; charset=utf-8")


def _check() -> None:
    verified = verify(request.args, runtime().settings.at_webhook_key)
    webhooks.refuse_unless(verified, NAME, "bad or missing key")


def _sender(settings: Settings) -> AfricasTalkingSender:
    return AfricasTalkingSender(
        settings.at_username,
        settings.at_api_key,
        settings.at_sender_id or None,
        base_url=settings.at_api_url or None,
    )


PROVIDER = Provider(
    name=NAME,
    channel="sms",
    blueprint=bp,
    sender=_sender,
    required_settings=("KINGA_AT_USERNAME", "KINGA_AT_API_KEY"),
)
