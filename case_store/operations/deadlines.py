"""What the deadline clock does to a case on its own: escalate it when nobody acknowledged it.

No person acts here; the events are recorded under the ``system`` actor.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.enums import CaseStatus, EventKind
from case_store.models import Case, CaseEvent
from case_store.operations.audit import ACTOR_SYSTEM, record_event, refuse_if_closed

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
