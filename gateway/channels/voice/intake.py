"""A missed ("flash") call becomes a call-back request on the hotline's list.

People without airtime ring the helpline and hang up, or are rejected at no cost to them, to
ask to be called back. Every inbound call notice (ringing, or the notice that it ended, in
case the first never reached us) records the request; the case store keeps one per number per
hour, so a retried notice or a caller who rings again writes nothing more.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from case_store.masking import mask_phone
from case_store.operations import record_missed_call
from gateway.providers.events import IncomingCall
from gateway.runtime import Runtime
from workers import metrics

log = logging.getLogger("kinga.voice")


def missed_call(rt: Runtime, call: IncomingCall, now: datetime | None = None) -> bool:
    """Record the call-back request of ``call``; whether it is a new one. A call we placed
    ourselves is no request."""
    if not call.inbound:
        return False
    now = now or datetime.now(UTC)
    try:
        created = _record(rt, call, now)
    except IntegrityError:  # the same notice, delivered twice at once: the other one wrote it
        created = _record(rt, call, now)
    if created:
        metrics.MISSED_CALLS.labels(provider=call.provider).inc()
        log.info("missed call from %s: call-back requested", mask_phone(call.caller))
    return created


def _record(rt: Runtime, call: IncomingCall, now: datetime) -> bool:
    with rt.sessions() as db, db.begin():
        _missed, created = record_missed_call(
            db,
            rt.vault,
            provider=call.provider,
            external_id=call.session_id,
            phone=call.caller,
            called_at=now,
            language=rt.profile.language_for(call.caller),
        )
    return created
