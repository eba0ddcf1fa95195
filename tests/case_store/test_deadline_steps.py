"""The steps of a deadline (pure policy: when each is due, which to take now) and what the
deadline clock writes (the check taken once, each step recorded once, with its event)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from case_store_factories import NOW, add_user, build_report
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.deadline_steps import (
    DeadlinePolicy,
    InvalidDeadlines,
    Plan,
    Step,
    deadline_steps,
    plan,
)
from case_store.enums import CaseStatus, Deadline, EventKind, RiskLevel, StepOutcome
from case_store.models import Case, CaseEvent, DeadlineStep
from case_store.operations import (
    assign,
    next_deadline_check,
    open_case,
    recheck_deadlines,
    take_deadline_check,
    take_step,
)

HOUR = timedelta(hours=1)
DEADLINE = NOW + 10 * HOUR


def steps(escalated_at=None, level=RiskLevel.MEDIUM, policy=None, escalate_at=None) -> list[Step]:
    return deadline_steps(
        policy or DeadlinePolicy(),
        level=level,
        opened=NOW,
        deadline=DEADLINE,
        escalate_at=escalate_at,
        escalated_at=escalated_at,
    )


def test_reminders_fall_at_their_fractions_of_the_window_then_the_escalation():
    assert [(s.name, s.due - NOW) for s in steps()] == [
        ("remind_50", 5 * HOUR),
        ("remind_90", 9 * HOUR),
        ("escalate", 10 * HOUR),
    ]


def test_the_fallback_follows_the_escalation_as_sent_after_the_window():
    late = DEADLINE + 2 * HOUR  # a medium escalation that waited for working hours
    fallback = steps(escalated_at=late)[-1]
    assert (fallback.name, fallback.due) == ("fallback", late + timedelta(minutes=30))
    on_time = steps(escalated_at=DEADLINE, level=RiskLevel.HIGH)[-1]
    assert on_time.due == DEADLINE  # 0m: with the escalation


def test_nothing_due_wakes_at_the_next_step():
    assert plan(steps(), set(), NOW) == Plan(None, wake=NOW + 5 * HOUR)
    assert plan(steps(), {"remind_50"}, NOW + 6 * HOUR) == Plan(None, wake=NOW + 9 * HOUR)


def test_the_reminder_due_is_taken():
    assert plan(steps(), set(), NOW + 5 * HOUR).take == Step("remind_50", NOW + 5 * HOUR)


def test_of_several_reminders_due_only_the_last_is_taken_and_the_others_skipped():
    result = plan(steps(), set(), NOW + 9.5 * HOUR)
    assert result.take is not None and result.take.name == "remind_90"
    assert [step.name for step in result.skip] == ["remind_50"]


def test_once_the_deadline_passed_reminders_are_dropped_for_the_escalation():
    result = plan(steps(), {"remind_50"}, DEADLINE + HOUR)
    assert result == Plan(Step("escalate", DEADLINE))


def test_an_immediate_escalation_may_come_before_the_deadline():
    early = NOW + 3 * HOUR
    result = plan(steps(escalate_at=early), set(), early)
    assert result.take == Step("escalate", early)


def test_after_the_fallback_nothing_is_left():
    taken = {"remind_50", "remind_90", "escalate", "fallback"}
    assert plan(steps(escalated_at=DEADLINE), taken, DEADLINE + 9 * HOUR) == Plan(None)


def test_without_reminders_only_the_chain_is_left():
    policy = DeadlinePolicy(remind_at=())
    assert [s.name for s in steps(policy=policy)] == ["escalate"]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"remind_at": (0.5, 1.5)}, "1.5 is not a fraction between 0 and 1"),
        ({"remind_at": (True,)}, "True is not a number"),
        ({"remind_at": (0.9, 0.5)}, "ascending order"),
        ({"escalation_window": {RiskLevel.HIGH: HOUR}}, "no window for immediate, low, medium"),
        (
            {"escalation_window": dict.fromkeys(RiskLevel, -HOUR)},
            "escalation_window.immediate must not be negative",
        ),
    ],
)
def test_a_policy_is_checked_when_made(fields, problem):
    with pytest.raises(InvalidDeadlines, match=problem):
        DeadlinePolicy(**fields)


def test_one_window_for_every_level():
    policy = DeadlinePolicy.from_mapping({"escalation_window": 45, "remind_at": [0.75]})
    assert set(policy.escalation_window.values()) == {timedelta(minutes=45)}
    assert policy.reminders() == [("remind_75", 0.75)]


# What the clock writes.


@pytest.fixture
def case(session: Session, vault: Vault) -> Case:
    return open_case(session, vault, build_report(), now=NOW)


def test_a_new_case_is_due_for_a_check_at_once(case: Case):
    assert case.deadline_check_at == NOW


def test_a_check_is_taken_once_and_only_when_due(session: Session, case: Case):
    assert take_deadline_check(session, case.id, now=NOW - HOUR) is None
    taken = take_deadline_check(session, case.id, now=NOW)
    assert taken is case and case.deadline_check_at is None
    assert take_deadline_check(session, case.id, now=NOW + HOUR) is None  # taken already
    next_deadline_check(case, NOW + 2 * HOUR)
    session.flush()
    assert take_deadline_check(session, case.id, now=NOW + HOUR) is None
    assert take_deadline_check(session, case.id, now=NOW + 2 * HOUR) is case


def test_each_step_is_recorded_once_with_its_event(session: Session, case: Case):
    def step_count() -> int:
        return session.scalar(select(func.count()).select_from(DeadlineStep)) or 0

    def event_count() -> int:
        return session.scalar(select(func.count()).select_from(CaseEvent)) or 0

    events_before = event_count()
    assert take_step(
        session, case, Deadline.ASSIGN, "remind_50", outcome=StepOutcome.SENT, now=NOW, recipients=2
    )
    assert not take_step(
        session, case, Deadline.ASSIGN, "remind_50", outcome=StepOutcome.SENT, now=NOW
    )
    # The same step of the other deadline is another step.
    assert take_step(
        session, case, Deadline.FIRST_CONTACT, "remind_50", outcome=StepOutcome.SKIPPED, now=NOW
    )
    assert step_count() == 2
    assert event_count() == events_before + 1  # a skipped reminder appends nothing
    reminded = session.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.REMINDED)).one()
    assert reminded.actor == "system"
    assert reminded.data["after"] == {"deadline": "assign", "step": "remind_50", "recipients": 2}


def test_an_escalation_marks_the_case_and_a_fallback_to_nobody_does_not_count(
    session: Session, case: Case
):
    assert take_step(
        session, case, Deadline.ASSIGN, "escalate", outcome=StepOutcome.NOBODY, now=NOW
    )
    assert case.status is CaseStatus.ESCALATED
    assert take_step(
        session, case, Deadline.ASSIGN, "fallback", outcome=StepOutcome.NOBODY, now=NOW
    )
    assert case.fallback_alerted_at is None  # nobody was told
    assert take_step(
        session, case, Deadline.FIRST_CONTACT, "escalate", outcome=StepOutcome.SENT, now=NOW
    )
    assert take_step(
        session, case, Deadline.FIRST_CONTACT, "fallback", outcome=StepOutcome.SENT, now=NOW
    )
    assert case.fallback_alerted_at == NOW
    kinds = session.scalars(
        select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    )
    assert [kind.value for kind in kinds] == [
        "case_opened",
        "escalated",
        "fallback_alerted",
        "escalated",
        "fallback_alerted",
    ]


def test_assigning_again_has_the_sweep_look_at_once(session: Session, case: Case):
    next_deadline_check(case, None)  # both deadlines met, say
    supervisor = add_user(session, "supervisor")
    caseworker = add_user(session, "caseworker")
    assign(session, case, caseworker, actor=supervisor, now=NOW + HOUR)
    assert case.deadline_check_at == NOW + HOUR
    recheck_deadlines(case, now=NOW + 2 * HOUR)  # never later than it already was
    assert case.deadline_check_at == NOW + HOUR
