"""One function per staff verb: what it does and what it answers.

A verb about a case gets the open case (``verbs.run_staff_command`` looked it up and refused
an unknown or closed one) and raises the operations' refusals (``PermissionDenied``,
``InvalidNote``, ``InvalidTransition``) before its first write, so that a refusal writes
nothing; it checks what an operation would only check after writing (a claim before an
acknowledgement, the reason before the closure note). Every write is a named operation of the
case store, with its permission check and audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from case_store.enums import ClosureReason, RiskLevel
from case_store.models import Case, OutboxRow, User
from case_store.operations import (
    PermissionDenied,
    acknowledge,
    add_note,
    change_risk_level,
    claim,
    close,
    record_consent,
    record_first_contact,
)
from case_store.permissions import Action, allowed, check
from case_store.queries.cases import cases_for_staff, count_cases_for_staff
from case_store.references import format_reference
from dialogs.staff_keywords import ANY_LANGUAGE
from gateway.channels.sms.staff import replies
from gateway.channels.sms.staff.parsing import StaffCommand
from gateway.channels.sms.staff.replies import Voice
from gateway.runtime import Runtime

# CASES reads at most this many cases: more never fit in one SMS ("+N more" counts the rest).
LISTED = 40


@dataclass(frozen=True)
class Request:
    rt: Runtime
    db: Session
    user: User
    command: StaffCommand
    voice: Voice
    now: datetime
    outbox: list[OutboxRow]  # what the command sends besides its reply (a referral)


@dataclass(frozen=True)
class Reply:
    text: str
    outcome: str  # a few words for the log line: never a name, a number or what was typed
    case: Case | None = None  # the case the reply is filed under in the message log


def ack(req: Request, case: Case) -> Reply:
    """Claim the case when nobody holds it, and acknowledge it."""
    if case.assigned_to_id is None:
        if not allowed(req.user, Action.CLAIM, case):
            raise PermissionDenied(f"user {req.user.id} may not claim case {case.id}")
        claim(req.db, case, actor=req.user, now=req.now)
    acknowledge(req.db, case, actor=req.user, now=req.now)
    return _said(req, replies.ACKNOWLEDGED, "acknowledged", case)


def called(req: Request, case: Case) -> Reply:
    """First contact made: the first-contact clock stops; a second CALLED does not move it.

    After the reference, the reporter's answer to being referred to services may follow
    (``CONSENT`` or ``NOCONSENT`` in the user's words), recorded whether or not the first
    contact was recorded before; anything else there is refused.
    """
    check(req.user, Action.RECORD_CONTACT, case)
    keywords = req.voice.keywords
    agreed: bool | None = None
    if req.command.rest:
        found = keywords.leading(keywords.consent, req.command.rest, req.rt.profile.languages)
        if found is None or found[1]:
            return _said(req, replies.CONSENT_WORDS, "refused: no consent word", case)
        agreed = found[0] == "yes"
    contact = record_first_contact(req.db, case, actor=req.user, now=req.now)
    if agreed is None and contact is not None:
        return _said(req, replies.CONTACT_RECORDED, "first contact recorded", case)
    if agreed is None:
        time = _contacted(req, case)
        return _said(req, replies.CONTACT_ALREADY, "first contact recorded before", case, time=time)
    consent = record_consent(req.db, case, services=agreed, actor=req.user, now=req.now)
    answer = "consent" if agreed else "refusal"
    if contact is not None:
        message = replies.CONTACT_CONSENT if agreed else replies.CONTACT_REFUSAL
        return _said(req, message, f"first contact and {answer} recorded", case)
    time = _contacted(req, case)
    if consent is not None:
        message = replies.CONSENT_RECORDED if agreed else replies.REFUSAL_RECORDED
        return _said(req, message, f"{answer} recorded", case, time=time)
    message = replies.CONSENT_ALREADY if agreed else replies.REFUSAL_ALREADY
    return _said(req, message, f"{answer} recorded before", case, time=time)


def _contacted(req: Request, case: Case) -> str:
    """When the first contact of ``case`` was recorded, as the reader reads a time."""
    assert case.first_contacted_at is not None
    return req.voice.time(case.first_contacted_at)


def note(req: Request, case: Case) -> Reply:
    add_note(req.db, req.rt.vault, case, req.command.rest, actor=req.user, now=req.now)
    return _said(req, replies.NOTED, "noted", case)


def level(req: Request, case: Case) -> Reply:
    """Raise the level, or lower it with a reason (kept as a note); deadlines follow the new
    level under the deployment's triage policy."""
    check(req.user, Action.CHANGE_LEVEL, case)
    voice, keywords = req.voice, req.voice.keywords
    found = keywords.leading(keywords.levels, req.command.rest, req.rt.profile.languages)
    if found is None:
        levels = ", ".join(voice.level(level) for level in RiskLevel)
        return _said(req, replies.LEVEL_WORDS, "refused: no level", case, levels=levels)
    new, reason = RiskLevel(found[0]), found[1]
    if new is case.risk_level:
        return _said(req, replies.LEVEL_SAME, "unchanged", case, level=voice.level(new))
    if new.severity < case.risk_level.severity and not reason:
        return _said(req, replies.LEVEL_REASON, "refused: no reason", case, level=voice.level(new))
    change_risk_level(
        req.db,
        req.rt.vault,
        case,
        new,
        actor=req.user,
        now=req.now,
        reason=reason or None,
        policy=req.rt.triage,
    )
    if case.first_contacted_at is not None:
        return _said(
            req, replies.LEVEL_CHANGED_CONTACTED, "level changed", case, level=voice.level(new)
        )
    deadline = voice.time(case.first_contact_by)
    return _said(
        req, replies.LEVEL_CHANGED, "level changed", case, level=voice.level(new), deadline=deadline
    )


def close_case(req: Request, case: Case) -> Reply:
    """Close with one of the reasons (words after it become a note first)."""
    keywords = req.voice.keywords
    found = keywords.leading(keywords.reasons, req.command.rest, req.rt.profile.languages)
    if found is None:
        listed = keywords.reasons.get(ANY_LANGUAGE, {})
        shown = ", ".join(req.voice.reason(reason) for reason in listed)
        return _said(req, replies.REASONS, "refused: no closure reason", case, reasons=shown)
    reason, extra = ClosureReason(found[0]), found[1]
    if not allowed(req.user, Action.CLOSE, case):
        raise PermissionDenied(f"user {req.user.id} may not close case {case.id}")
    if extra:
        add_note(req.db, req.rt.vault, case, extra, actor=req.user, now=req.now)
    close(req.db, case, reason, actor=req.user, now=req.now)
    return _said(req, replies.CLOSED, "closed", case, reason=req.voice.reason(reason.value))


def cases(req: Request) -> Reply:
    """The open cases on the user's plate, most urgent first, in one SMS."""
    found = cases_for_staff(req.db, req.user, limit=LISTED)
    total = len(found) if len(found) < LISTED else count_cases_for_staff(req.db, req.user)
    text = req.voice.case_list(found, total, req.rt.settings.sms_max_segments)
    return Reply(text, f"{total} cases listed")


def help_text(req: Request) -> Reply:
    """The commands, in the user's words, in one SMS of at most three segments; how to give the
    PIN if asked."""
    text = req.voice.say(replies.HELP)
    if req.voice.pin:
        text = f"{text} {req.voice.say(replies.HELP_PIN)}"
    return Reply(text, "help")


def _said(req: Request, message: str, outcome: str, case: Case, **values: str) -> Reply:
    text = req.voice.say(message, reference=format_reference(case.reference), **values)
    return Reply(text, outcome, case)
