"""The send jobs' names follow their modules into ``workers/sms/``.

A job's name is data: the outbox stores it (``outbox.job``) and RQ stores it in Redis. This
rewrites the outbox rows from the old names to the new ones (and back on downgrade).

RQ jobs already in Redis under an old name need nothing more. Their message is still ``queued``
with no provider id and unclaimed (the old function cannot be imported, so the job fails
before it takes the send claim), and its outbox row is dispatched. Once RQ has given up on the
job (its retries failed), the job is no longer alive, and the unsent-message sweep
(``workers.unsent``, every minute) enqueues the message's outbox row again under the row's
job name, migrated here, and the same job id (``outbox-<row id>``). Rows never dispatched
are enqueued by the outbox sweep, also under the row's name.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Old name → new name; written out, not imported: a migration must not move with the code.
RENAMED = {
    "workers.outbound.send_message": "workers.sms.send_job.send_message",
    "workers.outgoing.send_urgent": "workers.sms.queueing.send_urgent",
}

_outbox = sa.table("outbox", sa.column("job", sa.String(length=200)))


def _rename(pairs: dict[str, str]) -> None:
    for old, new in pairs.items():
        op.execute(_outbox.update().where(_outbox.c.job == old).values(job=new))


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename({new: old for old, new in RENAMED.items()})
