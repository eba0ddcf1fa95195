"""Staff operations: assign, acknowledge, add a note, change status, close, reopen.

Each one is allowed only to the right people, refuses impossible transitions without
writing anything, and appends an audit event with actor, time, before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from case_store_factories import NOW, add_user, answers, build_report, row_counts
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import CaseStatus, ClosureReason, EventKind, RiskLevel, WorkflowStage
from case_store.models import Case, CaseEvent, Note, User
from case_store.operations import (
    InvalidNote,
    InvalidTransition,
    PermissionDenied,
    acknowledge,
    add_note,
    assign,
    change_risk_level,
    change_status,
    close,
    open_case,
    reopen,
)
from case_store.permissions import Action, allowed

LATER = NOW + timedelta(minutes=10)


@pytest.fixture
def case(session: Session, vault: Vault) -> Case:
    return open_case(session, vault, build_report(), now=NOW)


@pytest.fixture
def supervisor(session: Session) -> User:
    return add_user(session, "supervisor")


@pytest.fixture
def caseworker(session: Session) -> User:
    return add_user(session, "caseworker")


def _events(session: Session, case: Case) -> list[CaseEvent]:
    return list(
        session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by("id"))
    )


def _last_event(session: Session, case: Case) -> CaseEvent:
    return _events(session, case)[-1]


def test_assign_and_acknowledge(
    session: Session, case: Case, supervisor: User, caseworker: User
) -> None:
    event = assign(session, case, caseworker, actor=supervisor, now=NOW)
    assert case.assigned_to_id == caseworker.id and case.assigned_at == NOW
    assert event.kind is EventKind.ASSIGNED
    assert (event.actor, event.actor_user_id, event.at) == ("user", supervisor.id, NOW)
    assert event.data == {
        "before": {"assigned_to_id": None, "acknowledged_at": None},
        "after": {"assigned_to_id": caseworker.id, "acknowledged_at": None},
    }

    acked = acknowledge(session, case, actor=caseworker, now=LATER)
    assert acked is not None and acked.kind is EventKind.ACKNOWLEDGED
    assert case.acknowledged_at == LATER
    assert case.workflow_stage is WorkflowStage.ASSESSMENT
    assert acked.data["after"]["acknowledged_at"] == LATER.isoformat()
    assert acked.data["before"]["workflow_stage"] == "new"

    # An acknowledgement sent twice (a repeated SMS reply) changes nothing.
    assert acknowledge(session, case, actor=caseworker, now=LATER + timedelta(minutes=1)) is None
    assert case.acknowledged_at == LATER
    assert [e.kind for e in _events(session, case)] == [
        EventKind.CASE_OPENED,
        EventKind.ASSIGNED,
        EventKind.ACKNOWLEDGED,
    ]


def test_reassigning_needs_a_new_acknowledgement(
    session: Session, case: Case, supervisor: User, caseworker: User
) -> None:
    other = add_user(session, "caseworker")
    assign(session, case, caseworker, actor=supervisor, now=NOW)
    acknowledge(session, case, actor=caseworker, now=NOW)
    event = assign(session, case, other, actor=supervisor, now=LATER)
    assert case.acknowledged_at is None
    assert event.data["before"]["assigned_to_id"] == caseworker.id
    with pytest.raises(PermissionDenied):
        acknowledge(session, case, actor=caseworker, now=LATER)
    assert acknowledge(session, case, actor=other, now=LATER) is not None


@pytest.mark.parametrize(
    ("assignee_fields", "reason"),
    [
        ({"role": "hotline_agent"}, "an agent does not hold cases"),
        ({"role": "caseworker", "active": False}, "inactive"),
        ({"role": "caseworker", "areas": ["001"]}, "another area"),
    ],
)
def test_assign_refuses_someone_who_cannot_hold_the_case(
    session: Session, case: Case, supervisor: User, assignee_fields: dict[str, Any], reason: str
) -> None:
    assignee = add_user(session, **assignee_fields)
    with pytest.raises(InvalidTransition):
        assign(session, case, assignee, actor=supervisor, now=NOW)
    assert case.assigned_to_id is None
    assert len(_events(session, case)) == 1, reason


def test_assigning_to_the_current_assignee_is_refused(
    session: Session, case: Case, supervisor: User, caseworker: User
) -> None:
    assign(session, case, caseworker, actor=supervisor, now=NOW)
    with pytest.raises(InvalidTransition):
        assign(session, case, caseworker, actor=supervisor, now=LATER)


def test_acknowledging_an_unassigned_case_is_refused(
    session: Session, case: Case, supervisor: User
) -> None:
    with pytest.raises(InvalidTransition):
        acknowledge(session, case, actor=supervisor, now=NOW)


def test_notes_are_encrypted_and_audited_without_their_text(
    session: Session, case: Case, vault: Vault
) -> None:
    agent = add_user(session, "hotline_agent")
    text = "  Grandmother Rehema called back; the child is with her now.  "
    note = add_note(session, vault, case, text, actor=agent, now=LATER)
    assert vault.decrypt(note.body_encrypted) == text.strip()
    assert b"Rehema" not in note.body_encrypted
    event = _last_event(session, case)
    assert event.kind is EventKind.NOTE_ADDED and event.actor_user_id == agent.id
    assert event.data == {"before": None, "after": {"note_id": note.id}}
    assert "Rehema" not in repr(event.data)


@pytest.mark.parametrize("text", ["", "   ", "x" * 4001])
def test_empty_or_huge_notes_are_refused(
    session: Session, case: Case, vault: Vault, supervisor: User, text: str
) -> None:
    with pytest.raises(InvalidNote):
        add_note(session, vault, case, text, actor=supervisor, now=NOW)
    assert row_counts(session)["note"] == 0


def test_status_changes_are_audited(session: Session, case: Case, supervisor: User) -> None:
    event = change_status(session, case, CaseStatus.ESCALATED, actor=supervisor, now=LATER)
    assert case.status is CaseStatus.ESCALATED
    assert event.kind is EventKind.STATUS_CHANGED
    assert event.data == {"before": {"status": "open"}, "after": {"status": "escalated"}}
    change_status(session, case, CaseStatus.PENDING, actor=supervisor, now=LATER)
    assert case.status is CaseStatus.PENDING


@pytest.mark.parametrize("status", [CaseStatus.OPEN, CaseStatus.CLOSED])
def test_status_change_refuses_no_ops_and_closing(
    session: Session, case: Case, supervisor: User, status: CaseStatus
) -> None:
    with pytest.raises(InvalidTransition):
        change_status(session, case, status, actor=supervisor, now=LATER)
    assert case.status is CaseStatus.OPEN and len(_events(session, case)) == 1


def test_close_and_reopen(session: Session, case: Case, supervisor: User) -> None:
    closed = close(session, case, ClosureReason.RESOLVED, actor=supervisor, now=LATER)
    assert (case.status, case.workflow_stage) == (CaseStatus.CLOSED, WorkflowStage.CLOSED)
    assert case.closure_reason is ClosureReason.RESOLVED and case.closed_at == LATER
    assert closed.data["before"]["status"] == "open"
    assert closed.data["after"] == {
        "status": "closed",
        "workflow_stage": "closed",
        "closure_reason": "resolved",
        "closed_at": LATER.isoformat(),
    }
    for refused in (
        lambda: close(session, case, ClosureReason.OTHER, actor=supervisor, now=LATER),
        lambda: change_status(session, case, CaseStatus.OPEN, actor=supervisor, now=LATER),
        lambda: assign(session, case, supervisor, actor=supervisor, now=LATER),
    ):
        with pytest.raises(InvalidTransition):
            refused()

    reopened = reopen(session, case, actor=supervisor, now=LATER + timedelta(days=1))
    assert (case.status, case.workflow_stage) == (CaseStatus.OPEN, WorkflowStage.ASSESSMENT)
    assert case.closure_reason is None and case.closed_at is None
    assert reopened.data["before"]["closure_reason"] == "resolved"
    with pytest.raises(InvalidTransition):
        reopen(session, case, actor=supervisor, now=LATER)
    assert [e.kind for e in _events(session, case)][-2:] == [EventKind.CLOSED, EventKind.REOPENED]


def test_history_survives_a_commit(
    session: Session, case: Case, supervisor: User, caseworker: User, vault: Vault
) -> None:
    assign(session, case, caseworker, actor=supervisor, now=NOW)
    add_note(session, vault, case, "called", actor=caseworker, now=NOW)
    close(session, case, ClosureReason.REFERRED, actor=caseworker, now=LATER)
    session.commit()
    session.expunge_all()
    stored = session.get(Case, case.id)
    assert stored is not None and stored.status is CaseStatus.CLOSED
    assert [n.author_id for n in stored.notes] == [caseworker.id]
    assert [e.kind for e in stored.events] == [
        EventKind.CASE_OPENED,
        EventKind.ASSIGNED,
        EventKind.NOTE_ADDED,
        EventKind.CLOSED,
    ]
    assert stored.events[-1].at == LATER


def test_raising_a_level_moves_the_deadlines_from_the_opening_time(
    session: Session, case: Case, supervisor: User, vault: Vault
) -> None:
    assert case.risk_level is RiskLevel.LOW
    event = change_risk_level(session, vault, case, RiskLevel.HIGH, actor=supervisor, now=LATER)
    assert case.risk_level is RiskLevel.HIGH
    assert case.assign_by == NOW + timedelta(hours=1)
    assert case.first_contact_by == NOW + timedelta(hours=24)
    assert event.kind is EventKind.LEVEL_CHANGED
    assert event.data["before"]["risk_level"] == "low"
    assert event.data["after"] == {
        "risk_level": "high",
        "assign_by": (NOW + timedelta(hours=1)).isoformat(),
        "first_contact_by": (NOW + timedelta(hours=24)).isoformat(),
        "reason_note_id": None,
    }


def test_lowering_a_level_needs_a_reason_kept_encrypted(
    session: Session, vault: Vault, supervisor: User
) -> None:
    case = open_case(session, vault, build_report(answers=answers(danger="yes")), now=NOW)
    for missing in (None, "  "):
        with pytest.raises(InvalidTransition):
            change_risk_level(
                session, vault, case, RiskLevel.LOW, actor=supervisor, now=LATER, reason=missing
            )
    assert case.risk_level is RiskLevel.IMMEDIATE and len(_events(session, case)) == 1

    reason = "Called back: Mama Njeri says the child is safe with her grandmother."
    event = change_risk_level(
        session, vault, case, RiskLevel.LOW, actor=supervisor, now=LATER, reason=reason
    )
    assert case.risk_level is RiskLevel.LOW
    assert case.first_contact_by == NOW + timedelta(days=7)
    note = session.get(Note, event.data["after"]["reason_note_id"])
    assert note is not None and vault.decrypt(note.body_encrypted) == reason
    assert "Njeri" not in repr(event.data)
    assert [e.kind for e in _events(session, case)][-2:] == [
        EventKind.NOTE_ADDED,
        EventKind.LEVEL_CHANGED,
    ]


def test_re_triage_refuses_the_same_level_and_closed_cases(
    session: Session, case: Case, supervisor: User, vault: Vault
) -> None:
    with pytest.raises(InvalidTransition):
        change_risk_level(session, vault, case, RiskLevel.LOW, actor=supervisor, now=LATER)
    close(session, case, ClosureReason.RESOLVED, actor=supervisor, now=LATER)
    with pytest.raises(InvalidTransition):
        change_risk_level(session, vault, case, RiskLevel.HIGH, actor=supervisor, now=LATER)


# -- permissions -------------------------------------------------------------------------------

Operation = Callable[[Session, Vault, Case, User], Any]

OPERATIONS: dict[Action, Operation] = {
    Action.ASSIGN: lambda s, v, c, actor: assign(
        s, c, add_user(s, "caseworker"), actor=actor, now=LATER
    ),
    Action.ACKNOWLEDGE: lambda s, v, c, actor: acknowledge(s, c, actor=actor, now=LATER),
    Action.ADD_NOTE: lambda s, v, c, actor: add_note(s, v, c, "seen", actor=actor, now=LATER),
    Action.CHANGE_STATUS: lambda s, v, c, actor: change_status(
        s, c, CaseStatus.PENDING, actor=actor, now=LATER
    ),
    Action.CHANGE_LEVEL: lambda s, v, c, actor: change_risk_level(
        s, v, c, RiskLevel.IMMEDIATE, actor=actor, now=LATER
    ),
    Action.CLOSE: lambda s, v, c, actor: close(
        s, c, ClosureReason.RESOLVED, actor=actor, now=LATER
    ),
    Action.REOPEN: lambda s, v, c, actor: reopen(s, c, actor=actor, now=LATER),
}

ALL = frozenset(OPERATIONS)
# (who acts, how the case stands) -> the operations they may run.
MATRIX: list[tuple[str, dict[str, Any], str, frozenset[Action]]] = [
    ("admin", {}, "assigned elsewhere", ALL),
    ("admin", {"areas": ["001"]}, "assigned elsewhere", ALL),
    ("supervisor", {}, "assigned elsewhere", ALL),
    ("supervisor", {"areas": ["047"]}, "assigned elsewhere", ALL),
    ("supervisor", {"areas": ["001"]}, "assigned elsewhere", frozenset()),
    ("supervisor", {"active": False}, "assigned elsewhere", frozenset()),
    (
        "caseworker",
        {},
        "assigned to actor",
        frozenset(
            {
                Action.ACKNOWLEDGE,
                Action.ADD_NOTE,
                Action.CHANGE_STATUS,
                Action.CHANGE_LEVEL,
                Action.CLOSE,
            }
        ),
    ),
    ("caseworker", {}, "assigned elsewhere", frozenset()),
    ("caseworker", {"active": False}, "assigned to actor", frozenset()),
    ("hotline_agent", {}, "assigned elsewhere", frozenset({Action.ADD_NOTE})),
]


@pytest.mark.parametrize(
    ("role", "fields", "assignment", "may"),
    MATRIX,
    ids=[f"{r}-{'-'.join(f) or 'all-areas'}-{a}".replace(" ", "_") for r, f, a, _ in MATRIX],
)
@pytest.mark.parametrize("action", list(OPERATIONS), ids=lambda a: a.value)
def test_permission_matrix(
    session: Session,
    vault: Vault,
    supervisor: User,
    role: str,
    fields: dict[str, Any],
    assignment: str,
    may: frozenset[Action],
    action: Action,
) -> None:
    case = open_case(session, vault, build_report(), now=NOW)
    fields = dict(fields)
    active = fields.pop("active", True)
    actor = add_user(session, role, **fields)
    holder = actor if assignment == "assigned to actor" else add_user(session, "caseworker")
    assign(session, case, holder, actor=supervisor, now=NOW)
    actor.active = active  # deactivated after being given the case
    if action is Action.REOPEN:
        close(session, case, ClosureReason.RESOLVED, actor=supervisor, now=NOW)
    events_before = len(_events(session, case))
    notes_before = row_counts(session)["note"]

    assert allowed(actor, action, case) is (action in may)
    if action in may:
        OPERATIONS[action](session, vault, case, actor)
        latest = _last_event(session, case)
        assert len(_events(session, case)) == events_before + 1
        assert latest.actor_user_id == actor.id and latest.at == LATER
    else:
        with pytest.raises(PermissionDenied):
            OPERATIONS[action](session, vault, case, actor)
        assert len(_events(session, case)) == events_before
        assert row_counts(session)["note"] == notes_before
        session.flush()
        assert session.scalar(select(Note.id).where(Note.author_id == actor.id)) is None


def test_permission_errors_name_no_person(session: Session, case: Case, vault: Vault) -> None:
    agent = add_user(session, "hotline_agent", username="amina.otieno")
    with pytest.raises(PermissionDenied) as raised:
        close(session, case, ClosureReason.RESOLVED, actor=agent, now=LATER)
    assert "amina" not in str(raised.value)
    assert str(agent.id) in str(raised.value)
