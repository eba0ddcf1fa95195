"""Missed ("flash") calls: a caller without airtime asks the hotline to call back.

``record_missed_call`` keeps one request per number per hour: a retried webhook (the same
provider call) or another flash within the hour of the last one finds that request and writes
nothing. The caller's reporter row is locked first, so two flashes from one number at the same
moment are recorded once. A flash is a request to be called back, so the number is kept,
encrypted, on the reporter row (as ``request_callback`` keeps it).

A call an agent logs with the number answers every open request of that number
(``close_missed_calls``); showing the number to an agent is on the agent's trail
(``record_missed_call_shown``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import RosterEventKind
from case_store.models import Contact, MissedCall, Reporter, User
from case_store.operations.audit import record_roster_event
from case_store.permissions import Action, check_role

DEDUP_WINDOW = timedelta(hours=1)


def record_missed_call(
    session: Session,
    vault: Vault,
    *,
    provider: str,
    external_id: str,
    phone: str,
    called_at: datetime,
    language: str,
) -> tuple[MissedCall, bool]:
    """The open call-back request for this missed call: created, or the one of the same call
    or of this number's last hour (then ``False``)."""
    called_at = as_utc(called_at, "called_at")
    same = session.scalars(
        select(MissedCall).where(
            MissedCall.provider == provider, MissedCall.external_id == external_id
        )
    ).one_or_none()
    if same is not None:
        return same, False
    phone_hash = vault.phone_hash(phone)
    reporter = session.scalars(
        select(Reporter).where(Reporter.phone_hash == phone_hash).with_for_update()
    ).one_or_none()
    if reporter is None:
        reporter = Reporter(
            phone_hash=phone_hash, language=language, opted_out=False, created_at=called_at
        )
        session.add(reporter)
        session.flush()
    else:
        recent = session.scalars(
            select(MissedCall)
            .where(
                MissedCall.reporter_id == reporter.id,
                MissedCall.called_at > called_at - DEDUP_WINDOW,
            )
            .order_by(MissedCall.called_at.desc())
            .limit(1)
        ).first()
        if recent is not None:
            return recent, False
    reporter.phone_encrypted = vault.encrypt(phone)
    missed = MissedCall(
        provider=provider, external_id=external_id, reporter=reporter, called_at=called_at
    )
    session.add(missed)
    session.flush()
    return missed, True


def close_missed_calls(
    session: Session, vault: Vault, phone: str, contact: Contact, *, now: datetime
) -> int:
    """``contact``, a call an agent logged with ``phone``, answers that number's open missed
    calls; how many it closed."""
    reporter_ids = select(Reporter.id).where(Reporter.phone_hash == vault.phone_hash(phone))
    closed = session.execute(
        update(MissedCall)
        .where(MissedCall.reporter_id.in_(reporter_ids), MissedCall.closed_at.is_(None))
        .values(closed_at=as_utc(now, "now"), contact_id=contact.id)
        .execution_options(synchronize_session=False)
    )
    return int(closed.rowcount or 0)  # type: ignore[attr-defined]


def record_missed_call_shown(
    session: Session, user: User, missed: MissedCall, *, now: datetime
) -> None:
    """``user`` was shown the number of ``missed`` to call it back: on their trail, by id."""
    check_role(user, Action.RECORD_CONTACT)
    after = {"missed_call_id": missed.id}
    record_roster_event(session, user, RosterEventKind.MISSED_CALL_SHOWN, user, now, None, after)
