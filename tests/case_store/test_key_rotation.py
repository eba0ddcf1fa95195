"""Key rotation: every encrypted column re-encrypted under the new key, resumably."""

from __future__ import annotations

from datetime import timedelta

from case_store_factories import (
    NOW,
    PHONE,
    TEST_FERNET_KEY,
    TEST_PHONE_HASH_KEY,
    add_user,
    build_report,
)
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from case_store.crypto import Vault, VaultError
from case_store.models import Case, Message, Note, Reporter, ServiceProvider, User
from case_store.operations import add_note, open_case
from case_store.operations.keys import (
    ENCRYPTED_COLUMNS,
    current_rotation,
    rotate_batch,
    start_or_resume,
)
from case_store.operations.messages import queue_outbound, record_inbound

NEW_KEY = Fernet.generate_key().decode()


def _seed(sessions: sessionmaker[Session], old: Vault, cases: int) -> None:
    with sessions.begin() as session:
        supervisor = add_user(
            session,
            "supervisor",
            phone_hash=old.phone_hash("+254700000777"),
            phone_encrypted=old.encrypt("+254700000777"),
        )
        session.add(
            ServiceProvider(
                name="Clinic",
                services=["medical"],
                areas=[],
                languages=["en"],
                phone_hash=old.phone_hash("+254700000888"),
                phone_encrypted=old.encrypt("+254700000888"),
                created_at=NOW,
            )
        )
        for n in range(cases):
            phone = f"+2547110{n:05d}"
            case = open_case(
                session, old, build_report(phone=phone), now=NOW + timedelta(minutes=n)
            )
            add_note(session, old, case, f"Called the school, note {n}", actor=supervisor, now=NOW)
            record_inbound(
                session,
                old,
                provider="twilio",
                provider_id=f"SM{n}",
                phone=phone,
                body=f"hello {n}",
                received_at=NOW,
            )
        queue_outbound(
            session,
            old,
            phone=PHONE,
            body="Your reference was updated.",
            purpose="follow_up",
            encoding="GSM-7",
            segments=1,
            now=NOW,
        )


def _tokens(session: Session) -> list[bytes]:
    found: list[bytes] = []
    for model in (Reporter, User, ServiceProvider, Case, Note, Message):
        for column in ENCRYPTED_COLUMNS[model.__tablename__]:
            found += [t for t in session.scalars(select(getattr(model, column))) if t is not None]
    return found


def test_interrupted_rotation_resumes_and_every_row_stays_readable(
    db: sessionmaker[Session],
) -> None:
    old = Vault([TEST_FERNET_KEY], TEST_PHONE_HASH_KEY)
    both = Vault([NEW_KEY, TEST_FERNET_KEY], TEST_PHONE_HASH_KEY)
    new_only = Vault([NEW_KEY], TEST_PHONE_HASH_KEY)
    _seed(db, old, cases=12)
    with db() as session:
        originals = sorted(old.decrypt(t) for t in _tokens(session))
    assert len(originals) >= 12 * 5

    # Three small batches, then the process "dies": each batch committed on its own.
    for _ in range(3):
        with db.begin() as session:
            run, _resumed = start_or_resume(session, now=NOW)
            assert rotate_batch(session, both, run, now=NOW, size=5) > 0
    with db() as session:
        tokens = _tokens(session)
        # Halfway: old and new ciphertexts side by side, every one readable with both keys.
        assert sorted(both.decrypt(t) for t in tokens) == originals
        unreadable = 0
        for token in tokens:
            try:
                new_only.decrypt(token)
            except VaultError:
                unreadable += 1
        assert 0 < unreadable < len(tokens)
        interrupted = current_rotation(session)
        assert interrupted is not None and interrupted.progress["after_id"] > 0

    # The next run resumes the same run and finishes it.
    with db.begin() as session:
        run, resumed = start_or_resume(session, now=NOW)
        assert resumed and run.id == interrupted.id
    while True:
        with db.begin() as session:
            run, _ = start_or_resume(session, now=NOW)
            if rotate_batch(session, both, run, now=NOW, size=5) == 0:
                break
    with db() as session:
        assert sorted(new_only.decrypt(t) for t in _tokens(session)) == originals
        assert current_rotation(session) is None
        finished = session.scalars(select(type(run)).where(type(run).id == run.id)).one()
        assert finished.finished_at == NOW
        # Values re-encrypted: place and narrative per case, number and body per message.
        assert finished.counts["case"] == 24 and finished.counts["message"] == 26
        assert finished.counts["note"] == 12 and finished.counts["service_provider"] == 1
        assert all(PHONE not in str(v) for v in (finished.progress, finished.counts))


def test_a_row_the_app_rewrote_meanwhile_is_not_overwritten(
    db: sessionmaker[Session],
) -> None:
    old = Vault([TEST_FERNET_KEY], TEST_PHONE_HASH_KEY)
    both = Vault([NEW_KEY, TEST_FERNET_KEY], TEST_PHONE_HASH_KEY)
    _seed(db, old, cases=1)
    with db.begin() as session:
        run, _ = start_or_resume(session, now=NOW)
        # Simulate the application updating a reporter between our read and our write by
        # rotating a stale token: the compare-and-set must leave the fresh value alone.
        reporter = session.scalars(select(Reporter)).one()
        reporter.phone_encrypted = both.encrypt("+254799999999")
        session.flush()
        while rotate_batch(session, both, run, now=NOW, size=50):
            pass
        assert both.decrypt(reporter.phone_encrypted or b"") == "+254799999999"


def test_an_empty_database_finishes_at_once(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        run, _ = start_or_resume(session, now=NOW)
        assert rotate_batch(session, Vault([NEW_KEY], TEST_PHONE_HASH_KEY), run, now=NOW) == 0
        assert run.finished_at == NOW
