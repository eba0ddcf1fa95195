"""Primero's case webhooks: ``POST /primero/webhook`` with ``{"event": "case.update",
"data": {...}}``, authenticated by the ``x-api-key`` header (``KINGA_PRIMERO_WEBHOOK_KEY``).

Like a provider's adapter it verifies, parses into our own terms and hands over; unlike one it
is no SMS or USSD channel, so it is registered by the app factory, not in ``installed.py``.
Primero neither signs nor retries its webhooks: a wrong key is a 403 and nothing is stored;
a record Kinga did not create is ignored. What it says of one of ours (closed, open again, a
new workflow stage) goes through ``case_store.operations.primero.apply_primero_update``; a
webhook older than one applied already (its ``last_updated_at``), or a replay, changes
nothing, and a change that already holds writes nothing either.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, Response, request

from case_store.operations.primero import apply_primero_update, set_primero_updated_at
from case_store.queries.primero import case_by_primero_id
from gateway.providers import webhooks
from gateway.providers.events import InvalidPayload
from gateway.runtime import Runtime, runtime

NAME = "primero"
EVENTS = frozenset({"case.create", "case.update"})
MAX_ID = 64

log = logging.getLogger("kinga.primero")

bp = Blueprint("primero", __name__, url_prefix="/primero")


@dataclass(frozen=True)
class CaseUpdate:
    event: str
    primero_id: str
    status: str | None
    workflow: str | None
    updated_at: datetime | None


def verify(given: str | None, key: str) -> bool:
    """The ``x-api-key`` header against the configured key, in constant time."""
    if not key or not given:
        return False
    return hmac.compare_digest(given.encode(), key.encode())


def parse(body: bytes) -> CaseUpdate:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidPayload("the body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise InvalidPayload('expected {"event": …, "data": {…}}')
    event = payload.get("event", "case.update")
    if not isinstance(event, str):
        raise InvalidPayload("event must be a string")
    data = payload["data"]
    primero_id = data.get("id")
    if not isinstance(primero_id, str) or not primero_id or len(primero_id) > MAX_ID:
        raise InvalidPayload("data.id must be the record's id")
    return CaseUpdate(
        event=event,
        primero_id=primero_id,
        status=_word(data, "status"),
        workflow=_word(data, "workflow"),
        updated_at=_when(data.get("last_updated_at")),
    )


def _word(data: dict[str, object], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_ID:
        raise InvalidPayload(f"data.{name} must be a lookup id")
    return value


def _when(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidPayload("data.last_updated_at must be an ISO date and time")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidPayload("data.last_updated_at must be an ISO date and time") from None
    if when.tzinfo is None:
        raise InvalidPayload("data.last_updated_at must carry its time zone")
    return when


def apply(rt: Runtime, update: CaseUpdate) -> int:
    """Apply ``update`` to the case it names; the number of changes made."""
    if update.event not in EVENTS:
        return 0
    now = datetime.now(UTC)
    with rt.sessions() as db:
        case = case_by_primero_id(db, update.primero_id)
        if case is None:
            return 0
        if update.updated_at is not None and not set_primero_updated_at(
            db, case.id, update.updated_at
        ):
            return 0
        events = apply_primero_update(
            db, case, status=update.status, workflow=update.workflow, now=now
        )
        db.commit()
        if events:
            log.info("case %s: %s change(s) from Primero", case.id, len(events))
        return len(events)


@bp.post("/webhook")
def webhook() -> Response:
    rt = runtime()
    given = request.headers.get("x-api-key")
    webhooks.refuse_unless(verify(given, rt.settings.primero_webhook_key), NAME, "bad key")
    update = webhooks.parsed(lambda: parse(request.get_data()))
    webhooks.handled(lambda: apply(rt, update))
    return Response("", 204)
