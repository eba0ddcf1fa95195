"""Escalation: an immediate case nobody acknowledged in time goes to the on-call supervisors
(those the fallback of last resort told already are left out: ``workers.fallback``).

The intake that opens an immediate case writes an outbox row for ``escalate_case``; the
dispatcher schedules it for the due time (``TriagePolicy.escalate_within`` after the case
opened) under one job id per case. When it runs it does nothing if the case was acknowledged
or closed meanwhile, or was escalated already; otherwise it marks the case escalated (the
named operation ``escalate``, audited) and queues the supervisors' alerts in the same
transaction, then dispatches them to the urgent queue.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis
from sqlalchemy.orm import Session, sessionmaker

from case_store.crypto import Vault
from case_store.enums import CaseStatus
from case_store.models import Case
from case_store.operations import escalate
from case_store.triage import TriagePolicy
from workers.alerts import escalation_due, queue_alerts
from workers.context import Deployment, installed
from workers.dispatch import dispatch

log = logging.getLogger("kinga.escalation")


class Outcome:
    """What ``escalate_case`` returns (the job's result), one word each."""

    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"
    ALREADY = "already_escalated"
    NOT_DUE = "not_due"
    MISSING = "missing"


def escalate_case(case_id: int, due: str | None = None) -> str:
    """RQ job: ``run_escalation`` for ``case_id`` now (``due`` is when it was scheduled for)."""
    context = installed()
    return run_escalation(
        context.sessions,
        context.connection(),
        context.vault,
        profile=context.profile,
        policy=context.triage,
        max_segments=context.max_segments,
        case_id=case_id,
        now=datetime.now(UTC),
    )


def run_escalation(
    sessions: sessionmaker[Session],
    connection: redis.Redis[bytes],
    vault: Vault,
    *,
    profile: Deployment,
    policy: TriagePolicy,
    max_segments: int,
    case_id: int,
    now: datetime,
) -> str:
    """Escalate ``case_id`` if it is due and still unacknowledged; returns an ``Outcome``."""
    rows = []
    with sessions.begin() as db:
        case = db.get(Case, case_id, with_for_update=True)
        if case is None:
            log.warning("escalation: case %s does not exist", case_id)
            return Outcome.MISSING
        if case.status is CaseStatus.CLOSED:
            outcome = Outcome.CLOSED
        elif case.acknowledged_at is not None:
            outcome = Outcome.ACKNOWLEDGED
        elif now < escalation_due(case, policy):
            log.warning("escalation: case %s is not due yet; nothing done", case_id)
            return Outcome.NOT_DUE
        elif escalate(db, case, now=now) is None:
            outcome = Outcome.ALREADY
        else:
            rows = queue_alerts(
                db,
                vault,
                case,
                profile=profile,
                max_segments=max_segments,
                now=now,
                escalation=True,
            )
            outcome = Outcome.ESCALATED
        if outcome != Outcome.ESCALATED:
            log.info("escalation: case %s %s; nothing to do", case_id, outcome)
            return outcome
    dispatch(sessions, connection, rows)
    log.warning("escalation: case %s not acknowledged in time; supervisors alerted", case_id)
    return outcome
