"""A deadline still unmet after its escalation goes to the profile's fallback of last resort:
the on-call users with the fallback roles for its area (those who may take it are told to reply
ACK) and the duty phone, in the default language; once, and never again to someone already
told about the case. Immediate and high cases go there with the escalation (the example
profile's window is 0m for them); medium and low ones after the window."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import timedelta

from sms_client import Texter
from sqlalchemy import select
from staff import (
    CASEWORKER_PHONE,
    MOMBASA,
    NAIROBI,
    NAIROBI_PHONE,
    OFF_CALL_PHONE,
    SUPERVISOR_PHONE,
    add_staff,
    alerts,
)
from ussd_client import HIGH_ANSWERS, IMMEDIATE_ANSWERS, Caller

from case_store.deadline_steps import DeadlinePolicy
from case_store.enums import CaseStatus, RiskLevel, Role
from case_store.models import Case, CaseEvent
from case_store.on_call import AlertFallback
from case_store.references import format_reference
from dialogs.encoding import normalise
from workers.alerts import deadline_text
from workers.deadlines import run_deadline_sweep

ADMIN_PHONE = "+254700111006"
FALLBACK_TEXT = (
    "Kinga: case {reference} NOT acknowledged, level {level}, Mombasa. "
    "First contact by {deadline}. Please find a caseworker for it."
)


def report(client, db, answers: list[str]) -> Case:
    assert Caller(client).report(answers).startswith("END Thank you")
    with db() as session:
        return session.scalars(select(Case)).one()


def sweep(app, redis_client, case: Case, after: timedelta, **profile_changes) -> int:
    rt = app.extensions["kinga"]
    return run_deadline_sweep(
        rt.sessions,
        redis_client,
        rt.vault,
        profile=replace(rt.profile, **profile_changes),
        policy=rt.triage,
        max_segments=rt.settings.sms_max_segments,
        now=case.created_at + after,
    )


def duty_phone(app) -> str:
    phone = app.extensions["kinga"].profile.alert_fallback.duty_phone
    assert phone is not None
    return phone


def fallback_text(app, case: Case, after: timedelta, level: str = "IMMEDIATE") -> str:
    zone = app.extensions["kinga"].profile.time_zone
    deadline = deadline_text(
        case.first_contact_by, now=case.created_at + after, time_zone=zone, language="en"
    )
    text = FALLBACK_TEXT.format(
        reference=format_reference(case.reference), level=level, deadline=deadline
    )
    return normalise(text)  # as queued: Babel's narrow space before PM is a plain one


def kinds(db, case: Case) -> list[str]:
    with db() as session:
        found = session.scalars(
            select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
        return [kind.value for kind in found]


def nobody_for_mombasa(app) -> None:
    add_staff(app, "baraka", "caseworker", OFF_CALL_PHONE, areas=[MOMBASA])
    add_staff(app, "chebet", "caseworker", NAIROBI_PHONE, areas=[NAIROBI], on_call=True)
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE, areas=[NAIROBI], on_call=True)
    add_staff(app, "ayo", "admin", ADMIN_PHONE, on_call=True)


def test_an_immediate_case_with_nobody_on_call_reaches_the_fallback(
    app, client, db, runner, redis_client
):
    nobody_for_mombasa(app)
    case = report(client, db, IMMEDIATE_ANSWERS)
    assert alerts(db, app) == []  # pending: nobody for Mombasa
    assert sweep(app, redis_client, case, timedelta(minutes=10)) == 0
    assert alerts(db, app) == []

    assert sweep(app, redis_client, case, timedelta(minutes=16)) == 2
    told = fallback_text(app, case, timedelta(minutes=16))
    assert alerts(db, app) == [(ADMIN_PHONE, told), (duty_phone(app), told)]
    with db() as session:
        found = session.get(Case, case.id)
        assert found.fallback_alerted_at == case.created_at + timedelta(minutes=16)
        assert found.status is CaseStatus.ESCALATED
    # No supervisor for Mombasa: the escalation reached nobody, and the fallback followed.
    assert kinds(db, case) == [
        "case_opened",
        "alert_pending",
        "reminded",
        "escalated",
        "fallback_alerted",
    ]
    # Mombasa's own on-call staff still have to hear of it.
    listed = json.loads(runner.invoke(args=["cases", "list", "--json", "--unalerted"]).stdout)
    assert [row["reference"] for row in listed] == [format_reference(case.reference)]

    assert sweep(app, redis_client, case, timedelta(minutes=20)) == 0
    assert len(alerts(db, app)) == 2


def test_a_high_case_goes_to_the_fallback_but_not_to_who_was_told(app, client, db, redis_client):
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE, on_call=True, languages=["fr"])
    case = report(client, db, HIGH_ANSWERS)
    assert [phone for phone, _ in alerts(db, app)] == [CASEWORKER_PHONE]
    assert sweep(app, redis_client, case, timedelta(minutes=59)) == 1  # the 90 % reminder
    assert sweep(app, redis_client, case, timedelta(minutes=61)) == 2
    (_amina, (supervisor, french), (duty, english)) = alerts(db, app)
    assert supervisor == SUPERVISOR_PHONE  # the escalation: may take it, told to ACK, in French
    assert french.startswith("Kinga : dossier ") and f"ACK {case.reference}" in french
    assert (duty, english) == (
        duty_phone(app),
        fallback_text(app, case, timedelta(minutes=61), "HIGH"),
    )


def test_the_duty_phone_is_told_in_the_default_language(app, client, db, redis_client):
    case = report(client, db, IMMEDIATE_ANSWERS)
    assert sweep(app, redis_client, case, timedelta(minutes=16), default_language="sw") == 1
    ((phone, text),) = alerts(db, app)
    assert phone == duty_phone(app)
    assert text.startswith(f"Kinga: HAKUNA aliyepokea kesi {format_reference(case.reference)}")


def test_an_acknowledged_or_closed_case_does_not_go_to_the_fallback(app, client, db, redis_client):
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    case = report(client, db, HIGH_ANSWERS)
    texter = Texter(client, phone=CASEWORKER_PHONE)
    texter.send(f"ACK {case.reference}")
    assert sweep(app, redis_client, case, timedelta(minutes=61)) == 0
    texter.send(f"CLOSE {case.reference} no_concern")
    assert sweep(app, redis_client, case, timedelta(days=2)) == 0
    assert [phone for phone, _ in alerts(db, app)] == [CASEWORKER_PHONE]


def test_a_medium_case_gives_the_supervisors_the_window_first(app, client, db, redis_client):
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE, on_call=True)
    add_staff(app, "ayo", "admin", ADMIN_PHONE, on_call=True)
    medium = [
        "1",
        "2",
        "1",
        "2",
        "1",
        "Mombasa",
        "Kibera",
        "3",
        "She is alone at night",
        "2",
        "2",
        "1",
    ]
    case = report(client, db, medium)
    assert case.risk_level is RiskLevel.MEDIUM
    assert [phone for phone, _ in alerts(db, app)] == [SUPERVISOR_PHONE]  # the new case
    sweep(app, redis_client, case, timedelta(hours=3, minutes=1))
    assert [phone for phone, _ in alerts(db, app)] == [SUPERVISOR_PHONE] * 2  # escalated
    assert sweep(app, redis_client, case, timedelta(hours=3, minutes=29)) == 0
    assert sweep(app, redis_client, case, timedelta(hours=3, minutes=31)) == 2
    phones = [phone for phone, _ in alerts(db, app)]
    assert phones == [SUPERVISOR_PHONE] * 2 + [ADMIN_PHONE, duty_phone(app)]


def test_the_window_may_be_one_duration_for_every_level(app, client, db, redis_client):
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE, on_call=True)
    case = report(client, db, IMMEDIATE_ANSWERS)
    policy = DeadlinePolicy.from_mapping({"escalation_window": "30m"})
    sweep(app, redis_client, case, timedelta(minutes=16), deadlines=policy)
    assert len(alerts(db, app)) == 2
    sweep(app, redis_client, case, timedelta(minutes=45), deadlines=policy)
    assert len(alerts(db, app)) == 2  # a first-contact reminder, no fallback yet
    sweep(app, redis_client, case, timedelta(minutes=47), deadlines=policy)
    assert [phone for phone, _ in alerts(db, app)] == [
        SUPERVISOR_PHONE,  # the new case
        SUPERVISOR_PHONE,  # not acknowledged after 15 minutes
        duty_phone(app),  # nor half an hour later
    ]


def test_a_fallback_that_finds_nobody_is_an_error_and_the_case_stays_listed(
    app, client, db, runner, redis_client, caplog
):
    case = report(client, db, IMMEDIATE_ANSWERS)
    nobody = AlertFallback(roles=(Role.ADMIN,), duty_phone=None)
    with caplog.at_level(logging.ERROR, logger="kinga.deadlines"):
        sent = sweep(app, redis_client, case, timedelta(minutes=16), alert_fallback=nobody)
    assert sent == 0
    assert "fallback of the assign deadline reached nobody" in caplog.text
    assert alerts(db, app) == []
    with db() as session:
        assert session.get(Case, case.id).fallback_alerted_at is None
    listed = json.loads(runner.invoke(args=["cases", "list", "--json", "--unalerted"]).stdout)
    assert [row["reference"] for row in listed] == [format_reference(case.reference)]


def test_a_fallback_waits_for_an_administrator_who_comes_on_call(app, client, db, redis_client):
    case = report(client, db, IMMEDIATE_ANSWERS)
    add_staff(app, "ayo", "admin", ADMIN_PHONE)
    rt = app.extensions["kinga"]
    zone = rt.profile.time_zone
    later = (case.created_at + timedelta(days=2)).astimezone(zone)
    runner_args = ["users", "on-call", "ayo", "--window", f"{later:%a} {later:%H}:00-23:59"]
    assert app.test_cli_runner().invoke(args=runner_args).exit_code == 0
    nobody = AlertFallback(roles=(Role.ADMIN,), duty_phone=None)
    assert sweep(app, redis_client, case, timedelta(minutes=16), alert_fallback=nobody) == 0
    with db() as session:
        waiting = session.get(Case, case.id).deadline_check_at
    assert waiting == case.created_at + timedelta(minutes=26)  # looked at again every 10 min
    opens = later.replace(minute=0, second=0, microsecond=0)
    after = opens - case.created_at + timedelta(minutes=1)
    assert sweep(app, redis_client, case, after, alert_fallback=nobody) == 1
    assert [phone for phone, _ in alerts(db, app)] == [ADMIN_PHONE]
