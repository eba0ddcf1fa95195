"""Africa's Talking voice: the hotline number's calls, rejected, each a call-back request.

Africa's Talking notifies a call twice: while it rings (``isActive=1``), asking what to do, and
once it is over (``isActive=0``, with ``durationInSeconds``, ``hangupCause`` and the cost). To
the first we answer ``<Reject/>``: the call is refused before it is answered, so the caller
pays nothing, and the hotline calls back (``gateway.channels.voice``). Both notices record the
request, once. The callback URL carries the secret ``key``, as for SMS and USSD.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, Response, request

from gateway.channels.voice import intake
from gateway.providers import webhooks
from gateway.providers.africastalking.sms import verify
from gateway.providers.africastalking.ussd import posted_form
from gateway.providers.events import IncomingCall, InvalidPayload, phone, required
from gateway.providers.provider import Provider
from gateway.runtime import runtime

NAME = "africastalking"
ACTIVE = {"1": True, "0": False}
DIRECTIONS = {"inbound": True, "outbound": False}
XML = '<?xml version="1.0" encoding="UTF-8"?>'
REJECT = f"{XML}<Response><Reject/></Response>"
NOTHING = f"{XML}<Response/>"


def parse(form: Mapping[str, str]) -> IncomingCall:
    session_id = required(form, "sessionId")
    active = ACTIVE.get(form.get("isActive", "").strip())
    if active is None:
        raise InvalidPayload("isActive must be 1 or 0")
    inbound = DIRECTIONS.get(form.get("direction", "").strip().lower())
    if inbound is None:
        raise InvalidPayload("direction must be Inbound or Outbound")
    return IncomingCall(
        provider=NAME,
        session_id=session_id,
        caller=phone(form, "callerNumber"),
        inbound=inbound,
        active=active,
    )


bp = Blueprint("africastalking_voice", __name__, url_prefix="/voice/africastalking")


@bp.post("")
def call() -> Response:
    rt = runtime()
    webhooks.refuse_unless(
        verify(request.args, rt.settings.at_webhook_key), NAME, "missing or wrong key"
    )
    event = webhooks.parsed(lambda: parse(posted_form()))
    webhooks.handled(lambda: intake.missed_call(rt, event))
    answer = REJECT if event.active and event.inbound else NOTHING
    return Response(answer, status=200, mimetype="application/xml")


PROVIDER = Provider(name=NAME, channel="voice", blueprint=bp)
