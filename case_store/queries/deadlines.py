"""Reads for the deadline sweep: the cases whose check is due, and the steps a case's
deadlines have had."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.enums import Deadline
from case_store.models import Case, DeadlineStep


def due_deadline_checks(session: Session, *, now: datetime, limit: int) -> list[int]:
    """The ids of the cases whose deadline check is due at ``now``, longest due first: a range
    scan of the partial index ``ix_case_deadline_check``, however many cases are open."""
    return list(
        session.scalars(
            select(Case.id)
            .where(Case.deadline_check_at <= as_utc(now, "now"))
            .order_by(Case.deadline_check_at, Case.id)
            .limit(limit)
        )
    )


def steps_taken(session: Session, case_id: int) -> dict[Deadline, dict[str, datetime]]:
    """Each deadline's steps taken on the case (sent, skipped or found nobody), with when."""
    taken: dict[Deadline, dict[str, datetime]] = {deadline: {} for deadline in Deadline}
    rows = session.execute(
        select(DeadlineStep.deadline, DeadlineStep.step, DeadlineStep.at).where(
            DeadlineStep.case_id == case_id
        )
    )
    for deadline, step, at in rows:
        taken[deadline][step] = at
    return taken
