"""A case's timeline as the console shows it: each line of ``gateway.case_timeline`` in the
reader's language (the same model ``kinga cases show`` prints in English), times in the
deployment's zone written as the reader's locale writes them, and a page of it at a time.

A line's detail is said by its kind of detail: a referral's step or a consent in a sentence,
an event's changed fields as "field: before → after" with the field and its words translated.
Fields that mean nothing to a reader (row ids) are left out here; the command line prints them.

A case may gather hundreds of lines, so the page shows a window of them, newest first, with
plain links to older and newer lines. A window is bounded by its number of lines and by the
weight of what they say (a note may hold 4,000 characters), so every page stays light on a
slow link whatever the language. Windows are counted from the oldest line, so lines added
while someone reads older pages do not shift them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _

from case_store.enums import (
    Deadline,
    Direction,
    EventKind,
    MessagePurpose,
    MessageStatus,
    ReferralStatus,
    RepeatReason,
    WorkflowStage,
)
from case_store.follow_ups import QUIET_HOURS, SENT_TODAY
from case_store.operations.follow_ups import NO_CONSENT, NO_PHONE, OPTED_OUT, TOO_LONG
from case_store.references import format_reference
from gateway.case_timeline import (
    Change,
    Changes,
    ConsentStep,
    ContactDetail,
    Fact,
    Line,
    MessageDetail,
    NoteText,
    ReferralStep,
    Value,
)
from gateway.web.console.call_form import (
    AGE_BANDS,
    CALLBACKS,
    CATEGORIES,
    RELATIONSHIPS,
    SEXES,
)
from gateway.web.console.i18n import area_name, gettext
from gateway.web.console.words import (
    CHANNELS,
    CLOSURE_REASONS,
    DISPOSITIONS,
    LEVELS,
    SERVICES,
    STATUSES,
    TIMELINE_KINDS,
)

# A window: at most this many lines, and lines whose words weigh at most this many bytes
# (always one line, however heavy: a note is at most 4,000 characters).
WINDOW_LINES: Final = 40
WINDOW_BYTES: Final = 16_000
# What a line weighs on the page besides its words (its markup, its time, its author).
LINE_MARKUP: Final = 160

STAGES: Final[Mapping[str, Any]] = {
    WorkflowStage.NEW: _("New"),
    WorkflowStage.ASSESSMENT: _("Assessment"),
    WorkflowStage.CASE_PLAN: _("Case plan"),
    WorkflowStage.SERVICES: _("Services"),
    WorkflowStage.CLOSED: _("Closed"),
}
REPEAT_REASONS: Final[Mapping[str, Any]] = {
    RepeatReason.SAME_REPORTER: _("Same reporter"),
    RepeatReason.SAME_CHILD: _("Same child"),
    RepeatReason.SAME_AREA_CATEGORY: _("Same area and concern"),
}
DEADLINES: Final[Mapping[str, Any]] = {
    Deadline.ASSIGN: _("Assignment"),
    Deadline.FIRST_CONTACT: _("First contact"),
}
# Why a follow-up to the reporter was held or dropped.
FOLLOW_UP_REASONS: Final[Mapping[str, Any]] = {
    QUIET_HOURS: _("Quiet hours"),
    SENT_TODAY: _("One was sent today already"),
    NO_CONSENT: _("No consent to SMS updates"),
    NO_PHONE: _("No number kept"),
    OPTED_OUT: _("The reporter stopped SMS"),
    TOO_LONG: _("Too long for an SMS"),
}
# What a view showed in clear.
SHOWN_FIELDS: Final[Mapping[str, Any]] = {
    "notes": _("Notes"),
    "referral_reasons": _("Reasons for declining"),
    "reporter_phone": _("Reporter's number"),
    "narrative": _("What happened"),
    "place": _("Place"),
}
REFERRAL_STATUSES: Final[Mapping[str, Any]] = {
    ReferralStatus.PENDING: _("waiting for an answer"),
    ReferralStatus.ACCEPTED: _("accepted"),
    ReferralStatus.DECLINED: _("declined"),
}
PURPOSES: Final[Mapping[str, Any]] = {
    MessagePurpose.REPLY: _("Reply"),
    MessagePurpose.ALERT: _("Alert"),
    MessagePurpose.FOLLOW_UP: _("Follow-up"),
    MessagePurpose.REFERRAL: _("Referral"),
    MessagePurpose.CONFIRMATION: _("Confirmation"),
    MessagePurpose.REMINDER: _("Reminder"),
}
MESSAGE_STATUSES: Final[Mapping[str, Any]] = {
    MessageStatus.QUEUED: _("queued"),
    MessageStatus.SENDING: _("sending"),
    MessageStatus.SENT: _("sent"),
    MessageStatus.DELIVERED: _("delivered"),
    MessageStatus.FAILED: _("failed"),
    MessageStatus.UNDELIVERED: _("not delivered"),
    MessageStatus.RECEIVED: _("received"),
    MessageStatus.UNKNOWN: _("status unknown"),
}
# Who did it, when it was not a person of the console.
ACTORS: Final[Mapping[str, Any]] = {
    "reporter": _("Reporter"),
    "system": _("Automatic"),
    "service_provider": _("Service provider"),
    "admin_cli": _("Command line"),
    "sms": _("SMS"),
    **{channel.value: label for channel, label in CHANNELS.items()},
}

# An event's fields as a reader knows them, and the words of their values; a field not listed
# is not shown: a row's id, or what the line's own kind and time say already (when an alert
# began to wait).
FIELDS: Final[Mapping[str, Any]] = {
    "reference": _("Reference"),
    "status": _("Status"),
    "risk_level": _("Level"),
    "immediate_danger": _("Child in danger now"),
    "category": _("Main concern"),
    "child_age_band": _("Child's age"),
    "child_sex": _("Child's sex"),
    "location_code": _("Area"),
    "reporter_relationship": _("Reporter"),
    "callback_consent": _("Call back"),
    "callback_time": _("Call back time"),
    "sms_consent": _("SMS updates"),
    "assign_by": _("Assign by"),
    "first_contact_by": _("First contact by"),
    "first_contacted_at": _("First contact made"),
    "assigned_to_id": _("Assigned to"),
    "acknowledged_at": _("Acknowledged"),
    "claimed": _("Taken by themselves"),
    "workflow_stage": _("Stage"),
    "closure_reason": _("Reason for closing"),
    "closed_at": _("Closed"),
    "repeat_of": _("Possible repeat of"),
    "repeat_reason": _("Why linked"),
    "repeat_confirmed": _("Same concern"),
    "merged_into": _("Merged into"),
    "duplicate": _("Duplicate merged in"),
    "fields": _("What was shown"),
    "disposition": _("Outcome"),
    "deadline": _("Deadline"),
    "step": _("Step"),
    "recipients": _("People told"),
    "fallback_alerted_at": _("Sent to the fallback"),
    "follow_up_sent_at": _("Follow-up sent"),
    "follow_up_due_at": _("Follow-up due"),
    "reason": _("Reason"),
    "callback_requested_at": _("Call back requested"),
    "has_narrative": _("What happened kept"),
    "has_place": _("Place kept"),
}
VALUES: Final[Mapping[str, Mapping[Any, Any]]] = {
    "status": STATUSES,
    "risk_level": LEVELS,
    "category": CATEGORIES,
    "child_age_band": AGE_BANDS,
    "child_sex": SEXES,
    "reporter_relationship": RELATIONSHIPS,
    "callback_time": CALLBACKS,
    "workflow_stage": STAGES,
    "closure_reason": CLOSURE_REASONS,
    "repeat_reason": REPEAT_REASONS,
    "fields": SHOWN_FIELDS,
    "disposition": DISPOSITIONS,
    "deadline": DEADLINES,
    "reason": FOLLOW_UP_REASONS,
}
REFERENCES: Final = frozenset({"reference", "repeat_of", "merged_into", "duplicate"})


@dataclass(frozen=True)
class Shown:
    """A line as the page shows it."""

    at: str
    who: str
    kind: str
    detail: str
    note: bool  # the detail is a note's text (its own paragraph)


@dataclass(frozen=True)
class Window:
    """The lines of one page of a timeline, newest first, and the addresses of the pages
    beside it (None where there is none). A page is addressed by ``before``: how many lines,
    counted from the oldest, run up to and include its newest line."""

    lines: list[Shown]
    older: int | None
    newer: int | None
    total: int


def window(lines: Sequence[Line], before: int | None) -> Window:
    """The page of ``lines`` (oldest first, as the model gives them) that ends before line
    ``before`` (the newest page without it), each line in the reader's language."""
    total = len(lines)
    end = total if before is None or not 0 < before <= total else before
    start = end
    shown: list[Shown] = []
    weight = 0
    while start > 0 and len(shown) < WINDOW_LINES:
        line = _shown(lines[start - 1])
        weight += _weight(line)
        if shown and weight > WINDOW_BYTES:
            break
        shown.append(line)
        start -= 1
    return Window(
        lines=shown,
        older=start if start > 0 else None,
        newer=_newer(lines, end) if end < total else None,
        total=total,
    )


def _newer(lines: Sequence[Line], end: int) -> int:
    """Where the page after ``end`` (towards the newest) ends: as many lines as one window
    holds counting forward."""
    weight = 0
    stop = end
    while stop < len(lines) and stop - end < WINDOW_LINES:
        weight += _weight(_shown(lines[stop]))
        if stop > end and weight > WINDOW_BYTES:
            break
        stop += 1
    return stop


def _weight(line: Shown) -> int:
    return LINE_MARKUP + len(line.detail.encode()) + len(line.who.encode())


def _shown(line: Line) -> Shown:
    detail = line.detail
    label = TIMELINE_KINDS.get(line.kind)
    return Shown(
        at=str(format_datetime(line.at, "short")),
        who=str(ACTORS.get(line.who, line.who)),
        kind=str(label) if label is not None else line.kind,
        detail=_said(line),
        note=isinstance(detail, NoteText) and detail.text is not None,
    )


def _said(line: Line) -> str:
    """What ``line`` says, in the reader's language."""
    detail = line.detail
    if isinstance(detail, Changes):
        return "; ".join(_item(item) for item in detail.items if item.field in FIELDS)
    if isinstance(detail, ReferralStep):
        return _referral(detail)
    if isinstance(detail, ConsentStep):
        now = _consent(detail.now)
        if detail.was is None:
            return gettext("Consent to services: %(answer)s", answer=now)
        return gettext(
            "Consent to services: %(answer)s (was %(before)s)",
            answer=now,
            before=_consent(detail.was),
        )
    if isinstance(detail, NoteText):
        return detail.text if detail.text is not None else gettext("Not shown to your role.")
    if isinstance(detail, ContactDetail):
        return _contact(detail)
    return _message(detail)


def _item(item: Change | Fact) -> str:
    field = str(FIELDS[item.field])
    if isinstance(item, Change):
        return gettext(
            "%(field)s: %(before)s → %(after)s",
            field=field,
            before=_value(item.field, item.before),
            after=_value(item.field, item.after),
        )
    return gettext("%(field)s: %(value)s", field=field, value=_value(item.field, item.value))


def _value(field: str, value: Value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime):
        return str(format_datetime(value, "short"))
    if isinstance(value, tuple):
        return ", ".join(_value(field, item) for item in value)
    words = VALUES.get(field, {})
    if isinstance(value, str) and value in words:
        return str(words[value])
    if field in REFERENCES and isinstance(value, str):
        return format_reference(value)
    if field == "location_code" and isinstance(value, str):
        return area_name(value)
    return str(value)


def _referral(step: ReferralStep) -> str:
    values = {"code": step.code, "service": str(SERVICES.get(step.service, step.service))}
    if step.step is EventKind.REFERRED:
        if step.consent_override:
            return gettext(
                "Referral %(code)s (%(service)s) sent to %(provider)s without the reporter's "
                "consent (the reason is in a note)",
                provider=step.provider,
                **values,
            )
        return gettext(
            "Referral %(code)s (%(service)s) sent to %(provider)s", provider=step.provider, **values
        )
    if step.step is EventKind.REFERRAL_REMINDED:
        return gettext(
            "Referral %(code)s (%(service)s): no answer yet, provider reminded", **values
        )
    if step.step is EventKind.REFERRAL_UNANSWERED:
        return gettext(
            "Referral %(code)s (%(service)s): no reply in time, caseworker told", **values
        )
    if step.reason is not None:
        return gettext(
            "Referral %(code)s (%(service)s) declined: %(reason)s", reason=step.reason, **values
        )
    status = REFERRAL_STATUSES.get(step.status or "", step.status or "")
    return gettext("Referral %(code)s (%(service)s): %(status)s", status=str(status), **values)


def _consent(answer: bool | None) -> str:
    if answer is None:
        return gettext("Not asked")
    return gettext("Agreed") if answer else gettext("Refused")


def _contact(contact: ContactDetail) -> str:
    values = {"channel": str(CHANNELS.get(contact.channel, contact.channel.value))}
    if contact.direction is Direction.OUTBOUND:
        said = gettext("%(channel)s, we called", **values)
    else:
        said = gettext("%(channel)s, incoming", **values)
    if contact.disposition is None:
        return said
    outcome = DISPOSITIONS.get(contact.disposition, contact.disposition.value)
    return gettext("%(contact)s: %(outcome)s", contact=said, outcome=str(outcome))


def _message(message: MessageDetail) -> str:
    purpose = PURPOSES.get(message.purpose, message.purpose) if message.purpose else None
    values = {
        "purpose": str(purpose) if purpose is not None else gettext("Message"),
        "number": message.number,
        "status": str(MESSAGE_STATUSES.get(message.status, message.status.value)),
    }
    if message.outbound:
        said = gettext("%(purpose)s to %(number)s: %(status)s", **values)
    else:
        said = gettext("%(purpose)s from %(number)s: %(status)s", **values)
    # A provider's error is its own words, kept as they came.
    return f"{said} ({message.error})" if message.error else said
