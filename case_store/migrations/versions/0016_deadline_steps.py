"""Deadline steps: reminders, escalations and fallbacks for every level, taken by a sweep.

Adds the ``deadline_step`` table (one row per step taken, unique per case, deadline and step)
and a case's ``deadline_check_at`` (when the sweep next looks at the case, with a partial index
for the sweep's read). The first-contact deadline is met by ``first_contacted_at`` (0015).

Existing cases:

- every case not closed is checked by the first sweep (``deadline_check_at`` = its opening):
  an assign-by deadline that passed unacknowledged is escalated then, once;
- what the per-case jobs this replaces did already is recorded as done: a case they escalated
  (status ``escalated``) or sent to the fallback has its assign-by ``escalate`` step, and its
  ``fallback`` step when it went there; nothing is told twice;
- a first-contact deadline that passed before this upgrade is not chased (Kinga could not
  record a first contact before): its ``escalate`` and ``fallback`` steps are recorded as
  skipped.

The outbox rows of the two retired jobs (``workers.escalation.escalate_case``,
``workers.fallback.alert_fallback``) are deleted. A job of theirs still scheduled in Redis
fails when it comes due (its function is gone) without doing anything, and the sweep does
its work for its case. Downgrading drops the steps and the column; it does not bring the
retired jobs back.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM = sa.String(length=32)
TIMESTAMP = sa.DateTime(timezone=True)
DEADLINE_CHECK = "deadline_check_at IS NOT NULL"
# Written out, not imported: a migration must not move with the code.
RETIRED_JOBS = ("workers.escalation.escalate_case", "workers.fallback.alert_fallback")

_case = sa.table(
    "case",
    sa.column("id", sa.Integer()),
    sa.column("status", ENUM),
    sa.column("created_at", TIMESTAMP),
    sa.column("assign_by", TIMESTAMP),
    sa.column("first_contact_by", TIMESTAMP),
    sa.column("fallback_alerted_at", TIMESTAMP),
    sa.column("deadline_check_at", TIMESTAMP),
)
_step = sa.table(
    "deadline_step",
    sa.column("case_id", sa.Integer()),
    sa.column("deadline", ENUM),
    sa.column("step", sa.String(length=32)),
    sa.column("outcome", ENUM),
    sa.column("recipients", sa.Integer()),
    sa.column("at", TIMESTAMP),
)
_outbox = sa.table("outbox", sa.column("job", sa.String(length=200)))


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: nullable, no default, no table rebuild.
    op.add_column("case", sa.Column("deadline_check_at", TIMESTAMP, nullable=True))
    op.create_index(
        "ix_case_deadline_check",
        "case",
        ["deadline_check_at", "id"],
        postgresql_where=sa.text(DEADLINE_CHECK),
        sqlite_where=sa.text(DEADLINE_CHECK),
    )
    op.create_table(
        "deadline_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("deadline", ENUM, nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("outcome", ENUM, nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_deadline_step_case_id_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_step")),
        sa.UniqueConstraint(
            "case_id", "deadline", "step", name="uq_deadline_step_case_id_deadline_step"
        ),
    )
    open_cases = _case.c.status != "closed"
    op.execute(_case.update().where(open_cases).values(deadline_check_at=_case.c.created_at))
    escalated = sa.or_(_case.c.status == "escalated", _case.c.fallback_alerted_at.is_not(None))
    _record("assign", "escalate", "sent", _case.c.assign_by, sa.and_(open_cases, escalated))
    _record(
        "assign",
        "fallback",
        "sent",
        _case.c.fallback_alerted_at,
        sa.and_(open_cases, _case.c.fallback_alerted_at.is_not(None)),
    )
    now = datetime.now(UTC)
    passed = sa.and_(open_cases, _case.c.first_contact_by < sa.bindparam("now", now, TIMESTAMP))
    for step in ("escalate", "fallback"):
        _record("first_contact", step, "skipped", _case.c.first_contact_by, passed)
    op.execute(_outbox.delete().where(_outbox.c.job.in_(RETIRED_JOBS)))


def _record(
    deadline: str,
    step: str,
    outcome: str,
    at: sa.ColumnElement[datetime],
    where: sa.ColumnElement[bool],
) -> None:
    chosen = sa.select(
        _case.c.id,
        sa.literal(deadline, ENUM),
        sa.literal(step, sa.String(length=32)),
        sa.literal(outcome, ENUM),
        sa.literal(0, sa.Integer()),
        at,
    ).where(where)
    columns = ["case_id", "deadline", "step", "outcome", "recipients", "at"]
    op.execute(_step.insert().from_select(columns, chosen))


def downgrade() -> None:
    op.drop_table("deadline_step")
    op.drop_index("ix_case_deadline_check", table_name="case")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("deadline_check_at")
