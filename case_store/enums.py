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
    FAILED = "failed"


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
