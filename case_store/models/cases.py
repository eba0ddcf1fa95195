"""A case: a concern about a child that someone must act on."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from case_store.base import Base
from case_store.columns import UTCDateTime, enum_column
from case_store.enums import (
    AgeBand,
    CallbackTime,
    CaseStatus,
    Category,
    ChildSex,
    ClosureReason,
    PerpetratorRelationship,
    RepeatReason,
    ReporterRelationship,
    RiskLevel,
    SyncState,
    WorkflowStage,
)

if TYPE_CHECKING:
    from case_store.models.contacts import Contact
    from case_store.models.events import CaseEvent
    from case_store.models.notes import Note
    from case_store.models.reporters import Reporter
    from case_store.models.services import Referral
    from case_store.models.users import User


UNASSIGNED_ACTIVE = "assigned_to_id IS NULL AND status <> 'closed'"
UNCONTACTED_ACTIVE = "first_contacted_at IS NULL AND status <> 'closed'"
ALERT_PENDING = "alert_pending_since IS NOT NULL"
FOLLOW_UP_DUE = "follow_up_due_at IS NOT NULL"
DEADLINE_CHECK = "deadline_check_at IS NOT NULL"
CALLBACK_REQUESTED = "callback_requested_at IS NOT NULL"
UNACKNOWLEDGED_ACTIVE = "acknowledged_at IS NULL AND status <> 'closed'"


class Case(Base):
    __tablename__ = "case"
    __table_args__ = (
        # Open cases by area and level (console, alerts) and overdue sweeps by deadline.
        Index("ix_case_status_location_level", "status", "location_code", "risk_level"),
        Index("ix_case_status_assign_by", "status", "assign_by"),
        Index("ix_case_status_first_contact_by", "status", "first_contact_by"),
        # Repeat detection: recent cases about the same area and category.
        Index("ix_case_location_category_created", "location_code", "category", "created_at"),
        # The SLA sweeps read the first overdue cases in deadline order; partial indexes keep
        # them a short index scan however many cases (closed or handled) the table holds.
        Index(
            "ix_case_unassigned_assign_by",
            "assign_by",
            "id",
            postgresql_where=text(UNASSIGNED_ACTIVE),
            sqlite_where=text(UNASSIGNED_ACTIVE),
        ),
        Index(
            "ix_case_uncontacted_first_contact_by",
            "first_contact_by",
            "id",
            postgresql_where=text(UNCONTACTED_ACTIVE),
            sqlite_where=text(UNCONTACTED_ACTIVE),
        ),
        # The pending-alert sweep (every minute) reads the few cases whose alert waits.
        Index(
            "ix_case_alert_pending",
            "alert_pending_since",
            "id",
            postgresql_where=text(ALERT_PENDING),
            sqlite_where=text(ALERT_PENDING),
        ),
        # The follow-up sweep (every minute) reads the few cases whose reporter is owed one.
        Index(
            "ix_case_follow_up_due",
            "follow_up_due_at",
            "id",
            postgresql_where=text(FOLLOW_UP_DUE),
            sqlite_where=text(FOLLOW_UP_DUE),
        ),
        # The deadline sweep (every minute) reads the cases whose next check is due.
        Index(
            "ix_case_deadline_check",
            "deadline_check_at",
            "id",
            postgresql_where=text(DEADLINE_CHECK),
            sqlite_where=text(DEADLINE_CHECK),
        ),
        # The call-backs callers are waiting for (the hotline's list): few at any time.
        Index(
            "ix_case_callback_requested",
            "callback_requested_at",
            "id",
            postgresql_where=text(CALLBACK_REQUESTED),
            sqlite_where=text(CALLBACK_REQUESTED),
        ),
        # The supervisor's view: open cases nobody has acknowledged yet, by deadline.
        Index(
            "ix_case_unacknowledged_assign_by",
            "assign_by",
            "id",
            postgresql_where=text(UNACKNOWLEDGED_ACTIVE),
            sqlite_where=text(UNACKNOWLEDGED_ACTIVE),
        ),
        # The daily counts: the cases opened in a range of days.
        Index("ix_case_created_at", "created_at"),
        # Primero: the parked failures and the cases waiting for a resumed queue.
        Index("ix_case_primero_sync_state", "primero_sync_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(9), unique=True)
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus))
    closure_reason: Mapped[ClosureReason | None] = mapped_column(enum_column(ClosureReason))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    workflow_stage: Mapped[WorkflowStage] = mapped_column(
        enum_column(WorkflowStage), default=WorkflowStage.NEW, server_default="new"
    )
    risk_level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel))
    immediate_danger: Mapped[bool]
    category: Mapped[Category] = mapped_column(enum_column(Category))
    child_age_band: Mapped[AgeBand] = mapped_column(enum_column(AgeBand))
    # Exact or estimated age in years, when a person has asked; the band comes from the dialog.
    child_age_years: Mapped[int | None]
    child_age_estimated: Mapped[bool] = mapped_column(default=False, server_default=false())
    child_sex: Mapped[ChildSex] = mapped_column(enum_column(ChildSex))
    location_code: Mapped[str] = mapped_column(String(32))
    # Free text is stored only as Fernet ciphertext (see case_store.crypto.Vault).
    place_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter_relationship: Mapped[ReporterRelationship] = mapped_column(
        enum_column(ReporterRelationship)
    )
    narrative_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    perpetrator_relationship: Mapped[PerpetratorRelationship | None] = mapped_column(
        enum_column(PerpetratorRelationship)
    )
    perpetrator_lives_with_child: Mapped[bool | None]
    # None until asked: consent to receive services (asked on the first contact call and
    # recorded by operations.staff.record_consent) and to share with other agencies.
    consent_services: Mapped[bool | None]
    consent_share: Mapped[bool | None]
    callback_consent: Mapped[bool]
    callback_time: Mapped[CallbackTime | None] = mapped_column(enum_column(CallbackTime))
    # The reporter agreed to a neutral SMS when the case is updated (case_store.follow_ups).
    sms_consent: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set when the case was acknowledged, referred or closed and its reporter, who agreed, is
    # owed a follow-up SMS; cleared when the follow-up job takes it (or moved later, to hold it
    # past quiet hours or to the next day). When the last follow-up went, for one a day.
    follow_up_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A caller asked for a call back about this case (``request_callback``) and no call has
    # been logged on it since (``close_callback_request``).
    callback_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assign_by: Mapped[datetime] = mapped_column(UTCDateTime)
    first_contact_by: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When someone reached the child or the reporter (``record_first_contact``, SMS CALLED):
    # it stops the first-contact clock.
    first_contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the alert about this case reached nobody (nobody on call for its area); cleared
    # when it goes out to someone who came on call. Durable, so a restart forgets no alert.
    alert_pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the case, still unmet after a deadline's escalation, first went to the fallback.
    fallback_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the deadline sweep next looks at the case (its next reminder or escalation, or a
    # step waiting for working hours); None when nothing is left to chase. Whatever changes
    # the deadlines or undoes what met them sets it (``operations.deadlines.recheck_deadlines``).
    deadline_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Primero (``operations.primero``): the id the record has there, which Kinga chooses (a
    # UUID) so that a repeated create is recognised (409); where the sync stands; Primero's
    # error when it refused the record (never personal data: its codes and messages); the
    # attempts made and when the last one was. ``primero_revision`` counts the changes to
    # send, ``primero_synced_revision`` the last one Primero has (None: not created yet).
    primero_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    primero_sync_state: Mapped[SyncState] = mapped_column(
        enum_column(SyncState), default=SyncState.NOT_SYNCED, server_default="not_synced"
    )
    primero_error: Mapped[str | None] = mapped_column(String(500))
    primero_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    primero_last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    primero_revision: Mapped[int] = mapped_column(default=0, server_default="0")
    primero_synced_revision: Mapped[int | None]
    # The Primero user the case was last assigned to there (``POST …/assigns``).
    primero_assigned_user: Mapped[str | None] = mapped_column(String(64))
    # Primero's ``last_updated_at`` of the latest webhook applied: an older or replayed one
    # changes nothing.
    primero_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The structured dialog answers as given; free-text answers are never copied here.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporter.id"), index=True)
    # A possible repeat of an open case, linked for a person to confirm (never merged silently):
    # repeat_confirmed is None until someone decides.
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    repeat_reason: Mapped[RepeatReason | None] = mapped_column(enum_column(RepeatReason))
    repeat_confirmed: Mapped[bool | None]
    # Set when this case was closed as a duplicate of another.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)

    reporter: Mapped[Reporter | None] = relationship()
    repeat_of: Mapped[Case | None] = relationship(
        remote_side="Case.id", foreign_keys="Case.repeat_of_id"
    )
    merged_into: Mapped[Case | None] = relationship(
        remote_side="Case.id", foreign_keys="Case.merged_into_id"
    )
    referrals: Mapped[list[Referral]] = relationship(back_populates="case", order_by="Referral.id")
    assigned_to: Mapped[User | None] = relationship()
    notes: Mapped[list[Note]] = relationship(back_populates="case", order_by="Note.id")
    contacts: Mapped[list[Contact]] = relationship(back_populates="case")
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")

    def __repr__(self) -> str:
        return f"<Case {self.reference} {self.status} {self.risk_level}>"
