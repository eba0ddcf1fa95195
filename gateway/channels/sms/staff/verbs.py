"""The staff verbs, and running one: the table below is the one place a verb is added.

A verb is a ``CaseVerb`` (typed with a case reference: ``NOTE 482177302 text``) or a
``PlainVerb`` (the whole message: ``CASES``), with its handler in ``handlers``. Its words in
every language are data in the dialog tree (``sms.staff.keywords``, under the same name).

Before a handler runs, and before anything is looked up: a deactivated user's command (a lost
phone) is refused, then one without the deployment's PIN (``pin``). A case verb then needs a
known reference of an open case; a refusal of the handler's operation is answered with the
reason (the user's role or areas, a colleague holding the case, a claim to make first).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from case_store.enums import CaseStatus, ClosureReason
from case_store.models import Case, OutboxRow, User
from case_store.operations import InvalidNote, InvalidTransition, PermissionDenied
from case_store.permissions import ROLE_ACTIONS, Action, allowed, can_be_assigned
from case_store.queries.cases import find_case_by_reference
from case_store.queries.users import staff_language
from case_store.references import format_reference
from dialogs.render import N_
from gateway.channels.sms.staff import handlers, replies
from gateway.channels.sms.staff.handlers import Reply, Request
from gateway.channels.sms.staff.parsing import StaffCommand, parse_staff_command
from gateway.channels.sms.staff.pin import pin_refusal
from gateway.channels.sms.staff.refer import refer
from gateway.channels.sms.staff.replies import Voice
from gateway.runtime import Runtime

log = logging.getLogger("kinga.staff_sms")


@dataclass(frozen=True)
class CaseVerb:
    handle: Callable[[Request, Case], Reply]
    action: Action  # what it asks permission for: how a refusal is worded
    shape: str  # how it is typed (a message id), shown when the reference is missing


@dataclass(frozen=True)
class PlainVerb:
    handle: Callable[[Request], Reply]


VERBS: Mapping[str, CaseVerb | PlainVerb] = {
    "ack": CaseVerb(handlers.ack, Action.ACKNOWLEDGE, N_("{ACK}{pin} 482177302")),
    "called": CaseVerb(handlers.called, Action.RECORD_CONTACT, N_("{CALLED}{pin} 482177302")),
    "note": CaseVerb(handlers.note, Action.ADD_NOTE, N_("{NOTE}{pin} 482177302 your note")),
    "level": CaseVerb(
        handlers.level, Action.CHANGE_LEVEL, N_("{LEVEL}{pin} 482177302 {HIGH} reason")
    ),
    "refer": CaseVerb(refer, Action.REFER, N_("{REFER}{pin} 482177302 health")),
    "close": CaseVerb(handlers.close_case, Action.CLOSE, N_("{CLOSE}{pin} 482177302 {RESOLVED}")),
    "cases": PlainVerb(handlers.cases),
    "help": PlainVerb(handlers.help_text),
}
ALONE = frozenset(verb for verb, kind in VERBS.items() if isinstance(kind, PlainVerb))
# A duplicate is closed by merging it into the case it repeats (console), not by SMS.
SMS_CLOSURE_REASONS = tuple(r.value for r in ClosureReason if r is not ClosureReason.DUPLICATE)


def read_staff_command(rt: Runtime, text: str) -> StaffCommand | None:
    """The staff command ``text`` is, in the deployment's languages; None for anything else."""
    return parse_staff_command(
        text,
        rt.tree.sms.staff,
        rt.profile.languages,
        alone=ALONE,
        pin=bool(rt.settings.staff_sms_pin),
    )


def run_staff_command(
    rt: Runtime,
    db: Session,
    user: User,
    command: StaffCommand,
    *,
    phone: str,
    now: datetime,
    outbox: list[OutboxRow],
) -> Reply:
    """Run ``command`` for ``user`` (texting from ``phone``) in the caller's transaction; what
    it sends besides the reply (a referral) is added to ``outbox``."""
    voice = Voice(rt, staff_language(user, rt.profile.languages), now)
    if not user.active:
        log.warning("staff command %s by deactivated user %s refused", command.verb, user.id)
        return Reply(voice.say(replies.DEACTIVATED), "refused: user deactivated")
    refusal = pin_refusal(rt, phone, command)
    if refusal is not None:
        log.warning("staff command %s by user %s refused: PIN", command.verb, user.id)
        return Reply(voice.say(refusal), "refused: PIN")
    request = Request(rt, db, user, command, voice, now, outbox)
    verb = VERBS[command.verb]
    if isinstance(verb, PlainVerb):
        reply = verb.handle(request)
        log.info("staff command %s by user %s: %s", command.verb, user.id, reply.outcome)
        return reply
    reply = _on_case(request, verb)
    case_id = reply.case.id if reply.case is not None else None
    log.info(
        "staff command %s by user %s on case %s: %s", command.verb, user.id, case_id, reply.outcome
    )
    return reply


def _on_case(req: Request, verb: CaseVerb) -> Reply:
    voice = req.voice
    if req.command.reference is None:
        return Reply(voice.say(replies.USAGE, shape=voice.say(verb.shape)), "refused: no reference")
    case = find_case_by_reference(req.db, req.command.reference)
    if case is None:
        shown = format_reference(req.command.reference)
        return Reply(voice.say(replies.UNKNOWN, reference=shown), "refused: unknown reference")
    reference = format_reference(case.reference)
    if case.status is CaseStatus.CLOSED:
        return Reply(voice.say(replies.ALREADY_CLOSED, reference=reference), "already closed", case)
    try:
        return verb.handle(req, case)
    except PermissionDenied:
        message, outcome = _refusal(req.user, case, verb.action)
    except InvalidNote:
        message, outcome = replies.EMPTY_NOTE, "refused: empty note"
    except InvalidTransition:
        message, outcome = replies.NOT_ALLOWED, "refused: role or area"
    return Reply(voice.say(message, reference=reference), outcome, case)


def _refusal(user: User, case: Case, action: Action) -> tuple[str, str]:
    """Why ``user`` was refused: their role or areas, a colleague holding the case, or a case
    nobody holds that they may claim first."""
    if action not in ROLE_ACTIONS[user.role] or not allowed(user, Action.VIEW, case):
        return replies.NOT_ALLOWED, "refused: role or area"
    claimable = allowed(user, Action.CLAIM, case) and can_be_assigned(user, case)
    if case.assigned_to_id is None and claimable:
        return replies.CLAIM_FIRST, "refused: not claimed"
    if case.assigned_to_id is not None and case.assigned_to_id != user.id:
        return replies.ASSIGNED_ELSEWHERE, "refused: assigned elsewhere"
    return replies.NOT_ALLOWED, "refused: role or area"
