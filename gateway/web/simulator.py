"""The browser phone simulator (development only): a keypad page on the real USSD webhook path.

``GET /simulator`` is one small page; its script and style are files under ``static/`` (the
content security policy allows no inline code) and its settings are data attributes. Each
"Send" posts what the network would post to ``POST /simulator/hop``, which runs the Africa's
Talking webhook's own steps — the provider's ``parse`` on that form, ``intake.ussd_hop``, the
provider's ``render`` — and answers the exact ``CON``/``END`` body as JSON, with the room the
screen takes in its real encoding.

Only the webhook's ``key`` check is left out, and on purpose: the browser never holds the
webhook secret. The hop runs in-process rather than as an HTTP call to our own webhook, which
could deadlock a sync gunicorn worker waiting on itself. Sessions are keyed exactly like real
Africa's Talking sessions, with ids starting ``sim-`` so they cannot touch a real one.

``init_app`` registers nothing in production, where ``/simulator`` is a 404. A hop is refused
(409) unless ``KINGA_SMS_PROVIDERS`` is ``log``: what a simulated report queues (a reporter's
reference by SMS, staff alerts) is really queued, and simulating must never text a real phone.
"""

from __future__ import annotations

from typing import Any, Final

from flask import Blueprint, Flask, jsonify, render_template, request
from werkzeug.exceptions import BadRequest, Conflict, Forbidden

from dialogs.encoding import ussd_capacity
from gateway.channels.ussd import intake
from gateway.config.settings import Settings
from gateway.providers.africastalking import ussd as africastalking_ussd
from gateway.providers.webhooks import parsed
from gateway.runtime import runtime

bp = Blueprint(
    "simulator",
    __name__,
    url_prefix="/simulator",
    static_folder="static",
    template_folder="templates",
)

SESSION_PREFIX: Final = "sim-"
# A Kenyan mobile number in the range Safaricom uses; any number works, none is stored.
DEFAULT_PHONE: Final = "+254712345678"
NETWORK_CODE: Final = "63902"
# Browsers send a custom header only from our own page (cross-site forms cannot), so another
# site open in the developer's browser cannot drive the simulator.
HEADER: Final = "X-Kinga-Simulator"


def init_app(app: Flask, settings: Settings) -> bool:
    """Register the simulator unless in production (idempotent); says whether it is on."""
    if settings.production:
        return False
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    return True


@bp.get("")
def page() -> str:
    rt = runtime()
    return render_template(
        "simulator.html",
        service_code=rt.profile.service_code,
        phone=DEFAULT_PHONE,
        network_code=NETWORK_CODE,
        session_prefix=SESSION_PREFIX,
        header=HEADER,
    )


@bp.post("/hop")
def hop() -> Any:
    if request.headers.get(HEADER) != "1":
        raise Forbidden(f"the simulator page sends {HEADER}: 1")
    req = parsed(lambda: africastalking_ussd.parse(africastalking_ussd.posted_form()))
    if not req.session_id.startswith(SESSION_PREFIX):
        raise BadRequest(f"simulator session ids start with {SESSION_PREFIX!r}")
    rt = runtime()
    if rt.settings.sms_providers != ("log",):
        raise Conflict("the simulator texts for real: run it with KINGA_SMS_PROVIDERS=log only")
    reply = intake.ussd_hop(rt, africastalking_ussd.NAME, req)
    body = africastalking_ussd.render(reply.text, end=reply.end)
    capacity = ussd_capacity(reply.text, rt.profile.screen_budget)
    return jsonify(
        body=body,
        screen=reply.text,
        end=reply.end,
        encoding=capacity.encoding,
        used=capacity.used,
        limit=capacity.limit,
        characters=len(reply.text),
        fits=capacity.used <= capacity.limit,
    )
