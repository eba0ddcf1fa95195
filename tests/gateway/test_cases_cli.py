"""``kinga cases``, ``kinga keys`` and ``kinga retention`` through the Flask CLI runner."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from case_store.crypto import Vault, VaultError
from case_store.enums import ClosureReason, EventKind, MessagePurpose, Role
from case_store.models import Case, CaseEvent, Reporter, User
from case_store.operations import acknowledge, add_note, assign, claim, close, open_case
from case_store.operations.follow_ups import hold_follow_up
from case_store.report_contract import Report
from gateway.cli.cases import cases_group
from gateway.cli.keys import keys_group
from gateway.cli.retention import retention_group
from gateway.config.settings import Settings
from gateway.runtime import Runtime
from workers.sms.queueing import queue_sms

PHONE = "+254712345321"
NARRATIVE = "Wanjiru is left alone at night and has not eaten."
PLACE = "Kibera, behind the water kiosk"
PAST = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _rt(app: Flask) -> Runtime:
    rt: Runtime = app.extensions["kinga"]
    return rt


def _report(n: int, **answers: str) -> Report:
    values = {
        "danger": "no",
        "category": "neglect",
        "age_band": "5_11",
        "sex": "girl",
        "area": "047",
        "place": PLACE,
        "relationship": "community",
        "narrative": NARRATIVE,
        "callback": "yes",
        "callback_time": "evening",
    }
    values.update(answers)
    return Report(
        channel="ussd",
        provider="africastalking",
        external_id=f"ATUid_cli_{n}",
        phone=PHONE if n == 0 else f"+25472200{n:04d}",
        language="en",
        answers=values,
        started_at=PAST,
    )


def _open(app: Flask, n: int, *, now: datetime, **answers: str) -> str:
    rt = _rt(app)
    with rt.sessions.begin() as session:
        case = open_case(session, rt.vault, _report(n, **answers), now=now, policy=rt.triage)
        return case.reference


def _json(output: str) -> object:
    return json.loads(output)


def test_show_masks_personal_fields_and_prints_the_audit_trail(
    app: Flask, runner: FlaskCliRunner
) -> None:
    reference = _open(app, 0, now=PAST)
    result = runner.invoke(cases_group, ["show", reference, "--json"])
    assert result.exit_code == 0, result.output
    for secret in (PHONE, NARRATIVE, PLACE, "Wanjiru"):
        assert secret not in result.output
    case = _json(result.output)
    assert isinstance(case, dict)
    assert case["reference"] == f"{reference[:3]}-{reference[3:6]}-{reference[6:]}"
    assert (case["status"], case["stage"], case["level"]) == ("open", "new", "low")
    assert case["categories"] == ["neglect"]
    assert case["category_mappings"]["chi_category"] == "violence"
    assert case["deadlines"]["overdue"] is True
    assert case["consent"] == {
        "services": None,
        "share": None,
        "callback": True,
        "callback_time": "evening",
        "sms_updates": False,
    }
    assert case["follow_up"] == {"due_at": None, "last_sent_at": None}
    assert case["personal"] == {
        "narrative": "[hidden]",
        "place": "[hidden]",
        "reporter_phone": "+2547•••••321",
    }
    assert [e["kind"] for e in case["audit"]] == ["case_opened"]


def test_reveal_shows_the_fields_and_is_audited(app: Flask, runner: FlaskCliRunner) -> None:
    reference = _open(app, 0, now=PAST)
    dashed = f"{reference[:3]}-{reference[3:6]}-{reference[6:]}"
    result = runner.invoke(cases_group, ["show", dashed, "--reveal", "--json"])
    assert result.exit_code == 0, result.output
    case = _json(result.output)
    assert isinstance(case, dict)
    assert case["personal"] == {"narrative": NARRATIVE, "place": PLACE, "reporter_phone": PHONE}
    assert case["audit"][-1]["kind"] == "revealed"
    with _rt(app).sessions() as session:
        event = session.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.REVEALED)).one()
        assert event.actor == "admin_cli"
        assert event.data["after"] == {"fields": ["narrative", "place", "reporter_phone"]}
        assert NARRATIVE not in json.dumps(event.data)


def test_show_refuses_unknown_and_mistyped_references(app: Flask, runner: FlaskCliRunner) -> None:
    reference = _open(app, 0, now=PAST)
    # Swap the first two adjacent digits that differ: the Damm check catches it.
    i = next(i for i in range(8) if reference[i] != reference[i + 1])
    swapped = reference[:i] + reference[i + 1] + reference[i] + reference[i + 2 :]
    for wrong in (swapped, "123"):
        result = runner.invoke(cases_group, ["show", wrong, "--json"])
        assert result.exit_code != 0
        assert "no case with that reference" in result.output


def test_list_filters_by_status_area_level_and_overdue(app: Flask, runner: FlaskCliRunner) -> None:
    now = datetime.now(UTC)
    overdue_low = _open(app, 1, now=PAST)
    fresh_immediate = _open(app, 2, now=now, danger="yes")
    elsewhere = _open(app, 3, now=now, area="001")
    rt = _rt(app)
    with rt.sessions.begin() as session:
        supervisor = User(
            username="sup", role=Role.SUPERVISOR, areas=[], languages=["en"], created_at=now
        )
        session.add(supervisor)
        case = session.scalars(select(Case).where(Case.reference == fresh_immediate)).one()
        assign(session, case, supervisor, actor=supervisor, now=now)

    def refs(*args: str) -> list[str]:
        result = runner.invoke(cases_group, ["list", "--json", *args])
        assert result.exit_code == 0, result.output
        rows = _json(result.output)
        assert isinstance(rows, list)
        return sorted(row["reference"].replace("-", "") for row in rows)

    assert refs() == sorted([overdue_low, fresh_immediate, elsewhere])
    assert refs("--area", "001") == [elsewhere]
    assert refs("--level", "immediate") == [fresh_immediate]
    assert refs("--overdue") == [overdue_low]
    assert refs("--status", "closed") == []
    assert refs("--area", "047", "--level", "low", "--level", "immediate") == sorted(
        [overdue_low, fresh_immediate]
    )
    result = runner.invoke(cases_group, ["list", "--json"])
    assert PHONE not in result.output and NARRATIVE not in result.output
    assert runner.invoke(cases_group, ["list", "--level", "urgent"]).exit_code != 0


def test_keys_rotate_interrupted_then_resumed(
    app: Flask, runner: FlaskCliRunner, settings: Settings
) -> None:
    for n in range(6):
        _open(app, n, now=PAST)
    new_key = Fernet.generate_key().decode()
    rotated = replace(settings, encryption_keys=(new_key, *settings.encryption_keys))
    from gateway import create_app

    new_app = create_app(rotated)
    new_runner = new_app.test_cli_runner()
    first = new_runner.invoke(keys_group, ["rotate", "--batch-size", "2", "--max-batches", "2"])
    assert first.exit_code == 0, first.output
    report = _json(first.output)
    assert isinstance(report, dict)
    assert report["finished"] is False and report["batches"] == 2
    second = new_runner.invoke(keys_group, ["rotate", "--batch-size", "2"])
    assert second.exit_code == 0, second.output
    resumed = _json(second.output)
    assert isinstance(resumed, dict)
    assert resumed["resumed"] is True and resumed["finished"] is True
    assert resumed["run"] == report["run"]
    assert resumed["rotated"]["case"] == 12  # place and narrative of six cases
    new_only = Vault([new_key], settings.phone_hash_key)
    with _rt(new_app).sessions() as session:
        for case in session.scalars(select(Case)):
            assert new_only.decrypt(case.narrative_encrypted or b"") == NARRATIVE
        for reporter in session.scalars(select(Reporter)):
            new_only.decrypt(reporter.phone_encrypted or b"")
    old_only = Vault(settings.encryption_keys, settings.phone_hash_key)
    with _rt(new_app).sessions() as session, pytest.raises(VaultError):
        old_only.decrypt(session.scalars(select(Case.narrative_encrypted)).first() or b"")


def test_retention_purge_on_a_clock_moved_forward(app: Flask, runner: FlaskCliRunner) -> None:
    still_open = _open(app, 0, now=PAST)
    closed = _open(app, 1, now=PAST)
    rt = _rt(app)
    with rt.sessions.begin() as session:
        admin = User(username="adm", role=Role.ADMIN, areas=[], languages=["en"], created_at=PAST)
        session.add(admin)
        case = session.scalars(select(Case).where(Case.reference == closed)).one()
        close(session, case, ClosureReason.RESOLVED, actor=admin, now=PAST)

    def purge(at: datetime) -> dict[str, int]:
        result = runner.invoke(retention_group, ["purge", "--now", at.isoformat()])
        assert result.exit_code == 0, result.output
        output = _json(result.output)
        assert isinstance(output, dict)
        return dict(output["purged"])

    assert set(purge(PAST + timedelta(days=1)).values()) == {0}
    assert purge(PAST + timedelta(days=91))["reporter_phone"] == 1
    assert purge(PAST + timedelta(days=6 * 365))["narrative"] == 1
    with rt.sessions() as session:
        by_reference = {c.reference: c for c in session.scalars(select(Case))}
        assert by_reference[closed].narrative_encrypted is None
        assert by_reference[still_open].narrative_encrypted is not None
    naive = runner.invoke(retention_group, ["purge", "--now", "2030-01-01T00:00:00"])
    assert naive.exit_code != 0 and "time zone" in naive.output


def test_unlink_undoes_a_repeat_link_and_is_audited(app: Flask, runner: FlaskCliRunner) -> None:
    first = _open(app, 1, now=PAST)
    second = _open(app, 2, now=PAST + timedelta(hours=1))
    shown = _json(runner.invoke(cases_group, ["show", second, "--json"]).output)
    assert isinstance(shown, dict) and shown["repeat"]["reason"] == "same_child"
    result = runner.invoke(cases_group, ["unlink", second])
    assert result.exit_code == 0, result.output
    assert first[:3] in result.output
    shown = _json(runner.invoke(cases_group, ["show", second, "--json"]).output)
    assert isinstance(shown, dict)
    assert shown["repeat"] == {"of": None, "reason": None, "confirmed": None}
    assert shown["audit"][-1]["kind"] == "repeat_unlinked"
    assert shown["audit"][-1]["actor"] == "admin_cli"
    again = runner.invoke(cases_group, ["unlink", second])
    assert again.exit_code != 0 and "not linked" in again.output
    unknown = runner.invoke(cases_group, ["unlink", "123"])
    assert unknown.exit_code != 0 and "no case with that reference" in unknown.output


def test_show_prints_a_readable_timeline_with_notes_and_masked_messages(
    app: Flask, runner: FlaskCliRunner
) -> None:
    rt = _rt(app)
    reference = _open(app, 0, now=PAST)
    with rt.sessions.begin() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        worker = User(
            username="wanjiru", role=Role.CASEWORKER, areas=[], languages=["en"], created_at=PAST
        )
        session.add(worker)
        session.flush()
        claim(session, case, actor=worker, now=PAST + timedelta(minutes=5))
        add_note(session, rt.vault, case, "Met Amina at school", actor=worker, now=PAST)
        queue_sms(
            session,
            rt.vault,
            phone="+254711000111",
            text="Kinga: new case",
            purpose=MessagePurpose.ALERT,
            max_segments=2,
            now=PAST + timedelta(minutes=1),
            case=case,
        )
    result = runner.invoke(cases_group, ["show", reference])
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith(f"Case {reference[:3]}-{reference[3:6]}-{reference[6:]}  open")
    assert "area 047 Nairobi" in text and "Timeline (Africa/Nairobi):" in text
    assert "2026-03-02 12:30  reporter" in text  # 09:30 UTC in Nairobi's time
    assert "wanjiru        assigned" in text and "assigned_to_id None → wanjiru" in text
    assert "note: Met Amina at school" in text
    assert "alert to +2547•••••111: queued" in text
    for secret in (NARRATIVE, PLACE, PHONE, "+254711000111", "Kinga: new case"):
        assert secret not in text
    assert "narrative [hidden]" in text
    with rt.sessions() as session:
        event = session.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.REVEALED)).one()
        assert event.data["after"] == {"fields": ["notes"]}


def test_show_writes_the_times_an_event_recorded_in_the_deployments_zone(
    app: Flask, runner: FlaskCliRunner
) -> None:
    """A held follow-up says until when, and an acknowledgement when, in Nairobi's time as
    the timeline's own times are, never in UTC."""
    rt = _rt(app)
    reference = _open(app, 0, now=PAST)
    with rt.sessions.begin() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        worker = User(
            username="wanjiru", role=Role.CASEWORKER, areas=[], languages=["en"], created_at=PAST
        )
        session.add(worker)
        session.flush()
        claim(session, case, actor=worker, now=PAST)
        acknowledge(session, case, actor=worker, now=PAST + timedelta(minutes=5))
        hold_follow_up(
            session, case, until=datetime(2026, 3, 2, 21, 0, tzinfo=UTC), reason="x", now=PAST
        )
    result = runner.invoke(cases_group, ["show", reference])
    assert result.exit_code == 0, result.output
    assert "acknowledged_at None → 2026-03-02 12:35" in result.output  # 09:35 UTC
    assert "follow_up_held: follow_up_due_at 2026-03-03 00:00, reason x" in result.output
    assert "+00:00" not in result.output
