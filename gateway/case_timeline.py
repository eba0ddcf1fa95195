"""A case's history, one line per thing that happened, oldest first: what ``kinga cases show``
prints on a server (``english``), and what the console's case page shows in the reader's
language (``gateway.web.console.timeline``). One model, two renderings: a line holds what
happened as data (its ``kind`` and its ``detail``), never words.

The lines: the audit trail (who changed what; a referral's steps: sent, reminded, accepted,
declined with the provider's reason, no reply; the reporter's answer on services, agreed or
refused), the notes (staff notes and what the reporter added, decrypted when ``reveal``:
showing them and the decline reasons is audited by the caller), the calls and other contacts,
and the messages about the case (direction, purpose, status, number masked, never the text).
``render_case`` prints them in the deployment's time zone; the narrative, the place and the
reporter's number stay hidden unless revealed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Final

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import (
    Channel,
    Direction,
    Disposition,
    EventKind,
    MessagePurpose,
    MessageStatus,
)
from case_store.masking import mask_phone
from case_store.models import Case, CaseEvent, Contact, Message, Note, Referral
from case_store.references import format_reference
from case_store.service_types import service_type
from gateway.config.profile import Profile

# A line's kind: an ``EventKind`` value for an audit event, or one of these.
NOTE: Final = "note"
MESSAGE: Final = "message"
CONTACT: Final = "contact"

# A value as the timeline keeps it: a word as stored (an enum's value, a username, a
# reference), a number, a yes/no, a recorded time (aware, UTC), several words, or None.
Value = str | int | float | bool | datetime | tuple[str, ...] | None


@dataclass(frozen=True)
class Change:
    """A field an event changed: ``status open → closed``."""

    field: str
    before: Value
    after: Value


@dataclass(frozen=True)
class Fact:
    """A field an event set with nothing before it: ``reason quiet_hours``."""

    field: str
    value: Value


@dataclass(frozen=True)
class Changes:
    """An audit event told by what it changed (or set), fields that changed only."""

    items: tuple[Change | Fact, ...]


@dataclass(frozen=True)
class ReferralStep:
    """A referral's step: sent (``provider``, maybe overriding consent), reminded, unanswered,
    or answered (``status``, with the provider's reason for declining when revealed)."""

    step: EventKind
    code: str
    service: str  # its type word (``health``)
    provider: str = ""
    consent_override: bool = False
    status: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ConsentStep:
    """The reporter's answer on services, and the one before it (None: not asked)."""

    now: bool | None
    was: bool | None


@dataclass(frozen=True)
class NoteText:
    """A note: its text, or None when it is not shown."""

    text: str | None


@dataclass(frozen=True)
class ContactDetail:
    direction: Direction
    channel: Channel
    disposition: Disposition | None


@dataclass(frozen=True)
class MessageDetail:
    """A message about the case: never its text; the number masked."""

    purpose: MessagePurpose | None
    outbound: bool
    number: str  # masked, or "-"
    status: MessageStatus
    error: str | None


Detail = Changes | ReferralStep | ConsentStep | NoteText | ContactDetail | MessageDetail


@dataclass(frozen=True)
class Line:
    at: datetime
    who: str  # a username, or an actor's word (``reporter``, ``system``, ``sms``, a channel)
    kind: str
    detail: Detail


def timeline(
    case: Case,
    messages: Iterable[Message],
    vault: Vault,
    users: dict[int, str],
    *,
    reveal: bool = True,
) -> list[Line]:
    """Every event, note, contact and message of ``case``, oldest first. Without ``reveal``
    the notes and a provider's reason for declining are left out (their lines say so)."""
    referrals = {referral.id: referral for referral in case.referrals}
    lines = [_event_line(event, users, referrals, vault, reveal) for event in case.events]
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
    body = [f"  {_local(line.at, zone)}  {line.who:<14} {english(line, zone)}" for line in lines]
    return "\n".join([*head, "", f"Timeline ({profile.time_zone.key}):", *body])


def english(line: Line, zone: tzinfo) -> str:
    """What ``line`` says, in English, as the command line prints it (times in ``zone``)."""
    detail = line.detail
    if isinstance(detail, Changes):
        return line.kind + _english_changes(detail, zone)
    if isinstance(detail, ReferralStep):
        return _english_referral(detail)
    if isinstance(detail, ConsentStep):
        now = f"consent to services: {_consent(detail.now)}"
        return now if detail.was is None else f"{now} (was {_consent(detail.was)})"
    if isinstance(detail, NoteText):
        return "note (hidden)" if detail.text is None else f"note: {detail.text}"
    if isinstance(detail, ContactDetail):
        disposition = f": {detail.disposition.value}" if detail.disposition else ""
        return f"{detail.direction.value} {detail.channel.value} contact{disposition}"
    purpose = detail.purpose.value if detail.purpose else "message"
    arrow = "to" if detail.outbound else "from"
    error = f" ({detail.error})" if detail.error else ""
    return f"{purpose} {arrow} {detail.number}: {detail.status.value}{error}"


def _english_changes(detail: Changes, zone: tzinfo) -> str:
    """``: status open → closed, …``, or ``: reason quiet_hours, …``."""
    said = [
        f"{item.field} {_english_value(item.before, zone)} → {_english_value(item.after, zone)}"
        if isinstance(item, Change)
        else f"{item.field} {_english_value(item.value, zone)}"
        for item in detail.items
    ]
    return f": {', '.join(said)}" if said else ""


def _english_value(value: Value, zone: tzinfo) -> str:
    if isinstance(value, datetime):
        return _local(value, zone)
    if isinstance(value, tuple):
        return "/".join(value)
    return str(value)


def _english_referral(step: ReferralStep) -> str:
    """``referral R7K2QX (health) sent to Coast Clinic``."""
    head = f"referral {step.code} ({step.service})"
    if step.step is EventKind.REFERRED:
        sent = f"{head} sent to {step.provider}"
        return sent + (", consent overridden (reason in a note)" if step.consent_override else "")
    if step.step is EventKind.REFERRAL_REMINDED:
        return f"{head}: no answer yet, provider reminded"
    if step.step is EventKind.REFERRAL_UNANSWERED:
        return f"{head}: no reply in time, caseworker told"
    if step.reason is not None:
        return f"{head} declined: {step.reason}"
    return f"{head} {step.status}"


def _consent(answer: bool | None) -> str:
    """The reporter's answer to a consent question, as the case and its timeline show it."""
    return "not asked" if answer is None else "agreed" if answer else "refused"


def _local(at: datetime | None, zone: tzinfo) -> str:
    if at is None:
        return "-"
    return as_utc(at, "at").astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _event_line(
    event: CaseEvent,
    users: dict[int, str],
    referrals: dict[int, Referral],
    vault: Vault,
    reveal: bool,
) -> Line:
    who = users.get(event.actor_user_id, event.actor) if event.actor_user_id else event.actor
    after = (event.data or {}).get("after")
    referral_id = after.get("referral_id") if isinstance(after, dict) else None
    referral = referrals.get(referral_id) if isinstance(referral_id, int) else None
    kind = event.kind.value
    if event.kind in _REFERRAL_STEPS and referral is not None and isinstance(after, dict):
        return Line(event.at, who, kind, _referral_step(event.kind, after, referral, vault, reveal))
    if event.kind is EventKind.CONSENT_RECORDED and isinstance(after, dict):
        was = (event.data.get("before") or {}).get("consent_services")
        return Line(event.at, who, kind, ConsentStep(after.get("consent_services"), was))
    return Line(event.at, who, kind, _changes(event.data, users))


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
) -> ReferralStep:
    code, service = referral.code, service_type(referral.service)
    if kind is EventKind.REFERRED:
        provider = after.get("provider") or referral.service_provider.name
        return ReferralStep(kind, code, service, provider, bool(after.get("consent_override")))
    status = after.get("status") if kind is EventKind.REFERRAL_ANSWERED else None
    reason = referral.answer_reason_encrypted
    if status == "declined" and reason is not None and reveal:
        declined = " ".join(vault.decrypt(reason).split())
        return ReferralStep(kind, code, service, status=status, reason=declined)
    return ReferralStep(kind, code, service, status=status)


def _changes(data: dict[str, Any] | None, users: dict[int, str]) -> Changes:
    """What an event's before/after say, fields that changed only."""
    if not data:
        return Changes(())
    before, after = data.get("before") or {}, data.get("after") or {}
    if not isinstance(after, dict):
        return Changes(())
    after = {key: _value(key, value, users) for key, value in after.items()}
    if not isinstance(before, dict) or not before:
        # An opening or a one-sided event: its few plain facts, never a snapshot's bulk.
        facts = [Fact(k, v) for k, v in after.items() if v is not None and v is not _BULK]
        return Changes(tuple(facts[:6]))
    before = {key: _value(key, value, users) for key, value in before.items()}
    return Changes(
        tuple(
            Change(key, before.get(key), value)
            for key, value in after.items()
            if before.get(key) != value and value is not _BULK
        )
    )


_BULK: Final = object()  # a nested value (a whole snapshot): left out of a one-line summary


def _value(key: str, value: Any, users: dict[int, str]) -> Any:
    """A recorded value as the timeline keeps it: a user id as the username, a recorded time
    (ISO 8601 with its offset) as an aware time, a list of words as a tuple."""
    if key.endswith("_to_id") and isinstance(value, int):
        return users.get(value, value)
    if key.endswith(("_at", "_by")) and isinstance(value, str):
        return _time(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    if isinstance(value, dict | list):
        return _BULK
    return value


def _time(value: str) -> datetime | str:
    """An ISO 8601 time with its offset; anything else as it is."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    return value if at.tzinfo is None else at


def _note_line(note: Note, vault: Vault, reveal: bool) -> Line:
    who = note.author.username if note.author else "reporter"
    if not reveal:
        return Line(note.created_at, who, NOTE, NoteText(None))
    return Line(
        note.created_at, who, NOTE, NoteText(" ".join(vault.decrypt(note.body_encrypted).split()))
    )


def _contact_line(contact: Contact) -> Line:
    who = contact.agent.username if contact.agent else contact.channel.value
    detail = ContactDetail(contact.direction, contact.channel, contact.disposition)
    return Line(contact.started_at, who, CONTACT, detail)


def _message_line(message: Message, vault: Vault) -> Line:
    to = mask_phone(vault.decrypt(message.phone_encrypted)) if message.phone_encrypted else "-"
    detail = MessageDetail(
        message.purpose,
        message.direction is Direction.OUTBOUND,
        to,
        message.status,
        message.last_error,
    )
    return Line(message.created_at, "sms", MESSAGE, detail)
