"""The steps taken on a case's deadlines: one row per reminder, escalation or fallback, so that
none is ever taken twice (``case_store.deadline_steps`` says what the steps are)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from case_store.base import Base
from case_store.columns import UTCDateTime, enum_column
from case_store.enums import Deadline, StepOutcome


class DeadlineStep(Base):
    __tablename__ = "deadline_step"
    # Written by a conditional insert in the transaction that queues the step's SMS: two
    # sweeps, or a retried one, can never take the same step of the same deadline twice.
    __table_args__ = (
        UniqueConstraint(
            "case_id", "deadline", "step", name="uq_deadline_step_case_id_deadline_step"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    deadline: Mapped[Deadline] = mapped_column(enum_column(Deadline))
    step: Mapped[str] = mapped_column(String(32))  # remind_50, escalate, fallback
    outcome: Mapped[StepOutcome] = mapped_column(enum_column(StepOutcome))
    recipients: Mapped[int] = mapped_column(default=0)  # how many were told
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<DeadlineStep case={self.case_id} {self.deadline} {self.step} {self.outcome}>"
