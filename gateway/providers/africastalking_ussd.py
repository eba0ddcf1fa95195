"""Africa's Talking USSD: verify the callback, parse it, render the ``CON``/``END`` answer.

Africa's Talking signs nothing, so the callback URL carries a secret ``key`` parameter.
``text`` is the whole input so far (``""``, ``1``, ``1*2``…); splitting out the new input is
the intake's job, because it needs the previous text of the session.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request, Response
from werkzeug.exceptions import BadRequest, Forbidden

from gateway.phones import InvalidPhoneNumber, to_e164
from gateway.providers import africastalking_sms
from gateway.providers.events import InvalidPayload, required

NAME = "africastalking"
MAX_TEXT = 1000
MAX_DURATION_MS = 24 * 60 * 60 * 1000  # sessions last minutes; more is not a duration
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class UssdRequest:
    session_id: str
    service_code: str
    phone: str
    network_code: str
    text: str


def verify(request: Request, webhook_key: str) -> None:
    if not africastalking_sms.verify(request.args, webhook_key):
        raise Forbidden("missing or wrong key")


@dataclass(frozen=True)
class UssdSessionEnded:
    """The end-of-session notification: ``Success`` (ended on END), ``Incomplete`` (the caller
    dropped or timed out on a CON screen) or ``Failed`` (our side failed)."""

    session_id: str
    phone: str
    status: str
    duration_ms: int | None
    error: str


SESSION_STATUSES = ("Success", "Incomplete", "Failed")


def _session_and_phone(request: Request) -> tuple[str, str]:
    if request.mimetype not in FORM_TYPES:
        raise BadRequest("expected a form-encoded body")
    form = request.form
    try:
        session_id = required(form, "sessionId")
    except InvalidPayload as exc:
        raise BadRequest(str(exc)) from exc
    if not form.get("phoneNumber", "").strip():
        raise BadRequest("phoneNumber is required")
    try:
        return session_id, to_e164(form["phoneNumber"])
    except InvalidPhoneNumber as exc:
        raise BadRequest(str(exc)) from exc


def parse_session_end(request: Request) -> UssdSessionEnded:
    session_id, phone = _session_and_phone(request)
    form = request.form
    status = form.get("status", "").strip()
    if not status:
        raise BadRequest("status is required")
    return UssdSessionEnded(
        session_id=session_id,
        phone=phone,
        status=status[:32],
        duration_ms=_duration(form.get("durationInMillis", "")),
        error=form.get("errorMessage", "")[:200],
    )


def _duration(value: str) -> int | None:
    """``durationInMillis`` in ASCII digits (``str.isdigit`` accepts ``²``), or None when it is
    anything else or longer than any session (it dates the start of a dropped contact)."""
    value = value.strip()
    # The length first: int() refuses thousands of digits.
    if value.isascii() and value.isdigit() and len(value) <= 12:
        duration = int(value)
        if duration <= MAX_DURATION_MS:
            return duration
    return None


def parse(request: Request) -> UssdRequest:
    session_id, phone = _session_and_phone(request)
    form = request.form
    text = form.get("text", "")
    if len(text) > MAX_TEXT:
        raise BadRequest(f"text is longer than {MAX_TEXT} characters")
    return UssdRequest(
        session_id=session_id,
        service_code=form.get("serviceCode", "")[:32],
        phone=phone,
        network_code=form.get("networkCode", "")[:16],
        text=text,
    )


def render(text: str, *, end: bool) -> Response:
    body = ("END " if end else "CON ") + text
    return Response(body, status=200, mimetype="text/plain")
