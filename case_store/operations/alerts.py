"""What the alerting does to a case on its own: keep its alert pending when it reached nobody,
and release it when it goes out. Recorded under the ``system`` actor.

The pending mark (``Case.alert_pending_since``) is the durable record that nobody was told: a
restart forgets no alert, and ``kinga cases list --unalerted`` lists what waits. Releasing it
is a conditional UPDATE, the first write of the caller's transaction: of several workers
releasing the same case at once exactly one gets it (on PostgreSQL the others wait on the row
and then find it released; SQLite serialises the writers), so a pending alert goes out once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.enums import EventKind
from case_store.models import Case, CaseEvent
from case_store.operations.audit import ACTOR_SYSTEM, iso, record_event
from case_store.queries.cases import unalerted


def hold_alert(session: Session, case: Case, *, now: datetime) -> CaseEvent | None:
    """The alert about ``case`` reached nobody: keep it pending; None when it already is."""
    if case.alert_pending_since is not None:
        return None
    now = as_utc(now, "now")
    case.alert_pending_since = now
    before: dict[str, Any] = {"alert_pending_since": None}
    after = {"alert_pending_since": iso(now)}
    return record_event(
        session, case, EventKind.ALERT_PENDING, ACTOR_SYSTEM, None, now, after, before
    )


def release_alert(session: Session, case_id: int, *, now: datetime) -> Case | None:
    """Take the pending alert of ``case_id`` to send it now (the caller queues it in the same
    transaction); None when nothing waits any more: released by another worker, or the case
    was taken or closed meanwhile (``queries.unalerted``)."""
    since = session.scalar(select(Case.alert_pending_since).where(Case.id == case_id))
    claimed = cast(
        CursorResult[Any],
        session.execute(
            update(Case)
            .where(Case.id == case_id, unalerted())
            .values(alert_pending_since=None)
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount != 1:
        return None
    case = session.get(Case, case_id, populate_existing=True)
    assert case is not None
    before = {"alert_pending_since": iso(since)}
    after: dict[str, Any] = {"alert_pending_since": None}
    record_event(session, case, EventKind.ALERT_RELEASED, ACTOR_SYSTEM, None, now, after, before)
    return case
