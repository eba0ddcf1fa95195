"""Retention: personal data is blanked once its period has passed (``case_store.retention``
holds the periods); rows and counts stay.

``purge`` never commits. It appends a ``retention_purged`` event to every case it blanks and
returns a ``MaintenanceRun`` with the counts per kind, the periods and the cutoffs applied.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, exists, or_, select, update
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.enums import CaseStatus, EventKind, MaintenanceKind
from case_store.models import Case, CaseEvent, MaintenanceRun, Message, MissedCall, Reporter
from case_store.retention import KINDS, RetentionPolicy

BATCH = 500
ACTOR_RETENTION = "retention"


def purge(session: Session, policy: RetentionPolicy, *, now: datetime) -> MaintenanceRun:
    """Blank everything whose period has passed at ``now``; idempotent (a second run finds
    nothing left to blank)."""
    now = as_utc(now, "now")
    cutoffs = {kind: now - getattr(policy, kind) for kind in KINDS}
    counts = {
        "narrative": _purge_narratives(session, cutoffs["narrative"], now),
        "reporter_phone": _purge_reporter_phones(session, cutoffs["reporter_phone"]),
        "message_body": _blank_messages(session, Message.body_encrypted, cutoffs["message_body"]),
        "message_phone": _blank_messages(
            session, Message.phone_encrypted, cutoffs["message_phone"]
        ),
    }
    run = MaintenanceRun(
        kind=MaintenanceKind.RETENTION_PURGE,
        started_at=now,
        finished_at=now,
        progress={
            "periods": policy.describe(),
            "cutoffs": {kind: cutoff.isoformat() for kind, cutoff in cutoffs.items()},
        },
        counts=counts,
    )
    session.add(run)
    session.flush()
    return run


def _purge_narratives(session: Session, cutoff: datetime, now: datetime) -> int:
    """Closed cases past the cutoff lose narrative and place; each gets an audit event."""
    due = (
        select(Case)
        .where(
            Case.status == CaseStatus.CLOSED,
            Case.closed_at < cutoff,
            or_(Case.narrative_encrypted.is_not(None), Case.place_encrypted.is_not(None)),
        )
        .order_by(Case.id)
        .limit(BATCH)
    )
    total = 0
    while cases := list(session.scalars(due)):
        for case in cases:
            before = {
                "has_narrative": case.narrative_encrypted is not None,
                "has_place": case.place_encrypted is not None,
            }
            case.narrative_encrypted = None
            case.place_encrypted = None
            session.add(
                CaseEvent(
                    case=case,
                    kind=EventKind.RETENTION_PURGED,
                    actor=ACTOR_RETENTION,
                    at=now,
                    data={
                        "before": before,
                        "after": {"has_narrative": False, "has_place": False},
                    },
                )
            )
        session.flush()
        total += len(cases)
    return total


def _purge_reporter_phones(session: Session, cutoff: datetime) -> int:
    recent_or_open = exists().where(
        Case.reporter_id == Reporter.id,
        or_(
            Case.status != CaseStatus.CLOSED,
            Case.closed_at.is_(None),
            Case.closed_at >= cutoff,
        ),
    )
    # A missed call waiting for its call back, or answered within the period, keeps it too.
    missed_call = exists().where(
        MissedCall.reporter_id == Reporter.id,
        or_(MissedCall.closed_at.is_(None), MissedCall.closed_at >= cutoff),
    )
    statement = (
        update(Reporter)
        .where(
            Reporter.phone_encrypted.is_not(None),
            Reporter.created_at < cutoff,
            ~recent_or_open,
            ~missed_call,
        )
        .values(phone_encrypted=None)
        .execution_options(synchronize_session="fetch")
    )
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def _blank_messages(session: Session, column: Any, cutoff: datetime) -> int:
    statement = (
        update(Message)
        .where(and_(column.is_not(None), Message.created_at < cutoff))
        .values({column.key: None})
        .execution_options(synchronize_session="fetch")
    )
    return cast(CursorResult[Any], session.execute(statement)).rowcount
