"""The closed vocabularies of the case store, stored as their string values.

Members are lower-case strings so the values in the database, in the dialog answers and in
the deployment profile are the same words.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    USSD = "ussd"
    SMS = "sms"
    VOICE = "voice"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Disposition(StrEnum):
    """How a contact ended; helplines count every contact, not only the ones that became cases."""

    CASE_OPENED = "case_opened"
    CASE_UPDATED = "case_updated"
    INFORMATION = "information"
    REFERRED_ELSEWHERE = "referred_elsewhere"
    SILENT = "silent"
    PRANK = "prank"
    WRONG_NUMBER = "wrong_number"
    ABUSIVE = "abusive"
    DROPPED = "dropped"


class CaseStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    ESCALATED = "escalated"
    CLOSED = "closed"


class RiskLevel(StrEnum):
    IMMEDIATE = "immediate"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def severity(self) -> int:
        """Higher is more urgent; used to pick the strongest of several triage outcomes."""
        return _SEVERITY[self]


_SEVERITY = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2, RiskLevel.IMMEDIATE: 3}


class Category(StrEnum):
    PHYSICAL_VIOLENCE = "physical_violence"
    SEXUAL_ABUSE = "sexual_abuse"
    NEGLECT = "neglect"
    MARRIAGE_FGM = "marriage_fgm"
    LABOUR_TRAFFICKING = "labour_trafficking"
    MISSING_SEPARATED = "missing_separated"
    ONLINE_ABUSE = "online_abuse"
    OTHER = "other"


class AgeBand(StrEnum):
    UNDER_5 = "under_5"
    AGE_5_11 = "5_11"
    AGE_12_14 = "12_14"
    AGE_15_17 = "15_17"
    UNKNOWN = "unknown"


class ChildSex(StrEnum):
    GIRL = "girl"
    BOY = "boy"
    UNKNOWN = "unknown"


class ReporterRelationship(StrEnum):
    CHILD = "child"
    FAMILY = "family"
    COMMUNITY = "community"
    PROFESSIONAL = "professional"
    OTHER = "other"


class CallbackTime(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"
    ANY = "any"


class WorkflowStage(StrEnum):
    NEW = "new"
    ASSESSMENT = "assessment"
    CASE_PLAN = "case_plan"
    SERVICES = "services"
    CLOSED = "closed"


class ClosureReason(StrEnum):
    RESOLVED = "resolved"
    REFERRED = "referred"
    TRANSFERRED = "transferred"
    DUPLICATE = "duplicate"
    NO_CONCERN = "no_concern"
    UNREACHABLE = "unreachable"
    CHILD_AGED_OUT = "child_aged_out"
    OTHER = "other"


class PerpetratorRelationship(StrEnum):
    PARENT = "parent"
    STEP_PARENT = "step_parent"
    RELATIVE = "relative"
    PARTNER = "partner"
    CAREGIVER = "caregiver"
    TEACHER = "teacher"
    EMPLOYER = "employer"
    NEIGHBOUR = "neighbour"
    PEER = "peer"
    STRANGER = "stranger"
    ONLINE_CONTACT = "online_contact"
    OTHER = "other"
    UNKNOWN = "unknown"


class SyncState(StrEnum):
    """Where a case stands with Primero."""

    NOT_SYNCED = "not_synced"
    PENDING = "pending"
    SYNCED = "synced"
    # Primero refused the record (422): parked with its error until someone retries it.
    FAILED = "failed"
    # Waiting while the sync queue is stopped (Primero refused the login); resumed together.
    STOPPED = "stopped"


class Role(StrEnum):
    HOTLINE_AGENT = "hotline_agent"
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class EventKind(StrEnum):
    CASE_OPENED = "case_opened"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    NOTE_ADDED = "note_added"
    STATUS_CHANGED = "status_changed"
    CLOSED = "closed"
    REOPENED = "reopened"
    LEVEL_CHANGED = "level_changed"
    CONTACT_RECORDED = "contact_recorded"
    # Someone reached the child or the reporter: the first-contact clock stops.
    FIRST_CONTACT_MADE = "first_contact_made"
    # The reporter's answer, obtained on a call, to being referred to services (consent_services).
    CONSENT_RECORDED = "consent_recorded"
    REFERRED = "referred"
    REFERRAL_ANSWERED = "referral_answered"
    # The provider had not answered after the profile's referrals.remind_after: reminded once.
    REFERRAL_REMINDED = "referral_reminded"
    # Still no answer after referrals.reply_within: the referring caseworker was told.
    REFERRAL_UNANSWERED = "referral_unanswered"
    MERGED_INTO = "merged_into"
    DUPLICATE_MERGED = "duplicate_merged"
    REPEAT_CONFIRMED = "repeat_confirmed"
    REPEAT_REJECTED = "repeat_rejected"
    REPEAT_UNLINKED = "repeat_unlinked"
    REVEALED = "revealed"
    RETENTION_PURGED = "retention_purged"
    CALLBACK_REQUESTED = "callback_requested"
    # A deadline passed unmet: told to the on-call supervisors (the case's status is escalated).
    ESCALATED = "escalated"
    # A reminder before a deadline went out (or found nobody to remind).
    REMINDED = "reminded"
    # The alert reached nobody (nobody on call for the area): kept pending until someone is.
    ALERT_PENDING = "alert_pending"
    ALERT_RELEASED = "alert_released"
    # Still unmet after its escalation: sent to the profile's fallback of last resort.
    FALLBACK_ALERTED = "fallback_alerted"
    # The reporter, who agreed to SMS updates, is sent the neutral follow-up of an update; or it
    # waits (quiet hours, one already sent that day); or it is dropped (STOP, no number kept).
    FOLLOW_UP_SENT = "follow_up_sent"
    FOLLOW_UP_HELD = "follow_up_held"
    FOLLOW_UP_DROPPED = "follow_up_dropped"
    # A call-back the caller asked for (CALLBACK_REQUESTED) was made: a call was logged on it.
    CALLBACK_CLOSED = "callback_closed"
    # Primero: the case was first created there; Primero refused it (parked, with its error);
    # an administrator asked for it to be sent again; Primero moved its workflow stage.
    PRIMERO_CREATED = "primero_created"
    PRIMERO_FAILED = "primero_failed"
    PRIMERO_RETRIED = "primero_retried"
    WORKFLOW_CHANGED = "workflow_changed"


class Deadline(StrEnum):
    """The two clocks of a case: someone must take it (``assign_by``, met when acknowledged),
    and someone must contact the child or reporter (``first_contact_by``, met when recorded)."""

    ASSIGN = "assign"
    FIRST_CONTACT = "first_contact"


class StepOutcome(StrEnum):
    """What became of one step of a deadline (a reminder, the escalation, the fallback)."""

    SENT = "sent"
    NOBODY = "nobody"  # nobody could be told, now or within a week
    SKIPPED = "skipped"  # a later reminder was due too, and only that one went out


class RosterEventKind(StrEnum):
    """What happened to a staff account (the roster's own audit trail), including how it was
    used: console sign-ins, failures, lock-outs, and what its role was refused."""

    CREATED = "created"
    UPDATED = "updated"
    DEACTIVATED = "deactivated"
    ON_CALL_CHANGED = "on_call_changed"
    PASSWORD_SET = "password_set"  # noqa: S105 (an event name)
    LOGGED_IN = "logged_in"
    LOGIN_FAILED = "login_failed"
    LOCKED = "locked"
    UNLOCKED = "unlocked"
    LOGGED_OUT = "logged_out"
    # A console page or action the account's role or areas do not allow.
    REFUSED = "refused"
    # The account put a failed job back on its queue (the supervisor's view).
    JOB_RETRIED = "job_retried"
    # A bearer token of the JSON API made or revoked for the account.
    TOKEN_CREATED = "token_created"  # noqa: S105 (an event name)
    TOKEN_REVOKED = "token_revoked"  # noqa: S105 (an event name)
    # The account was shown a missed call's number to call it back.
    MISSED_CALL_SHOWN = "missed_call_shown"


class ServiceProviderEventKind(StrEnum):
    """What happened to a service provider's record (its own audit trail)."""

    CREATED = "created"
    UPDATED = "updated"
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"


class MessageStatus(StrEnum):
    """Where a message is, in one vocabulary for every provider (send jobs and provider
    adapters use it through ``workers.sms.provider_api``), plus ``received`` for inbound messages.

    ``rank`` orders the states so receipts arriving out of order never move a message back:
    a late ``sent`` never overwrites ``delivered``; equal ranks keep the first final state.
    """

    QUEUED = "queued"  # the provider accepted it
    SENDING = "sending"  # the provider is handing it to a carrier
    SENT = "sent"  # a carrier has it
    DELIVERED = "delivered"  # the handset has it
    FAILED = "failed"  # never reached a carrier
    UNDELIVERED = "undelivered"  # a carrier or the handset refused it
    RECEIVED = "received"  # an inbound message
    UNKNOWN = "unknown"  # a status we do not know; recorded, never acted on

    @property
    def rank(self) -> int:
        return _MESSAGE_RANK[self]

    @property
    def is_final(self) -> bool:
        return self in _MESSAGE_FINAL

    def supersedes(self, current: MessageStatus | None) -> bool:
        """Whether a receipt with this status should replace ``current``."""
        return current is None or self.rank > current.rank


_MESSAGE_RANK = {
    MessageStatus.UNKNOWN: 0,
    MessageStatus.QUEUED: 10,
    MessageStatus.SENDING: 20,
    MessageStatus.SENT: 30,
    MessageStatus.FAILED: 40,
    MessageStatus.UNDELIVERED: 40,
    MessageStatus.DELIVERED: 50,
    MessageStatus.RECEIVED: 60,
}
_MESSAGE_FINAL = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.FAILED,
        MessageStatus.UNDELIVERED,
        MessageStatus.RECEIVED,
    }
)


class MessagePurpose(StrEnum):
    REPLY = "reply"
    ALERT = "alert"
    FOLLOW_UP = "follow_up"
    REFERRAL = "referral"
    CONFIRMATION = "confirmation"
    REMINDER = "reminder"


class MessageEventKind(StrEnum):
    """A line of a message's timeline: a status reported, or a send attempt."""

    STATUS = "status"
    ATTEMPT = "attempt"


class Service(StrEnum):
    """What a service provider offers and a referral asks for."""

    MEDICAL = "medical"
    POLICE = "police"
    SHELTER = "shelter"
    LEGAL = "legal"
    PSYCHOSOCIAL = "psychosocial"
    CHILD_PROTECTION = "child_protection"
    EDUCATION = "education"
    OTHER = "other"


class ReferralStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class RepeatReason(StrEnum):
    """Why a new report was linked to an open case for a person to confirm."""

    SAME_REPORTER = "same_reporter"
    # Same area, category, age band and sex: probably the same child.
    SAME_CHILD = "same_child"
    # Only in cases linked before the rule asked for the child's details too; never set now.
    SAME_AREA_CATEGORY = "same_area_category"


class MaintenanceKind(StrEnum):
    KEY_ROTATION = "key_rotation"
    RETENTION_PURGE = "retention_purge"
