"""After a full report, the raw database holds no phone number, name or narrative.

The stored bytes are searched directly: the SQLite file with its WAL, or a ``pg_dump`` of
the PostgreSQL test database. The reference is searched too, to prove the search sees the
data it is meant to see.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from case_store_factories import NOW, add_user, answers, build_report
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from case_store.crypto import Vault
from case_store.messages import queue_outbound, record_inbound
from case_store.models import ServiceProvider
from case_store.operations import add_note, open_case, record_reveal, refer

PHONE = "+254798765432"
NAME = "Wanjiku Achieng"
PLACE = "Mathare, the green gate after Wanjiku's shop"
NARRATIVE = "Wanjiku Achieng, 7, is locked inside every day; the neighbour Otieno Kamau hits her."
NOTE = "Spoke to Grace Muthoni (aunt) on +254711222333; she will take Wanjiku in."
SMS_IN = "REPORT Wanjiku Achieng is locked inside at Mathare"
SMS_OUT = "Your reference was updated. Dial *384*116# for details."
PROVIDER_PHONE = "+254733444555"
SECRETS = (
    "798765432",
    "733444555",
    "Dial *384*116# for details",
    NAME,
    "Otieno Kamau",
    "green gate",
    "locked inside every day",
    "Grace Muthoni",
    "711222333",
)


def _forms(secret: str) -> list[bytes]:
    """The plain bytes, and the hex and UTF-16 forms a careless bytea or text column would hold."""
    raw = secret.encode()
    return [raw, raw.hex().encode(), secret.encode("utf-16-le")]


def _stored_bytes(database_url: str, db_engine: Engine) -> bytes:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with db_engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(PASSIVE)"))
        path = Path(url.database or "")
        files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
        assert path in files
        return b"".join(p.read_bytes() for p in files)
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not on PATH")
    target = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(
        [pg_dump, "--data-only", "--dbname", target], check=True, capture_output=True
    ).stdout


def test_no_personal_text_reaches_the_database(
    db: sessionmaker[Session], vault: Vault, database_url: str, db_engine: Engine
) -> None:
    report = build_report(
        phone=PHONE,
        answers=answers(place=PLACE, narrative=NARRATIVE, callback="yes", callback_time="any"),
    )
    with db.begin() as session:
        case = open_case(session, vault, report, now=NOW)
        supervisor = add_user(session, "supervisor")
        add_note(session, vault, case, NOTE, actor=supervisor, now=NOW)
        # The SMS side of a report, a referral, and an audited reveal: still nothing in clear.
        record_inbound(
            session,
            vault,
            provider="twilio",
            provider_id="SMplain",
            phone=PHONE,
            body=SMS_IN,
            received_at=NOW,
        )
        queue_outbound(
            session,
            vault,
            phone=PHONE,
            body=SMS_OUT,
            purpose="follow_up",
            encoding="GSM-7",
            segments=1,
            case=case,
            now=NOW,
        )
        clinic = ServiceProvider(
            name="Mathare Clinic",
            services=["medical"],
            areas=[],
            languages=["en"],
            phone_hash=vault.phone_hash(PROVIDER_PHONE),
            phone_encrypted=vault.encrypt(PROVIDER_PHONE),
            created_at=NOW,
        )
        session.add(clinic)
        refer(session, case, clinic, "medical", actor=supervisor, now=NOW)
        record_reveal(session, case, ["narrative"], now=NOW, actor=supervisor)
        reference, phone_hash = case.reference, vault.phone_hash(PHONE)

    stored = _stored_bytes(database_url, db_engine)

    assert reference.encode() in stored and phone_hash.encode() in stored
    for secret in SECRETS:
        for form in _forms(secret):
            assert form not in stored, "personal text found in the raw database"
