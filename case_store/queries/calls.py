"""Reads for the hotline: the calls an agent logged, and the call-backs callers are waiting for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from case_store.columns import as_utc
from case_store.enums import Channel
from case_store.models import Case, Contact, User
from case_store.permissions import Action, allowed
from case_store.queries.cases import ACTIVE_STATUSES

RECENT_CALLS = 10
WAITING_CALLBACKS = 10


def recent_calls(
    session: Session, agent: User, *, since: datetime, limit: int = RECENT_CALLS
) -> list[Contact]:
    """The calls ``agent`` logged since ``since``, newest first, with their cases."""
    return list(
        session.scalars(
            select(Contact)
            .where(
                Contact.agent_id == agent.id,
                Contact.channel == Channel.VOICE,
                Contact.started_at >= as_utc(since, "since"),
            )
            .options(selectinload(Contact.case))
            .order_by(Contact.started_at.desc(), Contact.id.desc())
            .limit(limit)
        )
    )


def waiting_callbacks(
    session: Session, viewer: User, *, limit: int = WAITING_CALLBACKS
) -> list[Case]:
    """Active cases whose caller asked for a call back not made yet, longest waiting first,
    among those ``viewer`` may see (``permissions``: their areas)."""
    query = select(Case).where(
        Case.callback_requested_at.is_not(None), Case.status.in_(ACTIVE_STATUSES)
    )
    if viewer.areas:
        query = query.where(Case.location_code.in_(list(viewer.areas)))
    cases = session.scalars(query.order_by(Case.callback_requested_at, Case.id).limit(limit))
    return [case for case in cases if allowed(viewer, Action.VIEW, case)]
