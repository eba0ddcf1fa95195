"""Reminders before each deadline, at the profile's fractions of its window, to the assignee or
the area's on-call caseworkers; once each, however many sweeps run; stopped when the deadline
is met; moved with the level; shown in the deployment's zone in the reader's language; and,
for medium and low cases, held until the recipient's working hours."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from deadline_cases import (
    CASEWORKER,
    SUPERVISOR,
    add_staff,
    deadline_context,
    events,
    fresh,
    local,
    reminders,
    report,
    sent,
    steps,
    sweep,
    user,
)
from sqlalchemy import update

from case_store.deadline_steps import DeadlinePolicy
from case_store.enums import ClosureReason, RiskLevel
from case_store.models import Case
from case_store.operations import acknowledge, assign, change_risk_level, claim, close
from case_store.references import format_reference
from workers.pending_alerts import release_pending

NAIROBI = "Africa/Nairobi"  # UTC+3 all year
KOLKATA = "Asia/Kolkata"  # UTC+5:30 all year
# Taken within, by level, with the example profile's triage (docs/product.md).
ASSIGN_WITHIN = {
    RiskLevel.IMMEDIATE: timedelta(minutes=15),
    RiskLevel.HIGH: timedelta(hours=1),
    RiskLevel.MEDIUM: timedelta(hours=3),
    RiskLevel.LOW: timedelta(hours=3),
}
CONTACT_WITHIN = {
    RiskLevel.IMMEDIATE: timedelta(hours=1),
    RiskLevel.HIGH: timedelta(hours=24),
    RiskLevel.MEDIUM: timedelta(hours=72),
    RiskLevel.LOW: timedelta(days=7),
}
REMIND_ASSIGN = (
    "Kinga reminder: case {ref}, level {level}, Mombasa, must be taken by {due}. Reply ACK {ack}"
)
REMIND_CONTACT = (
    "Kinga reminder: case {ref}, level {level}, Mombasa, first contact due by {due}. "
    "After contact reply CALLED {ack}"
)


@pytest.fixture
def ctx(install_jobs):
    return deadline_context(install_jobs(), zone=NAIROBI)


def on_call_team(ctx, at: datetime) -> None:
    add_staff(ctx, "amina", "caseworker", CASEWORKER, at=at, on_call=True)
    add_staff(ctx, "daudi", "supervisor", SUPERVISOR, at=at, on_call=True)


def expected(template: str, case: Case, due: str) -> str:
    return template.format(
        ref=format_reference(case.reference),
        level=case.risk_level.value.upper(),
        due=due,
        ack=case.reference,
    )


def clock(at: datetime, zone: str = NAIROBI) -> str:
    """English short time, as a reminder shows a deadline on its own day."""
    return at.astimezone(ZoneInfo(zone)).strftime("%-I:%M %p")


@pytest.mark.parametrize("level", list(RiskLevel))
def test_the_on_call_caseworker_is_reminded_at_half_and_nine_tenths_of_the_window(ctx, level):
    opened = local(NAIROBI, 2, 9)  # Monday 09:00
    on_call_team(ctx, opened)
    case = report(ctx, level, opened)
    window = ASSIGN_WITHIN[level]
    due = clock(opened + window)

    assert sweep(ctx, opened) == 0
    assert sweep(ctx, opened + window * 0.49) == 0
    assert reminders(ctx) == []

    assert sweep(ctx, opened + window / 2) == 1
    ((phone, purpose, text),) = [(r.phone, r.purpose, r.text) for r in reminders(ctx)]
    assert (phone, purpose) == (CASEWORKER, "reminder")
    assert text == expected(REMIND_ASSIGN, case, due)

    assert sweep(ctx, opened + window * 0.9) == 1
    assert sweep(ctx, opened + window * 0.95) == 0  # a later sweep: nothing twice
    assert [r.text for r in reminders(ctx)] == [expected(REMIND_ASSIGN, case, due)] * 2
    assert steps(ctx, case) == [
        ("assign", "remind_50", "sent", 1),
        ("assign", "remind_90", "sent", 1),
    ]
    assert events(ctx, case) == ["case_opened", "reminded", "reminded"]


def test_the_fractions_come_from_the_profile(install_jobs):
    ctx = deadline_context(install_jobs(), zone=NAIROBI, deadlines=DeadlinePolicy((0.25,)))
    opened = local(NAIROBI, 2, 9)
    on_call_team(ctx, opened)
    case = report(ctx, RiskLevel.LOW, opened)
    assert sweep(ctx, opened + timedelta(minutes=44)) == 0
    assert sweep(ctx, opened + timedelta(minutes=45)) == 1
    assert sweep(ctx, opened + timedelta(hours=2, minutes=50)) == 0
    assert [step for _, step, _, _ in steps(ctx, case)] == ["remind_25"]


def test_a_late_sweep_sends_only_the_last_reminder_due(ctx):
    opened = local(NAIROBI, 2, 9)
    on_call_team(ctx, opened)
    case = report(ctx, RiskLevel.MEDIUM, opened)  # workers down until 95 % of the window
    assert sweep(ctx, opened + timedelta(hours=3) * 0.95) == 1
    assert steps(ctx, case) == [
        ("assign", "remind_50", "skipped", 0),
        ("assign", "remind_90", "sent", 1),
    ]
    assert len(reminders(ctx)) == 1


def test_the_assignee_is_reminded_and_once_acknowledged_only_of_the_first_contact(ctx):
    opened = local(NAIROBI, 2, 9)
    on_call_team(ctx, opened)
    add_staff(ctx, "baraka", "caseworker", "+254700111003", at=opened, on_call=True)
    case = report(ctx, RiskLevel.HIGH, opened)
    with ctx.sessions.begin() as session:
        found = session.get(Case, case.id)
        baraka, daudi = user(ctx, "baraka"), user(ctx, "daudi")
        assign(session, found, session.merge(baraka), actor=session.merge(daudi), now=opened)
    assert sweep(ctx, opened + timedelta(minutes=30)) == 1
    (reminder,) = reminders(ctx)
    assert reminder.phone == "+254700111003"  # the assignee, not the on-call caseworker
    with ctx.sessions.begin() as session:
        found = session.get(Case, case.id)
        acknowledge(session, found, actor=session.merge(baraka), now=opened + timedelta(minutes=40))
    assert sweep(ctx, opened + timedelta(minutes=54)) == 0  # met: no 90 % reminder
    assert sweep(ctx, opened + timedelta(hours=2)) == 0  # and no escalation

    assert sweep(ctx, opened + timedelta(hours=12)) == 1
    assert reminders(ctx)[-1].text == expected(REMIND_CONTACT, case, "Mar 3, 9:00 AM")
    assert reminders(ctx)[-1].phone == "+254700111003"
    assert [s[:2] for s in steps(ctx, case)] == [
        ("assign", "remind_50"),
        ("first_contact", "remind_50"),
    ]


def test_a_recorded_first_contact_stops_its_reminders(ctx):
    opened = local(NAIROBI, 2, 9)
    on_call_team(ctx, opened)
    case = report(ctx, RiskLevel.IMMEDIATE, opened)
    with ctx.sessions.begin() as session:
        found = session.get(Case, case.id)
        claim(session, found, actor=session.merge(user(ctx, "amina")), now=opened)
        acknowledge(session, found, actor=session.merge(user(ctx, "amina")), now=opened)
    assert sweep(ctx, opened + timedelta(minutes=30)) == 1  # first contact, 50 %
    with ctx.sessions.begin() as session:  # as CALLED records it
        session.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(first_contacted_at=opened + timedelta(minutes=35))
        )
    assert sweep(ctx, opened + timedelta(minutes=54)) == 0
    assert sweep(ctx, opened + timedelta(hours=2)) == 0
    assert fresh(ctx, case).deadline_check_at is None  # nothing left to chase
    assert len(reminders(ctx)) == 1


def test_a_closed_case_is_not_chased(ctx):
    opened = local(NAIROBI, 2, 9)
    on_call_team(ctx, opened)
    case = report(ctx, RiskLevel.MEDIUM, opened)
    with ctx.sessions.begin() as session:
        found = session.get(Case, case.id)
        daudi = session.merge(user(ctx, "daudi"))
        close(session, found, ClosureReason.NO_CONCERN, actor=daudi, now=opened)
    assert sweep(ctx, opened + timedelta(days=8)) == 0
    assert steps(ctx, case) == [] and reminders(ctx) == []


def test_raising_the_level_brings_the_deadline_forward(ctx):
    opened = local(NAIROBI, 2, 9)
    on_call_team(ctx, opened)
    case = report(ctx, RiskLevel.LOW, opened)
    assert sweep(ctx, opened + timedelta(minutes=30)) == 0
    with ctx.sessions.begin() as session:
        found = session.get(Case, case.id)
        daudi = session.merge(user(ctx, "daudi"))
        change_risk_level(
            session,
            ctx.vault,
            found,
            RiskLevel.HIGH,
            actor=daudi,
            now=opened + timedelta(minutes=70),
            policy=ctx.triage,
        )
    # Taken within an hour now: already late, so the supervisors hear of it at once.
    assert sweep(ctx, opened + timedelta(minutes=71)) > 0
    assert [s[:3] for s in steps(ctx, case)] == [
        ("assign", "escalate", "sent"),
        ("assign", "fallback", "sent"),
    ]
    assert SUPERVISOR in [s.phone for s in sent(ctx)]


def test_lowering_the_level_moves_the_reminders_later(ctx):
    opened = local(NAIROBI, 2, 9)
    on_call_team(ctx, opened)
    case = report(ctx, RiskLevel.HIGH, opened)
    with ctx.sessions.begin() as session:
        found = session.get(Case, case.id)
        daudi = session.merge(user(ctx, "daudi"))
        change_risk_level(
            session,
            ctx.vault,
            found,
            RiskLevel.LOW,
            actor=daudi,
            now=opened + timedelta(minutes=10),
            reason="Not sexual abuse after the call",
            policy=ctx.triage,
        )
    assert sweep(ctx, opened + timedelta(minutes=31)) == 0  # high's 50 % no longer applies
    assert sweep(ctx, opened + timedelta(minutes=90)) == 1  # low's: half of 3 hours
    assert reminders(ctx)[0].text == expected(REMIND_ASSIGN, fresh(ctx, case), "12:00 PM")


@pytest.mark.parametrize(
    ("zone", "half_way", "nine_tenths"),
    [
        (KOLKATA, "Mar 3, 1:00 AM", "1:00 AM"),  # opened 22:00 local, due after midnight
        (NAIROBI, "10:30 PM", "10:30 PM"),  # the same moments, 19:30 to 22:30 local
        # The night clocks go forward: 3 hours after 01:30 EST is 05:30 EDT.
        ("America/New_York", "5:30 AM", "5:30 AM"),
    ],
)
def test_times_are_shown_in_the_deployment_zone_across_a_day_boundary(
    install_jobs, zone, half_way, nine_tenths
):
    ctx = deadline_context(install_jobs(), zone=zone)
    opened = (
        datetime(2026, 3, 8, 6, 30, tzinfo=UTC)  # 01:30 EST
        if zone == "America/New_York"
        else datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
    )
    on_call_team(ctx, opened)
    case = report(ctx, RiskLevel.MEDIUM, opened)
    sweep(ctx, opened + timedelta(minutes=90))
    sweep(ctx, opened + timedelta(minutes=162))
    assert [r.text for r in reminders(ctx)] == [
        expected(REMIND_ASSIGN, case, half_way),
        expected(REMIND_ASSIGN, case, nine_tenths),
    ]


READER = {
    "en": "Kinga reminder: case {ref}, level MEDIUM, Mombasa, must be taken by Mar 3, 1:00 AM. "
    "Reply ACK {ack}",
    "sw": "Kikumbusho cha Kinga: kesi {ref}, kiwango WASTANI, Mombasa, ipokelewe kabla ya "
    "3 Mac 01:00. Jibu ACK {ack}",
    "fr": "Rappel Kinga : dossier {ref}, niveau MOYEN, Mombasa, à prendre en charge avant "
    "3 mars 01:00. Répondez ACK {ack}",
    "pt": "Lembrete Kinga: caso {ref}, nivel MÉDIO, Mombasa, deve ser assumido até "
    "3 de mar. 01:00. Responda ACK {ack}",
    "ar": "تذكير من كينغا: الحالة {ref}، المستوى متوسط، Mombasa، يجب استلامها قبل "
    "3 مارس، 1:00 ص. أرسل ACK {ack}",
}


@pytest.mark.parametrize("language", sorted(READER))
def test_each_caseworker_reads_the_reminder_and_its_time_in_their_language(install_jobs, language):
    ctx = deadline_context(install_jobs(), zone=NAIROBI)
    opened = local(NAIROBI, 2, 22)  # due at 01:00 the next day
    add_staff(ctx, "amina", "caseworker", CASEWORKER, at=opened, on_call=True, languages=[language])
    case = report(ctx, RiskLevel.MEDIUM, opened)
    sweep(ctx, opened + timedelta(minutes=90))
    (reminder,) = reminders(ctx)
    ref = format_reference(case.reference)
    assert reminder.text == READER[language].format(ref=ref, ack=case.reference)


def test_two_sweeps_at_once_send_each_reminder_once(ctx):
    opened = local(NAIROBI, 2, 9)
    on_call_team(ctx, opened)
    cases = [report(ctx, RiskLevel.MEDIUM, opened) for _ in range(5)]
    at = opened + timedelta(minutes=90)
    start = threading.Barrier(2)
    counts: list[int] = []

    def run() -> None:
        start.wait()
        counts.append(sweep(ctx, at))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 5
    assert len(reminders(ctx)) == 5
    for case in cases:
        assert steps(ctx, case) == [("assign", "remind_50", "sent", 1)]
        assert events(ctx, case).count("reminded") == 1


# Working hours: Monday to Friday, 08:00-17:00 in the deployment's zone.
OFFICE = "Mon-Fri 08:00-17:00"


def assigned_in_office_hours(ctx, level: RiskLevel) -> Case:
    """A case opened Monday 16:00, taken and acknowledged by amina, who works office hours."""
    opened = local(NAIROBI, 2, 16)
    add_staff(ctx, "amina", "caseworker", CASEWORKER, at=opened, windows=[OFFICE])
    case = report(ctx, level, opened)
    with ctx.sessions.begin() as session:
        found = session.get(Case, case.id)
        amina = session.merge(user(ctx, "amina"))
        claim(session, found, actor=amina, now=opened)
        acknowledge(session, found, actor=amina, now=opened)
    return case


def test_a_medium_reminder_waits_for_the_assignees_working_hours(ctx):
    case = assigned_in_office_hours(ctx, RiskLevel.MEDIUM)  # first contact within 72 h
    half_way = local(NAIROBI, 4, 4)  # Wednesday 04:00, 36 h after
    assert sweep(ctx, half_way) == 0
    assert fresh(ctx, case).deadline_check_at == half_way + timedelta(minutes=10)
    assert sweep(ctx, local(NAIROBI, 4, 7, 59)) == 0
    assert reminders(ctx) == []
    assert sweep(ctx, local(NAIROBI, 4, 8)) == 1  # her window opens: sent, once
    assert sweep(ctx, local(NAIROBI, 4, 8, 5)) == 0
    (reminder,) = reminders(ctx)
    assert reminder.phone == CASEWORKER
    assert reminder.text == expected(REMIND_CONTACT, case, "Mar 5, 4:00 PM")


def test_a_high_reminder_goes_day_or_night(ctx):
    case = assigned_in_office_hours(ctx, RiskLevel.HIGH)  # first contact within 24 h
    assert sweep(ctx, local(NAIROBI, 3, 4)) == 1  # Tuesday 04:00: she is off, told anyway
    (reminder,) = reminders(ctx)
    assert reminder.text == expected(REMIND_CONTACT, case, "4:00 PM")


def test_a_low_alert_and_reminder_wait_for_someone_in_working_hours(ctx, redis_client):
    evening = local(NAIROBI, 2, 19)
    add_staff(ctx, "amina", "caseworker", CASEWORKER, at=evening, windows=[OFFICE])
    case = report(ctx, RiskLevel.LOW, evening)  # taken within 3 h: by 22:00
    assert sent(ctx) == []  # nobody on call: the alert is pending
    assert fresh(ctx, case).alert_pending_since == evening
    assert sweep(ctx, local(NAIROBI, 2, 20, 30)) == 0  # the 50 % reminder waits too
    assert steps(ctx, case) == []
    morning = local(NAIROBI, 3, 8)
    released = release_pending(
        ctx.sessions,
        redis_client,
        ctx.vault,
        profile=ctx.profile,
        max_segments=ctx.max_segments,
        now=morning,
    )
    assert released == 1
    assert (
        release_pending(
            ctx.sessions,
            redis_client,
            ctx.vault,
            profile=ctx.profile,
            max_segments=ctx.max_segments,
            now=morning + timedelta(minutes=1),
        )
        == 0
    )
    (alert,) = sent(ctx)
    assert alert.phone == CASEWORKER and alert.text.startswith("Kinga: new case ")


def test_an_unassigned_high_case_with_nobody_on_call_is_not_held(ctx):
    opened = local(NAIROBI, 2, 20)
    add_staff(ctx, "amina", "caseworker", CASEWORKER, at=opened, windows=[OFFICE])
    case = report(ctx, RiskLevel.HIGH, opened)
    assert sweep(ctx, opened + timedelta(minutes=30)) == 0
    assert steps(ctx, case) == [("assign", "remind_50", "nobody", 0)]
