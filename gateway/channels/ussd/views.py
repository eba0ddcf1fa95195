"""USSD webhooks: verify → parse → intake → render."""

from __future__ import annotations

from flask import Blueprint, Response, request

from gateway.channels.ussd import intake
from gateway.providers import africastalking_ussd
from gateway.runtime import runtime

bp = Blueprint("ussd", __name__, url_prefix="/ussd")


@bp.post("/africastalking")
def africastalking() -> Response:
    rt = runtime()
    africastalking_ussd.verify(request, rt.settings.at_webhook_key)
    req = africastalking_ussd.parse(request)
    reply = intake.ussd_hop(rt, africastalking_ussd.NAME, req)
    return africastalking_ussd.render(reply.text, end=reply.end)


@bp.post("/africastalking/events")
def africastalking_events() -> Response:
    rt = runtime()
    africastalking_ussd.verify(request, rt.settings.at_webhook_key)
    event = africastalking_ussd.parse_session_end(request)
    intake.ussd_session_ended(rt, africastalking_ussd.NAME, event)
    return Response("", status=200, mimetype="text/plain")
