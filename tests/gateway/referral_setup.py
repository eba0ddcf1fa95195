"""A case ready to refer and the providers it may go to, made as ``kinga services create`` and
the USSD report do; and what the referral texts said."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sms_client import Texter
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from staff import CASEWORKER_PHONE, MOMBASA, SUPERVISOR_PHONE, add_staff
from ussd_client import Caller

from case_store.enums import Direction, MessagePurpose
from case_store.models import Case, Message, Referral
from case_store.operations import create_provider

PROVIDER_PHONE = "+254700222001"
OTHER_PROVIDER_PHONE = "+254700222002"
STRANGER_PHONE = "+254733000999"
NARRATIVE = "She is alone at night"  # what the report in ussd_client says
PLACE = "Kibera"


def add_provider(app: Any, name: str = "Coast Clinic", **fields: Any) -> int:
    runtime = app.extensions["kinga"]
    values: dict[str, Any] = {
        "services": ["health"],
        "areas": [MOMBASA],
        "phone": PROVIDER_PHONE,
        "languages": ["en"],
    }
    values.update(fields)
    with runtime.sessions.begin() as session:
        provider = create_provider(
            session,
            runtime.vault,
            name=name,
            now=datetime.now(UTC),
            known_areas={loc.code for loc in runtime.profile.locations},
            **values,
        )
        return provider.id


def reported_case(
    app: Any, client: Any, db: sessionmaker[Session], *, consent: bool | None
) -> Case:
    """A Mombasa report held by the caseworker amina (on call, ACKed); the reporter agreed to
    services when ``consent``. The supervisor daudi covers every area."""
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE)
    assert Caller(client).report().startswith("END Thank you")
    with db.begin() as session:
        case = session.scalars(select(Case)).one()
        case.consent_services = consent
    Texter(client, phone=CASEWORKER_PHONE).send(f"ACK {case.reference}")
    with db() as session:
        return session.scalars(select(Case)).one()


def sent_to(app: Any, db: sessionmaker[Session], phone: str, purpose: MessagePurpose) -> list[str]:
    """The texts queued to ``phone`` for ``purpose``, oldest first."""
    vault = app.extensions["kinga"].vault
    with db() as session:
        rows = session.scalars(
            select(Message)
            .where(
                Message.direction == Direction.OUTBOUND,
                Message.purpose == purpose,
                Message.phone_hash == vault.phone_hash(phone),
            )
            .order_by(Message.id)
        )
        return [vault.decrypt(m.body_encrypted) for m in rows]


def referrals(db: sessionmaker[Session]) -> list[Referral]:
    with db() as session:
        found = list(session.scalars(select(Referral).order_by(Referral.id)))
        for referral in found:
            _ = referral.service_provider, referral.created_by, referral.case
        return found
