"""Staff with work phones, created through the case store as ``kinga users create`` does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from case_store.enums import Direction, MessagePurpose
from case_store.models import Message, OutboxRow
from case_store.operations import create_user

CASEWORKER_PHONE = "+254700111001"
OTHER_CASEWORKER_PHONE = "+254700111002"
OFF_CALL_PHONE = "+254700111003"
NAIROBI_PHONE = "+254700111004"
SUPERVISOR_PHONE = "+254700111005"
MOMBASA = "001"  # the area the reports in these tests name (typed "Mombasa")
NAIROBI = "047"


def add_staff(app: Any, username: str, role: str, phone: str, **fields: Any) -> int:
    runtime = app.extensions["kinga"]
    with runtime.sessions.begin() as session:
        user = create_user(
            session,
            runtime.vault,
            username=username,
            role=role,
            phone=phone,
            now=datetime.now(UTC),
            **fields,
        )
        return user.id


def alerts(db: sessionmaker[Session], app: Any) -> list[tuple[str, str]]:
    """(phone, text) of every alert queued, oldest first."""
    vault = app.extensions["kinga"].vault
    with db() as session:
        rows = session.scalars(
            select(Message)
            .where(Message.direction == Direction.OUTBOUND, Message.purpose == MessagePurpose.ALERT)
            .order_by(Message.id)
        )
        return [(vault.decrypt(m.phone_encrypted), vault.decrypt(m.body_encrypted)) for m in rows]


def outbox_jobs(db: sessionmaker[Session]) -> list[str]:
    with db() as session:
        return list(session.scalars(select(OutboxRow.job).order_by(OutboxRow.id)))
