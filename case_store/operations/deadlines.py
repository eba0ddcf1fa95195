"""What the deadline clock does to a case on its own when nobody acknowledged it: escalate it,
and send it to the deployment's fallback of last resort.

No person acts here; the events are recorded under the ``system`` actor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.enums import CaseStatus, EventKind
from case_store.models import Case, CaseEvent
from case_store.operations.audit import ACTOR_SYSTEM, iso, record_event, refuse_if_closed
from case_store.queries.cases import ACTIVE_STATUSES

NOT_ACKNOWLEDGED = "not_acknowledged"


def escalate(
    session: Session, case: Case, *, now: datetime, reason: str = NOT_ACKNOWLEDGED
) -> CaseEvent | None:
    """Mark ``case`` escalated (supervisors are alerted by the caller); None when it already is.

    A closed case is refused (``InvalidTransition``): there is nothing left to escalate.
    """
    refuse_if_closed(case, "escalate")
    if case.status is CaseStatus.ESCALATED:
        return None
    now = as_utc(now, "now")
    before = {"status": case.status.value}
    case.status = CaseStatus.ESCALATED
    after = {"status": case.status.value, "reason": reason}
    return record_event(session, case, EventKind.ESCALATED, ACTOR_SYSTEM, None, now, after, before)


def fall_back(session: Session, case_id: int, *, now: datetime) -> Case | None:
    """Record that ``case_id``, unacknowledged at its assign-by deadline, goes to the fallback
    now (the caller queues the alerts in the same transaction). None when it is not due, was
    acknowledged or closed, or went to the fallback already.

    A conditional UPDATE, the first write of the transaction: two runs at once (a retry, a
    sweep) send it once.
    """
    now = as_utc(now, "now")
    claimed = cast(
        CursorResult[Any],
        session.execute(
            update(Case)
            .where(
                Case.id == case_id,
                Case.fallback_alerted_at.is_(None),
                Case.acknowledged_at.is_(None),
                Case.status.in_(ACTIVE_STATUSES),
                Case.assign_by <= now,
            )
            .values(fallback_alerted_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount != 1:
        return None
    case = session.get(Case, case_id, populate_existing=True)
    assert case is not None
    before: dict[str, Any] = {"fallback_alerted_at": None}
    after = {"fallback_alerted_at": iso(now)}
    record_event(session, case, EventKind.FALLBACK_ALERTED, ACTOR_SYSTEM, None, now, after, before)
    return case
