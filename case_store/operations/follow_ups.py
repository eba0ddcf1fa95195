"""A reporter's follow-up SMS, as the case records it: owed, then sent, held or dropped.

The operations that acknowledge, refer and close a case (``staff``, ``referrals``) call
``owe_follow_up`` in their own transaction, so whoever calls them (an SMS command, the command
line, the console) sets the follow-up off without knowing about it. Only a case whose reporter
agreed to SMS updates is marked; several updates before the follow-up goes make one follow-up.

The follow-up job (``workers.follow_ups``) takes what is due with ``claim_follow_up``: a
conditional UPDATE, the first write of its transaction, so of two runs at once (a retry, two
workers) exactly one gets the case, and a follow-up goes once. In that transaction it then
records what became of it, each with its event under the ``system`` actor: ``follow_up_sent``
(with the message queued in the same transaction), ``hold_follow_up`` (owed again later) or
``drop_follow_up``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.enums import EventKind
from case_store.models import Case, CaseEvent, Message
from case_store.operations.audit import ACTOR_SYSTEM, iso, record_event

# Why a follow-up owed was not sent (``drop_follow_up``).
NO_CONSENT = "no_consent"
NO_PHONE = "no_phone"  # no reporter, or their number is no longer kept (retention)
OPTED_OUT = "opted_out"
TOO_LONG = "too_long"
DROP_REASONS = frozenset({NO_CONSENT, NO_PHONE, OPTED_OUT, TOO_LONG})


def owe_follow_up(case: Case, *, now: datetime) -> bool:
    """Mark the reporter of ``case`` owed a follow-up, if they agreed to SMS updates; False
    when they did not, or one is owed already (it will tell of this update too)."""
    if not case.sms_consent or case.follow_up_due_at is not None:
        return False
    case.follow_up_due_at = as_utc(now, "now")
    return True


def claim_follow_up(session: Session, case_id: int, *, now: datetime) -> Case | None:
    """Take the follow-up owed on ``case_id`` if it is due at ``now``; None when another run
    took it, or it is not due (held until later)."""
    now = as_utc(now, "now")
    claimed = cast(
        CursorResult[Any],
        session.execute(
            update(Case)
            .where(Case.id == case_id, Case.follow_up_due_at <= now)
            .values(follow_up_due_at=None)
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount != 1:
        return None
    case = session.get(Case, case_id, populate_existing=True)
    assert case is not None
    return case


def follow_up_sent(session: Session, case: Case, message: Message, *, now: datetime) -> CaseEvent:
    """The claimed follow-up of ``case`` is ``message``, queued in this transaction."""
    now = as_utc(now, "now")
    before = {"follow_up_sent_at": iso(case.follow_up_sent_at)}
    case.follow_up_sent_at = now
    after = {"follow_up_sent_at": iso(now), "message": message.public_id}
    return record_event(
        session, case, EventKind.FOLLOW_UP_SENT, ACTOR_SYSTEM, None, now, after, before
    )


def hold_follow_up(
    session: Session, case: Case, *, until: datetime, reason: str, now: datetime
) -> CaseEvent:
    """The claimed follow-up of ``case`` may not go yet: owed again at ``until``."""
    until = as_utc(until, "until")
    if until <= as_utc(now, "now"):
        raise ValueError("a follow-up is held until a later time")
    case.follow_up_due_at = until
    after = {"follow_up_due_at": iso(until), "reason": reason}
    return record_event(session, case, EventKind.FOLLOW_UP_HELD, ACTOR_SYSTEM, None, now, after)


def drop_follow_up(session: Session, case: Case, *, reason: str, now: datetime) -> CaseEvent:
    """The claimed follow-up of ``case`` is not sent, for ``reason`` (one of ``DROP_REASONS``)."""
    if reason not in DROP_REASONS:
        raise ValueError(f"reason must be one of: {', '.join(sorted(DROP_REASONS))}")
    after = {"reason": reason}
    return record_event(
        session, case, EventKind.FOLLOW_UP_DROPPED, ACTOR_SYSTEM, None, as_utc(now, "now"), after
    )
