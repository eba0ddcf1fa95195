"""What the deadline clock writes on its own: the sweep's hold on a case, each step taken (a
reminder, an escalation, the fallback), and when to look at the case next. No person acts here;
the events are recorded under the ``system`` actor.

A check starts with ``take_deadline_check``, a conditional UPDATE and the first write of its
transaction: of two sweeps (two workers, or a retried job) that found the same case due, one
takes it and the other finds it taken (on PostgreSQL it waits on the row and then sees the new
check time; SQLite serialises the writers). Each step is then written by a conditional insert
on the step table's unique (case, deadline, step), in the transaction that queues its SMS: a
step is taken once, whatever runs twice.

The operations that move a deadline or undo what met it call ``recheck_deadlines``, so the
sweep looks at the case again within the minute (a level raised makes a step due now).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.deadline_steps import ESCALATE, FALLBACK
from case_store.enums import CaseStatus, Deadline, EventKind, StepOutcome
from case_store.models import Case, DeadlineStep
from case_store.operations.audit import ACTOR_SYSTEM, iso, record_event


def recheck_deadlines(case: Case, *, now: datetime) -> None:
    """Have the sweep look at ``case`` again by ``now`` (its deadlines moved, or it is
    unmet again)."""
    now = as_utc(now, "now")
    if case.deadline_check_at is None or as_utc(case.deadline_check_at) > now:
        case.deadline_check_at = now


def take_deadline_check(session: Session, case_id: int, *, now: datetime) -> Case | None:
    """Take ``case_id`` for a deadline check due by ``now``; the case as it is now, or None
    when its check is not due or another sweep took it. The caller sets the next check
    (``next_deadline_check``) in the same transaction."""
    claimed = cast(
        CursorResult[Any],
        session.execute(
            update(Case)
            .where(Case.id == case_id, Case.deadline_check_at <= as_utc(now, "now"))
            .values(deadline_check_at=None)
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount != 1:
        return None
    return session.get(Case, case_id, populate_existing=True)


def next_deadline_check(case: Case, at: datetime | None) -> None:
    """When the sweep looks at ``case`` next; None when nothing is left to chase."""
    case.deadline_check_at = None if at is None else as_utc(at, "at")


def take_step(
    session: Session,
    case: Case,
    deadline: Deadline,
    step: str,
    *,
    outcome: StepOutcome,
    now: datetime,
    recipients: int = 0,
) -> bool:
    """Record that ``step`` of ``deadline`` was taken on ``case`` (the caller queues its SMS in
    the same transaction); False, writing nothing, when it was taken already.

    A reminder appends a ``reminded`` event; an escalation marks the case escalated (the
    deadline passed unmet, whoever could be told); a fallback that reached someone records when
    the case first went to the fallback. A skipped reminder appends nothing.
    """
    now = as_utc(now, "now")
    values = {
        "case_id": case.id,
        "deadline": deadline.value,
        "step": step,
        "outcome": outcome.value,
        "recipients": recipients,
        "at": now,
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # RETURNING, not the row count: psycopg reports -1 rows for INSERT … ON CONFLICT.
    inserted = session.scalar(
        insert(DeadlineStep)
        .values(values)
        .on_conflict_do_nothing(index_elements=["case_id", "deadline", "step"])
        .returning(DeadlineStep.id)
    )
    if inserted is None:
        return False
    if outcome is StepOutcome.SKIPPED:
        return True
    told: dict[str, Any] = {"deadline": deadline.value, "step": step, "recipients": recipients}
    if step == ESCALATE:
        before: dict[str, Any] = {"status": case.status.value}
        case.status = CaseStatus.ESCALATED
        after = {"status": case.status.value, **told}
        record_event(session, case, EventKind.ESCALATED, ACTOR_SYSTEM, None, now, after, before)
    elif step == FALLBACK:
        before = {"fallback_alerted_at": iso(case.fallback_alerted_at)}
        if case.fallback_alerted_at is None and outcome is StepOutcome.SENT:
            case.fallback_alerted_at = now
        after = {"fallback_alerted_at": iso(case.fallback_alerted_at), **told}
        record_event(
            session, case, EventKind.FALLBACK_ALERTED, ACTOR_SYSTEM, None, now, after, before
        )
    else:
        record_event(session, case, EventKind.REMINDED, ACTOR_SYSTEM, None, now, told)
    return True
