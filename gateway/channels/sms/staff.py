"""Staff commands by SMS: a caseworker or supervisor answers an alert from their work phone.

An inbound SMS from a phone that belongs to a user, starting with ``ACK``, ``NOTE``, ``CLOSE``
or ``REFER``, is a staff command; anything else from that phone (STOP, a report of their own) is
an ordinary conversation. ``ACK 482177302`` claims the case when nobody holds it and
acknowledges it; ``NOTE 482177302 text`` adds a note; ``CLOSE 482177302 resolved [text]``
closes it (extra words become a note first); ``REFER 482177302 health`` refers it to a service
provider (``gateway.channels.sms.referrals``). A deactivated user's commands (a lost phone) are
refused before the reference is even looked up: whoever holds the phone learns nothing. Every
change goes through a named operation and its permission check; a refusal writes nothing and
is answered with the reason.

Replies are in the user's language and name only the reference. Idempotency comes from the
inbound receipt: a replayed webhook never runs a command twice.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from babel.support import Translations
from sqlalchemy.orm import Session

from case_store.enums import CaseStatus, ClosureReason
from case_store.models import Case, OutboxRow, User
from case_store.operations import (
    InvalidNote,
    InvalidTransition,
    PermissionDenied,
    acknowledge,
    add_note,
    claim,
    close,
)
from case_store.permissions import ROLE_ACTIONS, Action, allowed
from case_store.queries.cases import find_case_by_reference
from case_store.references import format_reference
from dialogs.render import N_
from gateway.channels.sms.referrals import refer_by_sms
from gateway.runtime import Runtime

log = logging.getLogger("kinga.staff_sms")

VERBS = ("ack", "note", "close", "refer")
# A duplicate is closed by merging it into the case it repeats (console), not by SMS.
SMS_CLOSURE_REASONS = tuple(r.value for r in ClosureReason if r is not ClosureReason.DUPLICATE)

# Typed on a keypad: any case, spaces, a colon or a dot after the verb ("Ack: 482177302.").
_COMMAND = re.compile(
    r"\s*(ACK|NOTE|CLOSE|REFER)(?![^\W\d_])[\s:.,#-]*(.*)", re.IGNORECASE | re.DOTALL
)
# Nine digits, grouped or not (482-177-302, 482 177 302, 482.177.305), then punctuation.
_REFERENCE = re.compile(r"((?:\d[\s.\-]*){8}\d)(?!\d)[\s.,;:!-]*(.*)", re.DOTALL)


USAGE = N_("Kinga: reply ACK, NOTE or CLOSE with the case reference, e.g. ACK 482177302")
UNKNOWN = N_("Kinga: unknown reference {reference}. Nothing changed.")
ACKNOWLEDGED = N_("Kinga: case {reference} acknowledged. First contact is yours.")
NOTED = N_("Kinga: note added to case {reference}.")
CLOSED = N_("Kinga: case {reference} closed ({reason}).")
ALREADY_CLOSED = N_("Kinga: case {reference} is closed. Nothing changed.")
ASSIGNED_ELSEWHERE = N_(
    "Not allowed: case {reference} is assigned to another caseworker. Nothing changed."
)
NOT_ALLOWED = N_("Not allowed: case {reference} is outside your role or areas. Nothing changed.")
EMPTY_NOTE = N_("Kinga: the note was empty or too long. Send NOTE {reference} and your note.")
REASONS = N_("Kinga: to close case {reference}, reply CLOSE {reference} and one of: {reasons}")
DEACTIVATED = N_("Kinga: this phone can no longer act on cases. Nothing changed.")

VERB_ACTIONS = {
    "ack": Action.ACKNOWLEDGE,
    "note": Action.ADD_NOTE,
    "close": Action.CLOSE,
    "refer": Action.REFER,
}
# One word per reply for the log line.
_OUTCOMES = {
    ACKNOWLEDGED: "acknowledged",
    NOTED: "noted",
    CLOSED: "closed",
    ALREADY_CLOSED: "already closed",
    ASSIGNED_ELSEWHERE: "refused: assigned elsewhere",
    NOT_ALLOWED: "refused: role or area",
    EMPTY_NOTE: "refused: empty note",
    REASONS: "refused: unknown closure reason",
    DEACTIVATED: "refused: user deactivated",
}


@dataclass(frozen=True)
class StaffCommand:
    verb: str  # one of VERBS
    reference: str | None  # nine digits as typed, None when missing or malformed
    rest: str  # the note, the closure reason and an optional note, or the service


def parse_staff_command(text: str) -> StaffCommand | None:
    """The command in ``text``, or None when it is not one (an ordinary conversation)."""
    match = _COMMAND.fullmatch(text)
    if match is None:
        return None
    verb, tail = match.group(1).lower(), (match.group(2) or "").strip()
    reference = _REFERENCE.fullmatch(tail)
    if reference is None:
        return StaffCommand(verb, None, tail)
    digits = re.sub(r"\D", "", reference.group(1))
    return StaffCommand(verb, digits, (reference.group(2) or "").strip())


def run_staff_command(
    rt: Runtime,
    db: Session,
    user: User,
    command: StaffCommand,
    translations: Translations,
    *,
    now: datetime,
    outbox: list[OutboxRow],
) -> tuple[str, Case | None]:
    """Apply ``command`` for ``user`` in the caller's transaction; the reply and the case.
    What else it sends (a referral to its provider) is added to ``outbox``."""
    if not user.active:
        log.warning("staff command %s by deactivated user %s refused", command.verb, user.id)
        return translations.gettext(DEACTIVATED), None
    if command.reference is None:
        return translations.gettext(USAGE), None
    case = find_case_by_reference(db, command.reference)
    if case is None:
        shown = format_reference(command.reference)
        return translations.gettext(UNKNOWN).format(reference=shown), None
    reference = format_reference(case.reference)
    try:
        if command.verb == "refer":
            text = refer_by_sms(
                rt, db, user, case, command.rest, translations, now=now, outbox=outbox
            )
            return text, case
        key, extra = _apply(rt, db, user, case, command, now)
    except PermissionDenied:
        key, extra = _refusal(user, case, VERB_ACTIONS[command.verb]), {}
    except InvalidNote:
        key, extra = EMPTY_NOTE, {}
    except InvalidTransition:
        key, extra = (ALREADY_CLOSED if case.status is CaseStatus.CLOSED else NOT_ALLOWED), {}
    outcome = _OUTCOMES[key]
    log.info("staff command %s by user %s on case %s: %s", command.verb, user.id, case.id, outcome)
    return translations.gettext(key).format(reference=reference, **extra), case


def _apply(
    rt: Runtime, db: Session, user: User, case: Case, command: StaffCommand, now: datetime
) -> tuple[str, dict[str, str]]:
    """The reply's message id and values; raises the operations' refusals before any write."""
    if case.status is CaseStatus.CLOSED:
        return ALREADY_CLOSED, {}
    if command.verb == "ack":
        if case.assigned_to_id is None:
            if not allowed(user, Action.CLAIM, case):
                raise PermissionDenied(f"user {user.id} may not claim case {case.id}")
            claim(db, case, actor=user, now=now)
        acknowledge(db, case, actor=user, now=now)
        return ACKNOWLEDGED, {}
    if command.verb == "note":
        add_note(db, rt.vault, case, command.rest, actor=user, now=now)
        return NOTED, {}
    words = command.rest.split(maxsplit=1)
    reason = words[0].lower().strip(".,;:!").replace("-", "_") if words else ""
    if reason not in SMS_CLOSURE_REASONS:
        return REASONS, {"reasons": ", ".join(SMS_CLOSURE_REASONS)}
    if not allowed(user, Action.CLOSE, case):
        raise PermissionDenied(f"user {user.id} may not close case {case.id}")
    if len(words) > 1:
        add_note(db, rt.vault, case, words[1], actor=user, now=now)
    close(db, case, ClosureReason(reason), actor=user, now=now)
    return CLOSED, {"reason": reason}


def _refusal(user: User, case: Case, action: Action) -> str:
    """Why ``user`` was refused: their role or areas, or a colleague holding the case."""
    if action not in ROLE_ACTIONS[user.role] or not allowed(user, Action.VIEW, case):
        return NOT_ALLOWED
    if case.assigned_to_id is not None and case.assigned_to_id != user.id:
        return ASSIGNED_ELSEWHERE
    return NOT_ALLOWED
