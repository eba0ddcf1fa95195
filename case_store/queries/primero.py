"""Reads for the Primero sync: the stop flag, the parked failures, the cases waiting for a
resumed queue, the backfill's next batch, and a case by its Primero id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from case_store.enums import Role, SyncState
from case_store.models import Case, PrimeroControl, User
from case_store.models.primero import BACKFILL, STOPPED


def sync_stopped(session: Session) -> dict[str, Any] | None:
    """Why the sync queue is stopped (``{"status": 401}``), or None when it runs."""
    row = session.get(PrimeroControl, STOPPED)
    return None if row is None else dict(row.value)


def sync_failures(session: Session, *, limit: int = 100) -> Sequence[Case]:
    """Cases Primero refused, parked with its error, oldest attempt first."""
    return session.scalars(
        select(Case)
        .where(Case.primero_sync_state == SyncState.FAILED)
        .order_by(Case.primero_last_attempt_at, Case.id)
        .limit(limit)
    ).all()


def waiting_for_sync(session: Session) -> Sequence[Case]:
    """Cases the sync has yet to send: waiting for the stopped queue, or still pending."""
    return session.scalars(
        select(Case)
        .where(Case.primero_sync_state.in_((SyncState.STOPPED, SyncState.PENDING)))
        .order_by(Case.id)
    ).all()


def backfill_cursor(session: Session) -> int:
    """The last case id the backfill finished (0: none yet)."""
    row = session.get(PrimeroControl, BACKFILL)
    return 0 if row is None else int(row.value.get("after_id", 0))


def backfill_batch(session: Session, *, after_id: int, limit: int) -> Sequence[Case]:
    """The next ``limit`` cases after ``after_id``, in id order, with what the record needs."""
    return session.scalars(
        select(Case)
        .where(Case.id > after_id)
        .order_by(Case.id)
        .limit(limit)
        .options(selectinload(Case.reporter), selectinload(Case.assigned_to))
    ).all()


def case_by_primero_id(session: Session, primero_id: str) -> Case | None:
    return session.scalars(select(Case).where(Case.primero_id == primero_id)).one_or_none()


def admins_to_alert(session: Session) -> Sequence[User]:
    """Who is told that the sync stopped: the active administrators with a work phone, or,
    when there are none, the active supervisors with one."""
    for role in (Role.ADMIN, Role.SUPERVISOR):
        users = session.scalars(
            select(User)
            .where(User.role == role, User.active.is_(True), User.phone_encrypted.is_not(None))
            .order_by(User.id)
        ).all()
        if users:
            return users
    return []
