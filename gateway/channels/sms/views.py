"""SMS webhooks: verify → parse → intake → render.

Twilio requests are checked against ``KINGA_PUBLIC_URL`` + path + query (the URL Twilio
called, even behind a proxy); Africa's Talking callbacks carry the ``key`` parameter. A bad
signature or key is a 403 and changes nothing; a payload we cannot accept is a 400 with the
reason; a database or Redis outage is a 503, so the provider may try again, and nothing half
done is left behind. Replies never ride in the answer: they are queued and sent by the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Response, abort, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from gateway.channels.sms import intake as sms_intake
from gateway.providers import africastalking_sms, twilio_sms
from gateway.providers.events import InvalidPayload
from gateway.runtime import runtime

log = logging.getLogger("kinga.sms")

bp = Blueprint("sms", __name__, url_prefix="/sms")

T = TypeVar("T")
AT_ANSWER = "OK"


@bp.post("/twilio/inbound")
def twilio_inbound() -> Response:
    _verify_twilio()
    sms = _parse(lambda: twilio_sms.parse_inbound(request.form))
    _intake(lambda: sms_intake.receive(runtime(), sms))
    body, content_type = twilio_sms.render_reply(None)
    return Response(body, 200, content_type=content_type)


@bp.post("/twilio/status")
def twilio_status() -> Response:
    _verify_twilio()
    update = _parse(lambda: twilio_sms.parse_status(request.form, request.args.get("id")))
    _intake(lambda: sms_intake.apply_receipt(runtime(), update))
    return Response("", 200)


@bp.post("/africastalking/inbound")
def africastalking_inbound() -> Response:
    _verify_africastalking()
    sms = _parse(lambda: africastalking_sms.parse_inbound(request.form))
    _intake(lambda: sms_intake.receive(runtime(), sms))
    return Response(AT_ANSWER, 200, content_type="text/plain; charset=utf-8")


@bp.post("/africastalking/delivery")
def africastalking_delivery() -> Response:
    _verify_africastalking()
    update = _parse(lambda: africastalking_sms.parse_status(request.form))
    _intake(lambda: sms_intake.apply_receipt(runtime(), update))
    return Response(AT_ANSWER, 200, content_type="text/plain; charset=utf-8")


def _verify_twilio() -> None:
    settings = runtime().settings
    query = request.query_string.decode("utf-8", "replace")
    url = settings.public_url + request.path + (f"?{query}" if query else "")
    if not twilio_sms.verify(
        url,
        request.form,
        request.headers.get(twilio_sms.SIGNATURE_HEADER),
        settings.twilio_auth_token,
        request.headers.get(twilio_sms.SIGNATURE_SETTINGS_HEADER),
    ):
        log.warning("twilio webhook %s refused: bad or missing signature", request.path)
        abort(403, description="bad or missing signature")


def _verify_africastalking() -> None:
    if not africastalking_sms.verify(request.args, runtime().settings.at_webhook_key):
        log.warning("africastalking webhook %s refused: bad or missing key", request.path)
        abort(403, description="bad or missing key")


def _parse(parse: Callable[[], T]) -> T:
    try:
        return parse()
    except InvalidPayload as exc:
        abort(400, description=str(exc))


def _intake(run: Callable[[], object]) -> None:
    try:
        run()
    except (RedisError, SQLAlchemyError):
        log.exception("sms webhook %s failed; the provider may retry", request.path)
        abort(503, description="try again later")
