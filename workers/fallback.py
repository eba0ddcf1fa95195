"""The fallback of last resort: an immediate or high case nobody acknowledged by its assign-by
deadline goes to the profile's ``alerts.fallback``.

The intake that opens such a case writes an outbox row for ``alert_fallback``; the dispatcher
schedules it for the case's assign-by time under one job id per case, like the escalation.
When it runs it records the fallback on the case (``fall_back``: audited, and only when the
case is due, still unacknowledged, open and not sent there before) and queues the alerts in
the same transaction, then dispatches them to the urgent queue. Reaching nobody (no fallback
user on call, no duty phone) writes nothing and is logged as an error: the case stays in
``kinga cases list --unalerted`` if its own alert is still pending.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis
from sqlalchemy.orm import Session, sessionmaker

from case_store.crypto import Vault
from case_store.enums import CaseStatus
from case_store.models import Case, OutboxRow
from case_store.operations import fall_back
from workers.alerts import queue_fallback_alerts
from workers.context import Deployment, installed
from workers.dispatch import dispatch

log = logging.getLogger("kinga.fallback")


class Outcome:
    """What ``alert_fallback`` returns (the job's result), one word each."""

    ALERTED = "alerted"
    NOBODY = "nobody"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"
    ALREADY = "already_alerted"
    NOT_DUE = "not_due"
    MISSING = "missing"


def alert_fallback(case_id: int, due: str | None = None) -> str:
    """RQ job: ``run_fallback`` for ``case_id`` now (``due`` is when it was scheduled for)."""
    context = installed()
    return run_fallback(
        context.sessions,
        context.connection(),
        context.vault,
        profile=context.profile,
        max_segments=context.max_segments,
        case_id=case_id,
        now=datetime.now(UTC),
    )


def run_fallback(
    sessions: sessionmaker[Session],
    connection: redis.Redis[bytes],
    vault: Vault,
    *,
    profile: Deployment,
    max_segments: int,
    case_id: int,
    now: datetime,
) -> str:
    """Send ``case_id`` to the fallback if it is due and still unacknowledged; an ``Outcome``."""
    rows: list[OutboxRow] = []
    with sessions() as db:
        case = fall_back(db, case_id, now=now)
        if case is not None:
            rows = queue_fallback_alerts(
                db, vault, case, profile=profile, max_segments=max_segments, now=now
            )
        if not rows:
            db.rollback()
            outcome = Outcome.NOBODY if case is not None else _why_not(db, case_id, now)
            if outcome == Outcome.NOBODY:
                log.error(
                    "fallback: case %s unacknowledged at its deadline reached nobody: no "
                    "fallback user on call for area %s and no duty phone",
                    case_id,
                    case.location_code if case is not None else "?",
                )
            else:
                log.info("fallback: case %s %s; nothing to do", case_id, outcome)
            return outcome
        db.commit()
    dispatch(sessions, connection, rows)
    log.warning("fallback: case %s unacknowledged at its deadline; %s alerted", case_id, len(rows))
    return Outcome.ALERTED


def _why_not(db: Session, case_id: int, now: datetime) -> str:
    case = db.get(Case, case_id)
    if case is None:
        return Outcome.MISSING
    if case.status is CaseStatus.CLOSED:
        return Outcome.CLOSED
    if case.acknowledged_at is not None:
        return Outcome.ACKNOWLEDGED
    if case.fallback_alerted_at is not None:
        return Outcome.ALREADY
    return Outcome.NOT_DUE
