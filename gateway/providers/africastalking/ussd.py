"""Africa's Talking USSD: its webhooks, the key check, parsing into our USSD events, and the
``CON``/``END`` answer.

Africa's Talking signs nothing, so the callback URL carries a secret ``key`` parameter (checked
as for SMS). ``text`` is the whole input so far (``""``, ``1``, ``1*2``…); ``new_answer`` is the
rule that splits out the answer just typed, given what the session saw last. Parsing takes
plain mappings and raises ``InvalidPayload`` only; the views turn it into a 400.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from flask import Blueprint, Response, abort, request

from gateway.channels.ussd import intake
from gateway.phones import InvalidPhoneNumber, to_e164
from gateway.providers import webhooks
from gateway.providers.africastalking.sms import verify
from gateway.providers.events import (
    InvalidPayload,
    SeenText,
    UssdOutcome,
    UssdRequest,
    UssdSessionEnded,
    required,
)
from gateway.providers.provider import Provider
from gateway.runtime import runtime

NAME = "africastalking"
MAX_TEXT = 1000
MAX_DURATION_MS = 24 * 60 * 60 * 1000  # sessions last minutes; more is not a duration
# Numbers of the sessions under way in this process, parsed once each (see ``_e164``).
NUMBERS_KEPT = 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


# ``Success``: ended on END; ``Incomplete``: the caller dropped or timed out on a CON screen;
# ``Failed``: our side failed.
OUTCOMES = {
    "Success": UssdOutcome.COMPLETED,
    "Incomplete": UssdOutcome.DROPPED,
    "Failed": UssdOutcome.FAILED,
}


def _session_and_phone(form: Mapping[str, str]) -> tuple[str, str]:
    session_id = required(form, "sessionId")
    if not form.get("phoneNumber", "").strip():
        raise InvalidPayload("phoneNumber is required")
    try:
        return session_id, _e164(form["phoneNumber"])
    except InvalidPhoneNumber as exc:
        raise InvalidPayload(str(exc)) from exc


@functools.lru_cache(maxsize=NUMBERS_KEPT)
def _e164(number: str) -> str:
    """``to_e164``, once per number: every hop of a session sends the caller's number again,
    and parsing it is a good share of a hop. Only valid numbers are kept (an invalid one
    raises), the least recently seen leave first, and nothing outlives the process."""
    return to_e164(number)


def parse_session_end(form: Mapping[str, str]) -> UssdSessionEnded:
    session_id, phone = _session_and_phone(form)
    status = form.get("status", "").strip()
    if not status:
        raise InvalidPayload("status is required")
    return UssdSessionEnded(
        session_id=session_id,
        phone=phone,
        outcome=OUTCOMES.get(status, UssdOutcome.UNKNOWN),
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


def parse(form: Mapping[str, str]) -> UssdRequest:
    session_id, phone = _session_and_phone(form)
    text = form.get("text", "")
    if len(text) > MAX_TEXT:
        raise InvalidPayload(f"text is longer than {MAX_TEXT} characters")
    return UssdRequest(
        session_id=session_id,
        service_code=form.get("serviceCode", "")[:32],
        phone=phone,
        network_code=form.get("networkCode", "")[:16],
        text=text,
        new_answer=new_answer,
    )


def new_answer(text: str, seen: SeenText) -> str:
    """The answer just typed, from the cumulative ``text``: what follows the previous text and
    its ``*`` separator, so an answer that itself contains ``*`` survives whole."""
    if seen.length == 0:
        return text
    if text[seen.length : seen.length + 1] == "*" and seen.matches(text[: seen.length]):
        return text[seen.length + 1 :]
    # The network rebuilt the path differently (rare); the last field is the best guess.
    return text.rsplit("*", 1)[-1]


def render(text: str, *, end: bool) -> str:
    return ("END " if end else "CON ") + text


bp = Blueprint("africastalking_ussd", __name__, url_prefix="/ussd/africastalking")


@bp.post("")
def hop() -> Response:
    rt = runtime()
    _check(rt.settings.at_webhook_key)
    req = webhooks.parsed(lambda: parse(posted_form()))
    reply = intake.ussd_hop(rt, NAME, req)
    return Response(render(reply.text, end=reply.end), status=200, mimetype="text/plain")


@bp.post("/events")
def session_ended() -> Response:
    rt = runtime()
    _check(rt.settings.at_webhook_key)
    event = webhooks.parsed(lambda: parse_session_end(posted_form()))
    intake.ussd_session_ended(rt, NAME, event)
    return Response("", status=200, mimetype="text/plain")


def _check(webhook_key: str) -> None:
    webhooks.refuse_unless(verify(request.args, webhook_key), NAME, "missing or wrong key")


def posted_form() -> Mapping[str, str]:
    """The form Africa's Talking posted; any other body is a 400."""
    if request.mimetype not in FORM_TYPES:
        abort(400, description="expected a form-encoded body")
    return request.form


PROVIDER = Provider(name=NAME, channel="ussd", blueprint=bp)
