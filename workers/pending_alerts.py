"""Pending alerts: a case whose alert reached nobody goes out, once, when someone for its area
is on call.

``queue_alerts`` keeps such an alert pending on the case. ``release_pending`` finds the pending
cases that have someone on call now and, one case per transaction, takes the pending mark
(``release_alert``, a conditional UPDATE) and queues the alerts in that same transaction: of
several workers releasing at once (the per-minute job on each worker, ``kinga users on-call``)
exactly one sends each alert, and a crash before the commit leaves it pending. The sends go
through the outbox, as every alert does.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis
from sqlalchemy.orm import Session, sessionmaker

from case_store.crypto import Vault
from case_store.models import OutboxRow
from case_store.operations import release_alert
from case_store.queries.cases import on_call_users, unalerted_cases
from workers import metrics
from workers.alerts import queue_alerts
from workers.context import Deployment, installed
from workers.dispatch import dispatch
from workers.queues import URGENT

log = logging.getLogger("kinga.pending_alerts")

JOB_QUEUE = URGENT  # a child may be in danger and nobody has been told yet
JOB_TIMEOUT = 120
BATCH = 500


def send_pending_alerts() -> int:
    """RQ job (every minute on the cron schedule): ``release_pending`` with this worker's
    settings; the number of cases whose alert went out."""
    context = installed()
    return release_pending(
        context.sessions,
        context.connection(),
        context.vault,
        profile=context.profile,
        max_segments=context.max_segments,
        now=datetime.now(UTC),
    )


def release_pending(
    sessions: sessionmaker[Session],
    connection: redis.Redis[bytes],
    vault: Vault,
    *,
    profile: Deployment,
    max_segments: int,
    now: datetime,
    batch: int = BATCH,
) -> int:
    """Send the pending alerts (``batch`` at most, longest waiting first) that have someone on
    call for their area at ``now``. Only those areas are read, so cases waiting in areas that
    nobody covers never hold back the others."""
    with sessions() as db:
        on_call = on_call_users(db, at=now, time_zone=profile.time_zone)
        reachable = [user for user in on_call if user.phone_encrypted is not None]
        if not reachable:
            return 0
        everywhere = any(not user.areas for user in reachable)
        areas = None if everywhere else {code for user in reachable for code in user.areas}
        ready = [case.id for case in unalerted_cases(db, location_codes=areas, limit=batch)]
    released = 0
    for case_id in ready:
        rows: list[OutboxRow] = []
        with sessions() as db:
            case = release_alert(db, case_id, now=now)
            if case is not None:
                rows = queue_alerts(
                    db, vault, case, profile=profile, max_segments=max_segments, now=now
                )
            if not rows:  # released elsewhere, or nobody after all: it stays as it was
                db.rollback()
                continue
            db.commit()
        dispatch(connection, rows)
        metrics.ALERTS.labels(kind=metrics.NEW_CASE, outcome=metrics.SENT).inc()
        released += 1
        log.warning("case %s: its pending alert went out to %s staff", case_id, len(rows))
    return released
