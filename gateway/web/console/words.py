"""Words the console shows for the case store's values, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from flask_babel import lazy_gettext as _

from case_store.enums import (
    CaseStatus,
    Channel,
    ClosureReason,
    Disposition,
    EventKind,
    RiskLevel,
    Role,
    SyncState,
)
from gateway.case_timeline import CONTACT, MESSAGE, NOTE
from gateway.web.console.call_form import OUTCOMES

LEVELS: Final[Mapping[RiskLevel, Any]] = {
    RiskLevel.IMMEDIATE: _("Immediate"),
    RiskLevel.HIGH: _("High"),
    RiskLevel.MEDIUM: _("Medium"),
    RiskLevel.LOW: _("Low"),
}
ROLES: Final[Mapping[Role, Any]] = {
    Role.HOTLINE_AGENT: _("Hotline agent"),
    Role.CASEWORKER: _("Caseworker"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.ADMIN: _("Administrator"),
}
STATUSES: Final[Mapping[CaseStatus, Any]] = {
    CaseStatus.OPEN: _("Open"),
    CaseStatus.PENDING: _("Pending"),
    CaseStatus.ESCALATED: _("Escalated"),
    CaseStatus.CLOSED: _("Closed"),
}
# Where a case stands with Primero (shown once a case is in the sync).
SYNC_STATES: Final[Mapping[SyncState, Any]] = {
    SyncState.NOT_SYNCED: _("Not sent"),
    SyncState.PENDING: _("Waiting to be sent"),
    SyncState.SYNCED: _("Up to date"),
    SyncState.FAILED: _("Refused by Primero"),
    SyncState.STOPPED: _("Held: Primero refused our login"),
}
CLOSURE_REASONS: Final[Mapping[ClosureReason, Any]] = {
    ClosureReason.RESOLVED: _("Resolved"),
    ClosureReason.REFERRED: _("Referred to services"),
    ClosureReason.TRANSFERRED: _("Transferred"),
    ClosureReason.DUPLICATE: _("Duplicate"),
    ClosureReason.NO_CONCERN: _("No concern found"),
    ClosureReason.UNREACHABLE: _("Could not be reached"),
    ClosureReason.CHILD_AGED_OUT: _("Child aged out"),
    ClosureReason.OTHER: _("Other reason"),
}
SERVICES: Final[Mapping[str, Any]] = {
    "health": _("Health"),
    "shelter": _("Shelter"),
    "legal": _("Legal aid"),
    "psychosocial": _("Psychosocial support"),
    "police": _("Police"),
    "education": _("Education"),
}
# A timeline line's kind (``gateway.case_timeline``): an audit event's, or a note, a contact,
# a message.
TIMELINE_KINDS: Final[Mapping[str, Any]] = {
    EventKind.CASE_OPENED: _("Case opened"),
    EventKind.ASSIGNED: _("Assigned"),
    EventKind.ACKNOWLEDGED: _("Acknowledged"),
    EventKind.NOTE_ADDED: _("Note added"),
    EventKind.STATUS_CHANGED: _("Status changed"),
    EventKind.CLOSED: _("Closed"),
    EventKind.REOPENED: _("Reopened"),
    EventKind.LEVEL_CHANGED: _("Level changed"),
    EventKind.CONTACT_RECORDED: _("Contact recorded"),
    EventKind.FIRST_CONTACT_MADE: _("First contact made"),
    EventKind.CONSENT_RECORDED: _("Consent recorded"),
    EventKind.REFERRED: _("Referred"),
    EventKind.REFERRAL_ANSWERED: _("Referral answered"),
    EventKind.REFERRAL_REMINDED: _("Provider reminded"),
    EventKind.REFERRAL_UNANSWERED: _("Referral unanswered"),
    EventKind.MERGED_INTO: _("Merged into another case"),
    EventKind.DUPLICATE_MERGED: _("Duplicate merged in"),
    EventKind.REPEAT_CONFIRMED: _("Repeat confirmed"),
    EventKind.REPEAT_REJECTED: _("Repeat rejected"),
    EventKind.REPEAT_UNLINKED: _("Repeat link undone"),
    EventKind.REVEALED: _("Shown in clear"),
    EventKind.RETENTION_PURGED: _("Personal data deleted"),
    EventKind.CALLBACK_REQUESTED: _("Call back requested"),
    EventKind.ESCALATED: _("Escalated"),
    EventKind.REMINDED: _("Reminder sent"),
    EventKind.ALERT_PENDING: _("Alert waiting: nobody on call"),
    EventKind.ALERT_RELEASED: _("Alert sent"),
    EventKind.FALLBACK_ALERTED: _("Sent to the fallback"),
    EventKind.FOLLOW_UP_SENT: _("Follow-up sent"),
    EventKind.FOLLOW_UP_HELD: _("Follow-up held"),
    EventKind.FOLLOW_UP_DROPPED: _("Follow-up dropped"),
    EventKind.CALLBACK_CLOSED: _("Call back made"),
    NOTE: _("Note"),
    CONTACT: _("Contact"),
    MESSAGE: _("SMS"),
}
CHANNELS: Final[Mapping[Channel, Any]] = {
    Channel.USSD: _("USSD"),
    Channel.SMS: _("SMS"),
    Channel.VOICE: _("Phone call"),
}
# Child Helpline International's top-level categories (``case_store.categories``).
CHI_CATEGORIES: Final[Mapping[str, Any]] = {
    "missing_children": _("Missing children"),
    "violence": _("Violence"),
    "mental_health": _("Mental health"),
    "physical_health": _("Physical health"),
    "access_to_services": _("Access to services"),
    "discrimination_and_exclusion": _("Discrimination and exclusion"),
    "family_relationships": _("Family relationships"),
    "peer_relationships": _("Peer relationships"),
    "education_and_occupation": _("Education and occupation"),
    "sexuality": _("Sexuality"),
    "non_counselling_contacts": _("Non-counselling contacts"),
}
# What a contact was: about a case, or one of the non-counselling kinds the call form offers.
DISPOSITIONS: Final[Mapping[str, Any]] = {
    Disposition.CASE_OPENED: _("Case opened"),
    Disposition.CASE_UPDATED: _("About an existing case"),
    **{key: label for key, label in OUTCOMES.items() if key in set(Disposition)},
}
