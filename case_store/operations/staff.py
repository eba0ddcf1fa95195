"""Operations staff perform on a case; each checks the actor's permission first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import (
    CaseStatus,
    ClosureReason,
    EventKind,
    RiskLevel,
    WorkflowStage,
)
from case_store.models import (
    Case,
    CaseEvent,
    Note,
    User,
)
from case_store.operations.audit import (
    ACTOR_SYSTEM,
    assignment_fields,
    closure_fields,
    iso,
    level_fields,
    record_event,
    record_staff_event,
    refuse_if_closed,
)
from case_store.operations.deadlines import recheck_deadlines
from case_store.operations.errors import MAX_NOTE, InvalidNote, InvalidTransition
from case_store.operations.follow_ups import owe_follow_up
from case_store.permissions import Action, can_be_assigned, check
from case_store.triage import TriagePolicy


def assign(
    session: Session, case: Case, assignee: User, *, actor: User, now: datetime
) -> CaseEvent:
    """Give ``case`` to ``assignee``, who must then acknowledge it."""
    check(actor, Action.ASSIGN, case)
    refuse_if_closed(case, "assign")
    if not can_be_assigned(assignee, case):
        raise InvalidTransition(f"user {assignee.id} cannot hold case {case.id}")
    if case.assigned_to_id == assignee.id:
        raise InvalidTransition(f"case {case.id} is already assigned to user {assignee.id}")
    now = as_utc(now, "now")
    before = assignment_fields(case)
    case.assigned_to = assignee
    case.assigned_to_id = assignee.id
    case.assigned_at = now
    case.acknowledged_at = None
    recheck_deadlines(case, now=now)  # the assign-by deadline is unmet until they acknowledge
    return record_staff_event(
        session, case, EventKind.ASSIGNED, actor, now, before, assignment_fields(case)
    )


def claim(session: Session, case: Case, *, actor: User, now: datetime) -> CaseEvent | None:
    """``actor`` takes an unassigned case for themselves (answering an alert by SMS).

    Claiming a case one already holds is a no-op (None); a case held by someone else is
    refused, so a claim never takes work away from a colleague (a supervisor ``assign``s).
    """
    check(actor, Action.CLAIM, case)
    refuse_if_closed(case, "claim")
    if case.assigned_to_id == actor.id:
        return None
    if case.assigned_to_id is not None:
        raise InvalidTransition(f"case {case.id} is assigned to user {case.assigned_to_id}")
    if not can_be_assigned(actor, case):
        raise InvalidTransition(f"user {actor.id} cannot hold case {case.id}")
    now = as_utc(now, "now")
    before = assignment_fields(case)
    case.assigned_to = actor
    case.assigned_to_id = actor.id
    case.assigned_at = now
    after = assignment_fields(case) | {"claimed": True}
    return record_staff_event(session, case, EventKind.ASSIGNED, actor, now, before, after)


def acknowledge(session: Session, case: Case, *, actor: User, now: datetime) -> CaseEvent | None:
    """The assignee confirms they have the case; repeating it (an SMS sent twice) is a no-op.
    The reporter, if they agreed to SMS updates, is owed a follow-up."""
    check(actor, Action.ACKNOWLEDGE, case)
    refuse_if_closed(case, "acknowledge")
    if case.assigned_to_id is None:
        raise InvalidTransition(f"case {case.id} is not assigned")
    if case.acknowledged_at is not None:
        return None
    now = as_utc(now, "now")
    before = assignment_fields(case) | {"workflow_stage": case.workflow_stage.value}
    case.acknowledged_at = now
    if case.workflow_stage is WorkflowStage.NEW:
        case.workflow_stage = WorkflowStage.ASSESSMENT
    owe_follow_up(case, now=now)
    after = assignment_fields(case) | {"workflow_stage": case.workflow_stage.value}
    return record_staff_event(session, case, EventKind.ACKNOWLEDGED, actor, now, before, after)


def add_note(
    session: Session, vault: Vault, case: Case, text: str, *, actor: User, now: datetime
) -> Note:
    """A note on ``case``, stored encrypted; the audit event records that it exists, not what
    it says."""
    check(actor, Action.ADD_NOTE, case)
    body = text.strip()
    if not body or len(body) > MAX_NOTE:
        raise InvalidNote(f"a note has 1 to {MAX_NOTE} characters")
    now = as_utc(now, "now")
    note = Note(case=case, author=actor, created_at=now, body_encrypted=vault.encrypt(body))
    session.add(note)
    session.flush()
    record_staff_event(session, case, EventKind.NOTE_ADDED, actor, now, None, {"note_id": note.id})
    return note


def change_status(
    session: Session, case: Case, status: CaseStatus, *, actor: User, now: datetime
) -> CaseEvent:
    """Move an open case between open, pending and escalated (``close``/``reopen`` for the rest)."""
    check(actor, Action.CHANGE_STATUS, case)
    refuse_if_closed(case, "change the status of")
    if status is CaseStatus.CLOSED:
        raise InvalidTransition("use close() to close a case, with a reason")
    if status is case.status:
        raise InvalidTransition(f"case {case.id} is already {status.value}")
    now = as_utc(now, "now")
    before = {"status": case.status.value}
    case.status = status
    return record_staff_event(
        session, case, EventKind.STATUS_CHANGED, actor, now, before, {"status": status.value}
    )


def close(
    session: Session, case: Case, reason: ClosureReason, *, actor: User, now: datetime
) -> CaseEvent:
    """Close ``case`` for ``reason``; the reporter, if they agreed to SMS updates, is owed a
    follow-up."""
    check(actor, Action.CLOSE, case)
    refuse_if_closed(case, "close")
    now = as_utc(now, "now")
    before = closure_fields(case)
    case.status = CaseStatus.CLOSED
    case.workflow_stage = WorkflowStage.CLOSED
    case.closure_reason = reason
    case.closed_at = now
    owe_follow_up(case, now=now)
    return record_staff_event(
        session, case, EventKind.CLOSED, actor, now, before, closure_fields(case)
    )


def reopen(session: Session, case: Case, *, actor: User, now: datetime) -> CaseEvent:
    """Open a closed case again, back in assessment; the closure stays in the audit trail."""
    check(actor, Action.REOPEN, case)
    if case.status is not CaseStatus.CLOSED:
        raise InvalidTransition(f"case {case.id} is not closed")
    now = as_utc(now, "now")
    before = closure_fields(case)
    case.status = CaseStatus.OPEN
    case.workflow_stage = WorkflowStage.ASSESSMENT
    case.closure_reason = None
    case.closed_at = None
    recheck_deadlines(case, now=now)
    return record_staff_event(
        session, case, EventKind.REOPENED, actor, now, before, closure_fields(case)
    )


def record_first_contact(
    session: Session, case: Case, *, actor: User, now: datetime
) -> CaseEvent | None:
    """``actor`` reached the child or the reporter: the first-contact clock stops.

    Only the first one counts: recording it again (an SMS sent twice) is a no-op (None), and
    the time of the first stays.
    """
    check(actor, Action.RECORD_CONTACT, case)
    refuse_if_closed(case, "record first contact on")
    if case.first_contacted_at is not None:
        return None
    now = as_utc(now, "now")
    before = {"first_contacted_at": None, "first_contact_by": iso(case.first_contact_by)}
    case.first_contacted_at = now
    after = {"first_contacted_at": iso(now), "first_contact_by": iso(case.first_contact_by)}
    return record_staff_event(
        session, case, EventKind.FIRST_CONTACT_MADE, actor, now, before, after
    )


def record_consent(
    session: Session, case: Case, *, services: bool, actor: User, now: datetime
) -> CaseEvent | None:
    """``actor`` asked the reporter, on a call, whether they agree to be referred to services:
    ``services`` is their answer (``Case.consent_services``), which ``refer`` needs.

    Who may record a contact may record the answer it brought. Recording the answer it already
    has is a no-op (None); a changed answer replaces it, and both are in the audit trail. The
    answer to sharing with other agencies (``Case.consent_share``) is another question and is
    left as it is: when the reporter refused sharing, a referral still needs a supervisor's
    override, whatever their consent to services.
    """
    check(actor, Action.RECORD_CONTACT, case)
    refuse_if_closed(case, "record consent on")
    if case.consent_services is services:
        return None
    now = as_utc(now, "now")
    before = {"consent_services": case.consent_services}
    case.consent_services = services
    return record_staff_event(
        session,
        case,
        EventKind.CONSENT_RECORDED,
        actor,
        now,
        before,
        {"consent_services": services},
    )


def change_risk_level(
    session: Session,
    vault: Vault,
    case: Case,
    level: RiskLevel,
    *,
    actor: User,
    now: datetime,
    reason: str | None = None,
    policy: TriagePolicy | None = None,
) -> CaseEvent:
    """A person re-triages ``case``; deadlines follow the new level from the time it opened.

    Lowering a level needs a reason. The reason may name people, so it is kept as an encrypted
    note and the audit event points at that note.
    """
    check(actor, Action.CHANGE_LEVEL, case)
    refuse_if_closed(case, "re-triage")
    if level is case.risk_level:
        raise InvalidTransition(f"case {case.id} is already {level.value}")
    lowering = level.severity < case.risk_level.severity
    if lowering and not (reason and reason.strip()):
        raise InvalidTransition("lowering a risk level needs a reason")
    now = as_utc(now, "now")
    deadlines = (policy or TriagePolicy.default()).deadlines[level]
    before = level_fields(case)
    reason_note = (
        add_note(session, vault, case, reason, actor=actor, now=now)
        if reason and reason.strip()
        else None
    )
    case.risk_level = level
    case.assign_by = case.created_at + deadlines.assign_within
    case.first_contact_by = case.created_at + deadlines.first_contact_within
    recheck_deadlines(case, now=now)
    after = level_fields(case) | {"reason_note_id": reason_note.id if reason_note else None}
    return record_staff_event(session, case, EventKind.LEVEL_CHANGED, actor, now, before, after)


def confirm_repeat(
    session: Session, case: Case, is_repeat: bool, *, actor: User, now: datetime
) -> CaseEvent:
    """A person decides whether ``case`` repeats the case it was linked to.

    Yes merges it into that case (``merge_duplicate``, which needs the merge permission); no
    keeps both cases and clears the flag. Either way the decision is audited.
    """
    check(actor, Action.CONFIRM_REPEAT, case)
    if case.repeat_of is None or case.repeat_confirmed is not None:
        raise InvalidTransition(f"case {case.id} has no repeat link waiting for a decision")
    now = as_utc(now, "now")
    original = case.repeat_of
    before = {"repeat_of": original.reference, "repeat_confirmed": None}
    if is_repeat:
        merge_duplicate(session, case, original, actor=actor, now=now)
    case.repeat_confirmed = is_repeat
    kind = EventKind.REPEAT_CONFIRMED if is_repeat else EventKind.REPEAT_REJECTED
    after = {"repeat_of": original.reference, "repeat_confirmed": is_repeat}
    return record_staff_event(session, case, kind, actor, now, before, after)


def unlink_repeat(
    session: Session,
    case: Case,
    *,
    now: datetime,
    actor: User | None = None,
    actor_label: str = ACTOR_SYSTEM,
) -> CaseEvent:
    """Undo the repeat link of ``case`` (a wrong suggestion, or a wrong decision not yet
    merged): both cases carry on as unrelated, and the change is audited. A staff ``actor``
    needs the permission to decide on repeats; the administrator's command line runs on the
    server and is recorded under ``actor_label``."""
    if actor is not None:
        check(actor, Action.CONFIRM_REPEAT, case)
    if case.repeat_of is None:
        raise InvalidTransition(f"case {case.id} is not linked to another case")
    if case.merged_into_id is not None:
        raise InvalidTransition(f"case {case.id} was merged; a merge is not undone by unlinking")
    now = as_utc(now, "now")
    reason = case.repeat_reason.value if case.repeat_reason is not None else None
    before = {"repeat_of": case.repeat_of.reference, "repeat_reason": reason}
    case.repeat_of = None
    case.repeat_of_id = None
    case.repeat_reason = None
    case.repeat_confirmed = None
    after: dict[str, str | None] = {"repeat_of": None, "repeat_reason": None}
    if actor is not None:
        return record_staff_event(
            session, case, EventKind.REPEAT_UNLINKED, actor, now, before, after
        )
    return record_event(
        session, case, EventKind.REPEAT_UNLINKED, actor_label, None, now, after, before
    )


def merge_duplicate(
    session: Session, duplicate: Case, into: Case, *, actor: User, now: datetime
) -> CaseEvent:
    """Close ``duplicate`` as a duplicate of ``into``; returns the event on ``into``.

    Nothing is copied or moved: both cases keep their contacts, notes and history, and the
    duplicate points at the case that carries on. If the duplicate was more urgent, ``into``
    takes its level and the earlier deadlines (triage only ever raises on its own).
    """
    check(actor, Action.MERGE, duplicate)
    check(actor, Action.MERGE, into)
    if duplicate.id == into.id:
        raise InvalidTransition("a case cannot be merged into itself")
    if duplicate.merged_into_id is not None or into.merged_into_id is not None:
        raise InvalidTransition("a merged case cannot be merged again or merged into")
    refuse_if_closed(into, "merge into")
    refuse_if_closed(duplicate, "merge")
    now = as_utc(now, "now")
    before = closure_fields(duplicate) | {"merged_into": None}
    duplicate.status = CaseStatus.CLOSED
    duplicate.workflow_stage = WorkflowStage.CLOSED
    duplicate.closure_reason = ClosureReason.DUPLICATE
    duplicate.closed_at = now
    duplicate.merged_into = into
    duplicate.merged_into_id = into.id
    owe_follow_up(duplicate, now=now)  # its reporter's reference now reads "closed"
    after = closure_fields(duplicate) | {"merged_into": into.reference}
    record_staff_event(session, duplicate, EventKind.MERGED_INTO, actor, now, before, after)

    into_before = level_fields(into)
    if duplicate.risk_level.severity > into.risk_level.severity:
        into.risk_level = duplicate.risk_level
        into.assign_by = min(into.assign_by, duplicate.assign_by)
        into.first_contact_by = min(into.first_contact_by, duplicate.first_contact_by)
        recheck_deadlines(into, now=now)
    into_after = level_fields(into) | {"duplicate": duplicate.reference}
    return record_staff_event(
        session, into, EventKind.DUPLICATE_MERGED, actor, now, into_before, into_after
    )


def record_reveal(
    session: Session,
    case: Case,
    fields: list[str],
    *,
    now: datetime,
    actor: User | None = None,
    actor_label: str = ACTOR_SYSTEM,
) -> CaseEvent:
    """Audit that someone saw ``fields`` of ``case`` in clear (the field names, never the
    values). A staff ``actor`` needs the reveal permission; the administrator's command line
    runs on the server and is recorded under ``actor_label``."""
    now = as_utc(now, "now")
    after = {"fields": sorted(fields)}
    if actor is not None:
        check(actor, Action.REVEAL, case)
        return record_staff_event(session, case, EventKind.REVEALED, actor, now, None, after)
    return record_event(session, case, EventKind.REVEALED, actor_label, None, now, after)
