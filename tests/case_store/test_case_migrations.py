"""Migrations: every revision upgrades and downgrades cleanly, with data, on both databases.

These run on a database of their own (a temporary SQLite file, or a temporary PostgreSQL
database on the server of ``KINGA_DATABASE_URL``) so the session's migrated database that
other tests use is never touched.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from case_store_factories import NOW, build_report
from sqlalchemy import Engine, create_engine, inspect, make_url, select, text
from sqlalchemy.pool import NullPool

from case_store import migrate
from case_store.base import Base
from case_store.crypto import Vault
from case_store.db import make_engine, make_sessionmaker
from case_store.operations import open_case
from case_store.queries.cases import find_case_by_reference


def _revisions() -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    url = os.environ.get("KINGA_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"kinga_migrations_{secrets.token_hex(4)}"
    server = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_revisions_form_one_line() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert _revisions()[0] == "0001"


def test_each_revision_steps_up_down_and_up_again(scratch_url: str) -> None:
    previous = "base"
    for revision in _revisions():
        migrate.upgrade(scratch_url, revision)
        assert migrate.current(scratch_url) == revision
        migrate.downgrade(scratch_url, previous)
        assert migrate.current(scratch_url) == (None if previous == "base" else previous)
        migrate.upgrade(scratch_url, revision)
        previous = revision
    assert _tables(scratch_url) >= {t.name for t in Base.metadata.sorted_tables}
    migrate.downgrade(scratch_url, "base")
    assert _tables(scratch_url) <= {"alembic_version"}


def test_downgrade_and_upgrade_with_data_present(scratch_url: str, vault: Vault) -> None:
    migrate.upgrade(scratch_url)
    engine = make_engine(scratch_url, poolclass=NullPool)
    sessions = make_sessionmaker(engine)
    try:
        with sessions.begin() as session:
            reference = open_case(session, vault, build_report(), now=NOW).reference
        engine.dispose()
        # Step down to the first revision and back: rows in tables that survive must survive.
        migrate.downgrade(scratch_url, _revisions()[0])
        migrate.upgrade(scratch_url)
        with sessions() as session:
            case = find_case_by_reference(session, reference)
            assert case is not None and case.created_at == NOW
            assert vault.decrypt(case.narrative_encrypted or b"").startswith("The child")
        engine.dispose()
        migrate.downgrade(scratch_url, "base")
        assert _tables(scratch_url) <= {"alembic_version"}
        migrate.upgrade(scratch_url)
        with sessions.begin() as session:
            open_case(session, vault, build_report(), now=NOW)
    finally:
        engine.dispose()


def test_models_match_the_migrated_schema(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_is_idempotent_at_head(database_url: str, db_engine: Engine) -> None:
    migrate.upgrade(database_url)
    assert migrate.current(database_url) == _revisions()[-1]


def test_new_tables_step_down_and_up_with_data(scratch_url: str, vault: Vault) -> None:
    """Messages, referrals (reminded), providers' trails, on-call windows, repeat links and
    maintenance runs present; down to 0004 (the cases survive without their new columns) and
    back up to head; then each newer step down and up again with data."""
    from datetime import time, timedelta

    from case_store_factories import add_user

    from case_store.models import Case, Message, OnCallWindow, ServiceProviderEvent
    from case_store.operations import create_provider, refer, remind_referral
    from case_store.operations.keys import start_or_resume
    from case_store.operations.messages import queue_outbound, record_inbound

    migrate.upgrade(scratch_url)
    engine = make_engine(scratch_url, poolclass=NullPool)
    sessions = make_sessionmaker(engine)
    try:
        with sessions.begin() as session:
            first = open_case(session, vault, build_report(), now=NOW)
            repeat = open_case(session, vault, build_report(), now=NOW + timedelta(hours=1))
            assert repeat.repeat_of is first
            supervisor = add_user(session, "supervisor")
            session.add(OnCallWindow(user=supervisor, weekday=0, starts=time(8), ends=time(17)))
            clinic = create_provider(
                session,
                vault,
                name="Clinic",
                services=["health"],
                areas=[],
                phone="+254700222001",
                now=NOW,
                known_areas=(),
            )
            first.consent_services = True
            referral = refer(session, vault, first, clinic, "medical", actor=supervisor, now=NOW)
            remind_referral(session, referral.id, now=NOW, sent_before=NOW)
            record_inbound(
                session,
                vault,
                provider="twilio",
                provider_id="SM1",
                phone="+254700000001",
                body="hi",
                received_at=NOW,
            )
            queue_outbound(
                session,
                vault,
                phone="+254700000001",
                body="ok",
                purpose="reply",
                encoding="GSM-7",
                segments=1,
                case=first,
                now=NOW,
            )
            start_or_resume(session, now=NOW)
            references = sorted([first.reference, repeat.reference])
        engine.dispose()
        migrate.downgrade(scratch_url, "0004")
        assert not {"message", "referral", "on_call_window", "maintenance_run"} & _tables(
            scratch_url
        )
        migrate.upgrade(scratch_url)
        with sessions() as session:
            cases = session.scalars(select(Case).order_by(Case.reference)).all()
            assert [c.reference for c in cases] == references
            assert all(c.repeat_of_id is None and c.merged_into_id is None for c in cases)
            assert session.scalars(select(Message)).all() == []
        engine.dispose()
        with sessions.begin() as session:  # the provider's trail, and a referral's steps
            clinic = create_provider(
                session,
                vault,
                name="Clinic",
                services=["health"],
                areas=[],
                phone="+254700222001",
                now=NOW,
                known_areas=(),
            )
            first = session.scalars(select(Case).order_by(Case.id)).first()
            assert first is not None
            first.consent_services = True
            refer(
                session, vault, first, clinic, "medical", actor=add_user(session, "admin"), now=NOW
            )
            assert len(session.scalars(select(ServiceProviderEvent)).all()) == 1
        engine.dispose()
        for step_down in ("0012", "0006", "0005"):
            migrate.downgrade(scratch_url, step_down)
            migrate.upgrade(scratch_url)
        assert migrate.current(scratch_url) == _revisions()[-1]
    finally:
        engine.dispose()


def test_send_job_names_follow_their_modules_up_and_back_down(scratch_url: str) -> None:
    """0012 rewrites the outbox rows of the two send jobs (the names moved to workers.sms)
    and nothing else; down to 0011 restores the old names."""
    from sqlalchemy import JSON, DateTime, column, insert, table

    from workers.sms.queueing import URGENT_SEND_JOB
    from workers.sms.send_job import SEND_JOB

    outbox = table(
        "outbox",
        column("id"),
        column("job"),
        column("args", JSON),
        column("created_at", DateTime(timezone=True)),
    )
    escalate_job = "workers.escalation.escalate_case"  # left alone by 0012, retired by 0016
    old = ["workers.outbound.send_message", "workers.outgoing.send_urgent", escalate_job]
    migrate.upgrade(scratch_url, "0011")
    engine = create_engine(scratch_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(outbox),
                [{"id": i, "job": job, "args": {}, "created_at": NOW} for i, job in enumerate(old)],
            )

        def jobs() -> list[str]:
            with engine.connect() as conn:
                return list(conn.scalars(select(outbox.c.job).order_by(outbox.c.id)))

        migrate.upgrade(scratch_url, "0012")
        assert jobs() == [SEND_JOB, URGENT_SEND_JOB, escalate_job]
        migrate.downgrade(scratch_url, "0011")
        assert jobs() == old
    finally:
        engine.dispose()


def test_deadline_steps_take_over_what_the_per_case_jobs_did(
    scratch_url: str, vault: Vault
) -> None:
    """0016: every open case is due for a deadline check; what the retired escalation and
    fallback jobs did is recorded as done; a first-contact deadline passed before the upgrade
    is not chased; the retired jobs' outbox rows are gone."""
    from datetime import timedelta

    from sqlalchemy import JSON, DateTime, column, insert, table, update

    from case_store.models import Case, DeadlineStep, OutboxRow

    migrate.upgrade(scratch_url)
    engine = make_engine(scratch_url, poolclass=NullPool)
    sessions = make_sessionmaker(engine)
    long_ago = NOW - timedelta(days=30)
    try:
        with sessions.begin() as session:
            escalated, old, closed = (
                open_case(session, vault, build_report(), now=long_ago) for _ in range(3)
            )
            ids = {"escalated": escalated.id, "old": old.id, "closed": closed.id}
        engine.dispose()
        migrate.downgrade(scratch_url, "0012")
        cases = table(
            "case", column("id"), column("status"), column("fallback_alerted_at", DateTime(True))
        )
        outbox = table(
            "outbox", column("job"), column("args", JSON), column("created_at", DateTime(True))
        )
        legacy = create_engine(scratch_url, poolclass=NullPool)
        with legacy.begin() as conn:
            conn.execute(
                update(cases)
                .where(cases.c.id == ids["escalated"])
                .values(status="escalated", fallback_alerted_at=long_ago + timedelta(minutes=15))
            )
            conn.execute(update(cases).where(cases.c.id == ids["closed"]).values(status="closed"))
            conn.execute(
                insert(outbox),
                [
                    {"job": job, "args": {"case_id": 1}, "created_at": long_ago}
                    for job in (
                        "workers.escalation.escalate_case",
                        "workers.fallback.alert_fallback",
                    )
                ],
            )
        legacy.dispose()
        migrate.upgrade(scratch_url)
        with sessions() as session:
            checks = {
                name: session.get(Case, case_id).deadline_check_at for name, case_id in ids.items()
            }
            assert checks == {"escalated": long_ago, "old": long_ago, "closed": None}
            recorded = session.execute(
                select(DeadlineStep.case_id, DeadlineStep.deadline, DeadlineStep.step)
                .where(DeadlineStep.outcome.in_(["sent", "skipped"]))
                .order_by(DeadlineStep.case_id, DeadlineStep.deadline, DeadlineStep.step)
            ).all()
            by_case = {
                name: sorted((d.value, s) for c, d, s in recorded if c == case_id)
                for name, case_id in ids.items()
            }
            assert by_case == {
                "escalated": [
                    ("assign", "escalate"),
                    ("assign", "fallback"),
                    ("first_contact", "escalate"),
                    ("first_contact", "fallback"),
                ],
                "old": [("first_contact", "escalate"), ("first_contact", "fallback")],
                "closed": [],
            }
            assert session.scalars(select(OutboxRow.job)).all() == []
        engine.dispose()
        migrate.downgrade(scratch_url, "0012")
        assert "deadline_step" not in _tables(scratch_url)
    finally:
        engine.dispose()
