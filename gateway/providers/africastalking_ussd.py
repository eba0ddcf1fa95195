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

NAME = "africastalking"
MAX_TEXT = 1000
MAX_ID = 128
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


def parse(request: Request) -> UssdRequest:
    if request.mimetype not in FORM_TYPES:
        raise BadRequest("expected a form-encoded body")
    form = request.form
    session_id = form.get("sessionId", "").strip()
    if not session_id:
        raise BadRequest("sessionId is required")
    if len(session_id) > MAX_ID:
        raise BadRequest("sessionId is too long")
    if not form.get("phoneNumber", "").strip():
        raise BadRequest("phoneNumber is required")
    try:
        phone = to_e164(form["phoneNumber"])
    except InvalidPhoneNumber as exc:
        raise BadRequest(str(exc)) from exc
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
