"""When a deadline passes unmet: the area's on-call supervisors, then after the escalation
window the fallback of last resort; for first contact as for taking the case, with news of its
own; in working hours for medium and low cases, the window counted from the escalation as
sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from deadline_cases import (
    ADMIN,
    CASEWORKER,
    SUPERVISOR,
    add_staff,
    deadline_context,
    events,
    fresh,
    local,
    report,
    sent,
    steps,
    sweep,
    user,
)

from case_store.enums import CaseStatus, RiskLevel
from case_store.models import Case
from case_store.operations import acknowledge, claim
from case_store.references import format_reference

KOLKATA = "Asia/Kolkata"
NAIROBI = "Africa/Nairobi"
OVERDUE = (
    "Kinga: case {ref} first contact OVERDUE since {due}, level LOW, Mombasa. "
    "Please make sure contact is made."
)
OVERDUE_FR = (
    "Kinga : dossier {ref}, premier contact EN RETARD depuis {due}, niveau FAIBLE, Mombasa. "
    "Veillez à ce que le contact soit pris."
)


def taken_by_amina(ctx, case: Case) -> None:
    with ctx.sessions.begin() as session:
        found = session.get(Case, case.id)
        amina = session.merge(user(ctx, "amina"))
        claim(session, found, actor=amina, now=case.created_at)
        acknowledge(session, found, actor=amina, now=case.created_at)


@pytest.fixture
def duty_phone(install_jobs) -> str:
    phone = install_jobs().profile.alert_fallback.duty_phone
    assert phone is not None
    return phone


def test_a_missed_first_contact_goes_to_the_supervisors_then_the_fallback(install_jobs, duty_phone):
    ctx = deadline_context(install_jobs(), zone=KOLKATA)
    opened = local(KOLKATA, 2, 23, 30)  # Monday 23:30; first contact by Monday next week
    add_staff(ctx, "amina", "caseworker", CASEWORKER, at=opened, on_call=True)
    add_staff(ctx, "daudi", "supervisor", SUPERVISOR, at=opened, on_call=True)
    add_staff(
        ctx, "ngozi", "supervisor", "+254700111007", at=opened, on_call=True, languages=["fr"]
    )
    add_staff(ctx, "ayo", "admin", ADMIN, at=opened, on_call=True)
    case = report(ctx, RiskLevel.LOW, opened)
    taken_by_amina(ctx, case)
    ref = format_reference(case.reference)

    due = opened + timedelta(days=7)
    assert sweep(ctx, opened + timedelta(days=3.5)) == 1  # reminders to amina
    assert sweep(ctx, opened + timedelta(days=6.3)) == 1
    assert sweep(ctx, due - timedelta(minutes=1)) == 0
    assert [s.phone for s in sent(ctx)] == [CASEWORKER] * 3  # the new case, then reminders
    assert sweep(ctx, due + timedelta(minutes=1)) == 2
    escalations = [(s.phone, s.text) for s in sent(ctx)[3:]]
    assert escalations == [
        (SUPERVISOR, OVERDUE.format(ref=ref, due="11:30 PM")),
        ("+254700111007", OVERDUE_FR.format(ref=ref, due="23:30")),
    ]
    assert fresh(ctx, case).status is CaseStatus.ESCALATED

    assert sweep(ctx, due + timedelta(minutes=29)) == 0
    # The next day in Kolkata: the deadline shows its date.
    assert sweep(ctx, due + timedelta(minutes=31)) == 2
    fallback = [(s.phone, s.text) for s in sent(ctx)[5:]]
    assert fallback == [
        (ADMIN, OVERDUE.format(ref=ref, due="Mar 9, 11:30 PM")),
        (duty_phone, OVERDUE.format(ref=ref, due="Mar 9, 11:30 PM")),
    ]
    assert sweep(ctx, due + timedelta(days=1)) == 0
    assert [s[:3] for s in steps(ctx, case) if s[0] == "first_contact"] == [
        ("first_contact", "remind_50", "sent"),
        ("first_contact", "remind_90", "sent"),
        ("first_contact", "escalate", "sent"),
        ("first_contact", "fallback", "sent"),
    ]
    assert events(ctx, case)[-2:] == ["escalated", "fallback_alerted"]
    assert fresh(ctx, case).deadline_check_at is None


def test_a_medium_escalation_waits_for_a_supervisor_and_the_window_counts_from_then(
    install_jobs, duty_phone
):
    ctx = deadline_context(install_jobs(), zone=NAIROBI)
    opened = local(NAIROBI, 2, 16)  # Monday 16:00: taken within 3 h, by 19:00
    add_staff(ctx, "amina", "caseworker", CASEWORKER, at=opened, windows=["Mon-Fri 08:00-17:00"])
    add_staff(ctx, "daudi", "supervisor", SUPERVISOR, at=opened, windows=["Mon-Fri 08:00-17:00"])
    case = report(ctx, RiskLevel.MEDIUM, opened)  # amina is on call: she has the alert
    assert sweep(ctx, local(NAIROBI, 2, 17, 30)) == 0  # 50 %: she has gone home, it waits
    assert sweep(ctx, local(NAIROBI, 2, 19, 1)) == 0  # late, and no supervisor on call
    assert sweep(ctx, local(NAIROBI, 2, 19, 31)) == 0  # no fallback before the escalation
    assert [s.phone for s in sent(ctx)] == [CASEWORKER]
    assert steps(ctx, case) == []

    assert sweep(ctx, local(NAIROBI, 3, 8)) == 1  # Tuesday 08:00: daudi is told
    assert [s.phone for s in sent(ctx)][1:] == [SUPERVISOR]
    assert sweep(ctx, local(NAIROBI, 3, 8, 29)) == 0
    assert sweep(ctx, local(NAIROBI, 3, 8, 30)) == 1  # 30 minutes after he was told
    assert [s.phone for s in sent(ctx)][2:] == [duty_phone]  # he was told already
    assert [s[1:3] for s in steps(ctx, case)] == [("escalate", "sent"), ("fallback", "sent")]
