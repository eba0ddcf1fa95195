"""Twilio SMS: verify the signature, parse inbound messages and status callbacks, render the
TwiML reply, send.

Nothing here knows Flask: the webhook view passes the public URL Twilio called
(``KINGA_PUBLIC_URL`` + path + query, so it works behind a proxy), the form fields and the
``X-Twilio-Signature`` header. Our own message id travels in the status callback URL we set when
sending, so a receipt never has to wait for the provider id to be stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from flask import Blueprint, Response, request
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

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
    short,
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

NAME = "twilio"
# Our status callback route: each send asks Twilio to call it, with our message id in ``?id=``.
STATUS_PATH = "/sms/twilio/status"
SIGNATURE_HEADER = "X-Twilio-Signature"
SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
REPLY_CONTENT_TYPE = "text/xml; charset=utf-8"
OPT_OUT_ERROR = "21610"  # the recipient replied STOP; Twilio refuses every send until START

log = logging.getLogger(__name__)

STATUSES: dict[str, MessageStatus] = {
    "accepted": MessageStatus.QUEUED,  # a messaging service took it, no sender chosen yet
    "scheduled": MessageStatus.QUEUED,
    "queued": MessageStatus.QUEUED,
    "sending": MessageStatus.SENDING,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,  # past delivered; read receipts are not tracked
    # Some parts arrived: the reader has most of it, and resending would duplicate those parts.
    "partially_delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,  # a scheduled message cancelled before sending
    # Statuses of inbound messages; they say nothing about a message we sent.
    "receiving": MessageStatus.UNKNOWN,
    "received": MessageStatus.UNKNOWN,
}

# Delivery error codes an operator sees most, named for the message log.
FAILURE_REASONS = {
    OPT_OUT_ERROR: "opted_out",
    "30003": "unreachable_handset",
    "30004": "message_blocked",
    "30005": "unknown_destination",
    "30006": "landline_or_unreachable_carrier",
    "30007": "carrier_filtered",
    "30008": "unknown_error",
}

# Twilio answers 400 when a sender's queue is full; waiting helps, failing over is not needed.
TEMPORARY_ERRORS = frozenset({"21611"})


def verify(
    url: str,
    params: Mapping[str, str],
    signature: str | None,
    auth_token: str,
    signature_settings: str | None = None,
) -> bool:
    """Whether ``signature`` is Twilio's for ``url`` and every field received.

    ``params`` must hold every field Twilio posted (Twilio adds fields without notice); a
    Werkzeug ``MultiDict`` keeps repeated fields. ``signature_settings`` is the
    ``X-Twilio-Webhooks-Signature-Settings`` header, which selects HMAC-SHA256 for webhooks
    signed with a shared key (then ``auth_token`` is that key's secret).
    """
    if not auth_token or not signature:
        return False
    algorithm = get_signature_algorithm(signature_settings)
    return bool(RequestValidator(auth_token).validate(url, params, signature, algorithm))


def parse_inbound(params: Mapping[str, str], *, now: datetime | None = None) -> InboundSms:
    """An inbound SMS. Twilio's webhook carries no timestamp, so ``received_at`` is now.

    An MMS (``NumMedia`` > 0) may come without ``Body``: it is kept as an empty text, so the
    sender still gets the dialog's answer; its media are neither fetched nor stored.
    """
    provider_id = required(params, "MessageSid")
    sender = phone(params, "From")
    recipient = required(params, "To")
    if "Body" not in params and not _has_media(params):
        raise InvalidPayload("Body is required")
    text = params.get("Body", "")
    if len(text) > MAX_BODY:
        raise InvalidPayload(f"Body is longer than {MAX_BODY} characters")
    return InboundSms(
        provider=NAME,
        provider_id=provider_id,
        sender=sender,
        recipient=recipient,
        text=text,
        received_at=now or datetime.now(UTC),
    )


def _has_media(params: Mapping[str, str]) -> bool:
    count = params.get("NumMedia", "").strip()
    # Compared as text: int() of thousands of digits raises.
    return count.isascii() and count.isdigit() and count.strip("0") != ""


def parse_status(params: Mapping[str, str], our_id: str | None) -> StatusUpdate:
    """A status callback. Unknown statuses map to ``unknown`` and are logged, never refused.
    ``our_id`` is the ``id`` of the callback URL; one that is no id of ours (see
    ``case_store.queries.messages.find_message``) leaves the provider's ``MessageSid`` to match."""
    provider_id = required(params, "MessageSid")
    provider_status = required(params, "MessageStatus").lower()
    status = STATUSES.get(provider_status)
    if status is None:
        log.warning("twilio status %r is unknown; recorded as unknown", provider_status)
        status = MessageStatus.UNKNOWN
    error_code = optional(params, "ErrorCode")
    return StatusUpdate(
        provider=NAME,
        provider_id=provider_id,
        our_id=short(our_id),
        status=status,
        error_code=error_code,
        failure_reason=FAILURE_REASONS.get(error_code or ""),
        opted_out=error_code == OPT_OUT_ERROR,
        provider_status=provider_status,
    )


def render_reply(text: str | None) -> tuple[str, str]:
    """The TwiML answer and its content type; no text gives an empty ``<Response />``."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response), REPLY_CONTENT_TYPE


class _HttpClient(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's HTTP client, sent to ``base_url`` instead of Twilio when one is given (the
    fake server in tests), and remembering the last response headers per thread so a 429's
    ``Retry-After`` survives the SDK's exception, which drops them."""

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._base = urlsplit(base_url.rstrip("/")) if base_url else None
        self._local = threading.local()

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        if self._base is not None:
            parts = urlsplit(url)
            url = urlunsplit(
                (
                    self._base.scheme,
                    self._base.netloc,
                    self._base.path + parts.path,
                    parts.query,
                    "",
                )
            )
        self._local.headers = None
        response = super().request(
            method, url, params, data, headers, auth, timeout, allow_redirects
        )
        self._local.headers = response.headers
        return response

    def last_header(self, name: str) -> str | None:
        headers: Any = getattr(self._local, "headers", None)
        return None if headers is None else headers.get(name)


class TwilioSender:
    """Sends through Twilio's Messages API. ``sender`` is a phone number, an alphanumeric
    sender id, or a messaging service sid (``MG…``)."""

    name = NAME

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        *,
        base_url: str | None = None,
        public_url: str | None = None,
        timeout: float = DEFAULT_SEND_TIMEOUT,
    ) -> None:
        """``public_url``: where Twilio reaches us (``KINGA_PUBLIC_URL``), for the status
        callback of each message; None asks for no callback."""
        if not account_sid or not auth_token or not sender:
            # The SDK would fall back to TWILIO_* environment variables; Kinga reads KINGA_* only.
            raise ValueError("twilio needs an account sid, an auth token and a sender")
        self._http = _HttpClient(base_url, timeout)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self._sender = sender
        self._status_url = None if public_url is None else public_url.rstrip("/") + STATUS_PATH

    def __repr__(self) -> str:
        return f"TwilioSender(sender={self._sender!r})"

    def send(self, sms: OutboundSms) -> SendResult:
        origin = (
            {"messaging_service_sid": self._sender}
            if self._sender.startswith("MG")
            else {"from_": self._sender}
        )
        callback = (
            {"status_callback": f"{self._status_url}?id={sms.message_id}"}
            if self._status_url is not None
            else {}
        )
        try:
            message = self._client.messages.create(to=sms.to, body=sms.body, **origin, **callback)
        except (TwilioRestException, TwilioServiceException) as exc:
            # Twilio's messages echo phone numbers: keep only the status and the code.
            raise self._failure(int(exc.status), exc.code) from None
        except requests.RequestException as exc:
            raise TemporaryFailure(
                f"twilio unreachable: {type(exc).__name__}",
                provider=NAME,
                maybe_sent=isinstance(exc, requests.ReadTimeout),
            ) from exc
        except ValueError:
            raise TemporaryFailure(
                "twilio answered something that is not JSON", provider=NAME, maybe_sent=True
            ) from None
        if not message.sid:
            raise TemporaryFailure(
                "twilio answered without a message sid", provider=NAME, maybe_sent=True
            )
        status = STATUSES.get(str(message.status or "queued"), MessageStatus.QUEUED)
        cost = f"{message.price_unit} {message.price.lstrip('-')}" if message.price else None
        return SendResult(provider=NAME, provider_id=message.sid, status=status, cost=cost)

    def _failure(self, http_status: int, code: object) -> TemporaryFailure | PermanentFailure:
        error_code = str(code) if code is not None else None
        reason = f"twilio answered HTTP {http_status}, error {error_code}"
        if http_status == 429 or http_status >= 500 or error_code in TEMPORARY_ERRORS:
            retry_after = parse_retry_after(self._http.last_header("Retry-After"))
            return TemporaryFailure(
                reason, provider=NAME, error_code=error_code, retry_after=retry_after
            )
        return PermanentFailure(
            reason, provider=NAME, error_code=error_code, opted_out=error_code == OPT_OUT_ERROR
        )


bp = Blueprint("twilio_sms", __name__)


@bp.post("/sms/twilio/inbound")
def inbound() -> Response:
    _check()
    sms = webhooks.parsed(lambda: parse_inbound(request.form))
    webhooks.handled(lambda: sms_intake.receive(runtime(), sms))
    body, content_type = render_reply(None)
    return Response(body, 200, content_type=content_type)


@bp.post(STATUS_PATH)
def status() -> Response:
    _check()
    update = webhooks.parsed(lambda: parse_status(request.form, request.args.get("id")))
    webhooks.handled(lambda: sms_intake.apply_receipt(runtime(), update))
    return Response("", 200)


def _check() -> None:
    """Signed over ``KINGA_PUBLIC_URL`` + path + query: the URL Twilio called, even behind a
    proxy."""
    settings = runtime().settings
    query = request.query_string.decode("utf-8", "replace")
    url = settings.public_url + request.path + (f"?{query}" if query else "")
    verified = verify(
        url,
        request.form,
        request.headers.get(SIGNATURE_HEADER),
        settings.twilio_auth_token,
        request.headers.get(SIGNATURE_SETTINGS_HEADER),
    )
    webhooks.refuse_unless(verified, NAME, "bad or missing signature")


def _sender(settings: Settings) -> TwilioSender:
    return TwilioSender(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_from,
        base_url=settings.twilio_api_url or None,
        public_url=settings.public_url,
    )


PROVIDER = Provider(
    name=NAME,
    channel="sms",
    blueprint=bp,
    sender=_sender,
    required_settings=(
        "KINGA_TWILIO_ACCOUNT_SID",
        "KINGA_TWILIO_AUTH_TOKEN",
        "KINGA_TWILIO_FROM",
    ),
)
