"""Staff with work phones, created through the case store as ``kinga users create`` does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from case_store.enums import Direction, MessagePurpose
from case_store.models import Message, OutboxRow
from case_store.operations import create_user, open_case
from case_store.report_contract import Report

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


def open_report(app: Any, n: int, *, now: datetime, **changes: str) -> str:
    """A case opened as a USSD report would open it (in Mombasa, neglect, 5-11, a girl, unless
    ``changes`` say otherwise), at ``now``; its reference."""
    runtime = app.extensions["kinga"]
    answers = {
        "danger": "no",
        "category": "neglect",
        "age_band": "5_11",
        "sex": "girl",
        "area": MOMBASA,
        "relationship": "community",
        "callback": "no",
    }
    report = Report(
        channel="ussd",
        provider="africastalking",
        external_id=f"ATUid_staff_{n}_{now.timestamp()}",
        phone=f"+25472210{n:04d}",
        language="en",
        answers=answers | changes,
        started_at=now,
    )
    with runtime.sessions.begin() as session:
        return open_case(session, runtime.vault, report, now=now, policy=runtime.triage).reference


def replies_to(db: sessionmaker[Session], app: Any, phone: str) -> list[str]:
    """The texts of the replies (and STOP/START confirmations) queued to ``phone``, oldest
    first."""
    runtime = app.extensions["kinga"]
    with db() as session:
        rows = session.scalars(
            select(Message)
            .where(
                Message.direction == Direction.OUTBOUND,
                Message.purpose.in_([MessagePurpose.REPLY, MessagePurpose.CONFIRMATION]),
                Message.phone_hash == runtime.vault.phone_hash(phone),
            )
            .order_by(Message.id)
        )
        return [runtime.vault.decrypt(m.body_encrypted) for m in rows]
