"""A case's history, one line per thing that happened, oldest first: what ``kinga cases show``
prints on a server, and what the console's case page shows (in the reader's language, by the
line's ``kind``).

The lines: the audit trail (who changed what; a referral's
steps in words: sent, reminded, accepted, declined with the provider's reason, no reply; the
reporter's answer on services, agreed or refused), the notes (staff notes and what the reporter
added, decrypted when ``reveal``: showing them and the decline reasons is audited by the
caller), the calls and other contacts, and the messages about the case (direction, purpose,
status, number masked, never the text). ``render_case`` prints them in the deployment's time
zone; the narrative, the place and the reporter's number stay hidden unless revealed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Final

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import Direction, EventKind
from case_store.masking import mask_phone
from case_store.models import Case, CaseEvent, Contact, Message, Note, Referral
from case_store.references import format_reference
from case_store.service_types import service_type
from gateway.config.profile import Profile

# A line's kind: an ``EventKind`` value for an audit event, or one of these.
NOTE: Final = "note"
MESSAGE: Final = "message"
CONTACT: Final = "contact"


@dataclass(frozen=True)
class Line:
    at: datetime
    who: str
    what: str  # in English, as the command line prints it
    kind: str
    note: str | None = None  # a note's text, when revealed


def timeline(
    case: Case,
    messages: Iterable[Message],
    vault: Vault,
    users: dict[int, str],
    *,
    zone: tzinfo,
    reveal: bool = True,
) -> list[Line]:
    """Every event, note, contact and message of ``case``, oldest first; the times an event
    recorded (``follow_up_due_at`` …) in ``zone``, as the lines' own times are. Without
    ``reveal`` the notes and a provider's reason for declining are left out (their lines say
    so)."""
    referrals = {referral.id: referral for referral in case.referrals}
    lines = [_event_line(event, users, referrals, vault, reveal, zone) for event in case.events]
    lines += [_note_line(note, vault, reveal) for note in case.notes]
    lines += [_contact_line(contact) for contact in case.contacts]
    lines += [_message_line(message, vault) for message in messages]
    return sorted(lines, key=lambda line: as_utc(line.at, "at"))


def revealed_by(case: Case) -> list[str]:
    """What a timeline shows in clear of ``case`` (the fields its viewing audits)."""
    fields = ["notes"] if case.notes else []
    if any(referral.answer_reason_encrypted for referral in case.referrals):
        fields.append("referral_reasons")
    return fields


def render_case(
    case: Case,
    lines: list[Line],
    *,
    profile: Profile,
    personal: dict[str, str | None],
) -> str:
    zone = profile.time_zone
    location = profile.location(case.location_code)
    area = f"{case.location_code} {location.name}" if location else case.location_code
    assignee = case.assigned_to.username if case.assigned_to else "nobody"
    head = [
        f"Case {format_reference(case.reference)}  {case.status.value}"
        f" ({case.workflow_stage.value})  level {case.risk_level.value}"
        + ("  IMMEDIATE DANGER" if case.immediate_danger else ""),
        f"  concern   {case.category.value}; child {case.child_age_band.value}, "
        f"{case.child_sex.value}; area {area}",
        f"  reporter  {case.reporter_relationship.value}; call back: "
        + (
            f"yes ({case.callback_time.value if case.callback_time else 'any time'})"
            if case.callback_consent
            else "no"
        )
        + f"; SMS updates: {'yes' if case.sms_consent else 'no'}",
        f"  consent   services: {_consent(case.consent_services)}; "
        f"sharing with other agencies: {_consent(case.consent_share)}",
        f"  deadlines assign by {_local(case.assign_by, zone)}, "
        f"first contact by {_local(case.first_contact_by, zone)}"
        + (f" (made {_local(case.first_contacted_at, zone)})" if case.first_contacted_at else ""),
        f"  assigned  {assignee}"
        + (f", acknowledged {_local(case.acknowledged_at, zone)}" if case.acknowledged_at else ""),
    ]
    if case.repeat_of is not None:
        reason = case.repeat_reason.value if case.repeat_reason else "?"
        head.append(f"  repeat of {format_reference(case.repeat_of.reference)} ({reason})")
    if case.closure_reason is not None:
        head.append(f"  closed    {case.closure_reason.value}")
    for name, value in personal.items():
        head.append(f"  {name:<9} {value if value is not None else '-'}")
    body = [f"  {_local(line.at, zone)}  {line.who:<14} {line.what}" for line in lines]
    return "\n".join([*head, "", f"Timeline ({profile.time_zone.key}):", *body])


def _consent(answer: bool | None) -> str:
    """The reporter's answer to a consent question, as the case and its timeline show it."""
    return "not asked" if answer is None else "agreed" if answer else "refused"


def _local(at: datetime | None, zone: tzinfo) -> str:
    if at is None:
        return "-"
    return as_utc(at, "at").astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _local_iso(value: str, zone: tzinfo) -> str:
    """An ISO 8601 time with its offset as ``_local`` writes it; anything else as it is."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    return value if at.tzinfo is None else _local(at, zone)


def _event_line(
    event: CaseEvent,
    users: dict[int, str],
    referrals: dict[int, Referral],
    vault: Vault,
    reveal: bool,
    zone: tzinfo,
) -> Line:
    who = users.get(event.actor_user_id, event.actor) if event.actor_user_id else event.actor
    after = (event.data or {}).get("after")
    referral_id = after.get("referral_id") if isinstance(after, dict) else None
    referral = referrals.get(referral_id) if isinstance(referral_id, int) else None
    kind = event.kind.value
    if event.kind in _REFERRAL_STEPS and referral is not None and isinstance(after, dict):
        return Line(event.at, who, _referral_step(event.kind, after, referral, vault, reveal), kind)
    if event.kind is EventKind.CONSENT_RECORDED and isinstance(after, dict):
        return Line(event.at, who, _consent_step(event.data.get("before"), after), kind)
    return Line(event.at, who, f"{kind}{_changes(event.data, users, zone)}", kind)


_REFERRAL_STEPS = frozenset(
    {
        EventKind.REFERRED,
        EventKind.REFERRAL_REMINDED,
        EventKind.REFERRAL_ANSWERED,
        EventKind.REFERRAL_UNANSWERED,
    }
)


def _referral_step(
    kind: EventKind, after: dict[str, Any], referral: Referral, vault: Vault, reveal: bool
) -> str:
    """A referral's step in words: ``referral R7K2QX (health) sent to Coast Clinic``."""
    head = f"referral {referral.code} ({service_type(referral.service)})"
    if kind is EventKind.REFERRED:
        sent = f"{head} sent to {after.get('provider') or referral.service_provider.name}"
        return sent + (
            ", consent overridden (reason in a note)" if after.get("consent_override") else ""
        )
    if kind is EventKind.REFERRAL_REMINDED:
        return f"{head}: no answer yet, provider reminded"
    if kind is EventKind.REFERRAL_UNANSWERED:
        return f"{head}: no reply in time, caseworker told"
    status = after.get("status")
    reason = referral.answer_reason_encrypted
    if status == "declined" and reason is not None and reveal:
        return f"{head} declined: {' '.join(vault.decrypt(reason).split())}"
    return f"{head} {status}"


def _consent_step(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    """The reporter's answer on services: ``consent to services: agreed (was refused)``."""
    now = f"consent to services: {_consent(after.get('consent_services'))}"
    was = (before or {}).get("consent_services")
    return now if was is None else f"{now} (was {_consent(was)})"


def _changes(data: dict[str, Any] | None, users: dict[int, str], zone: tzinfo) -> str:
    """``: status open → closed, …`` from an event's before/after, fields that changed only."""
    if not data:
        return ""
    before, after = data.get("before") or {}, data.get("after") or {}
    if not isinstance(after, dict):
        return ""
    after = {key: _shown(key, value, users, zone) for key, value in after.items()}
    if not isinstance(before, dict) or not before:
        # An opening or a one-sided event: its few plain facts, never a snapshot's bulk.
        facts = [f"{k} {v}" for k, v in after.items() if v is not None]
        return f": {', '.join(facts[:6])}" if facts else ""
    before = {key: _shown(key, value, users, zone) for key, value in before.items()}
    changed = [
        f"{key} {before.get(key)} → {value}"
        for key, value in after.items()
        if before.get(key) != value and value is not _BULK
    ]
    return f": {', '.join(changed)}" if changed else ""


_BULK = object()  # a nested value (a whole snapshot): left out of a one-line summary


def _shown(key: str, value: Any, users: dict[int, str], zone: tzinfo) -> Any:
    """A value as one line shows it: a user id as the username, a recorded time (ISO 8601,
    UTC) in ``zone``, a list of words joined."""
    if key.endswith("_to_id") and isinstance(value, int):
        return users.get(value, value)
    if key.endswith(("_at", "_by")) and isinstance(value, str):
        return _local_iso(value, zone)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "/".join(value)
    if isinstance(value, dict | list):
        return _BULK
    return value


def _note_line(note: Note, vault: Vault, reveal: bool) -> Line:
    who = note.author.username if note.author else "reporter"
    if not reveal:
        return Line(note.created_at, who, "note (hidden)", NOTE)
    body = " ".join(vault.decrypt(note.body_encrypted).split())
    return Line(note.created_at, who, f"note: {body}", NOTE, body)


def _contact_line(contact: Contact) -> Line:
    who = contact.agent.username if contact.agent else contact.channel.value
    disposition = f": {contact.disposition.value}" if contact.disposition else ""
    return Line(
        contact.started_at,
        who,
        f"{contact.direction.value} {contact.channel.value} contact{disposition}",
        CONTACT,
    )


def _message_line(message: Message, vault: Vault) -> Line:
    to = mask_phone(vault.decrypt(message.phone_encrypted)) if message.phone_encrypted else "-"
    purpose = message.purpose.value if message.purpose else "message"
    arrow = "to" if message.direction is Direction.OUTBOUND else "from"
    error = f" ({message.last_error})" if message.last_error else ""
    return Line(
        message.created_at,
        "sms",
        f"{purpose} {arrow} {to}: {message.status.value}{error}",
        MESSAGE,
    )
