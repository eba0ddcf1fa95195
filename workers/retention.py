"""The daily retention job: blank personal data whose period in the profile has passed.

``purge_expired`` is the RQ job (primitive arguments, idempotent: a second run the same day
finds nothing left). ``purge_now`` is what the job and ``kinga retention purge`` share.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from case_store.operations.retention import purge
from case_store.retention import RetentionPolicy
from workers.context import installed

log = logging.getLogger("kinga.retention")

JOB_TIMEOUT = 3600  # seconds; a first purge on a large database blanks many rows


def purge_now(
    sessions: sessionmaker[Session], policy: RetentionPolicy, *, now: datetime
) -> dict[str, int]:
    """Run one purge in one transaction; returns the counts per data kind."""
    with sessions.begin() as session:
        run = purge(session, policy, now=now)
        counts = dict(run.counts)
    log.info("retention purge at %s: %s", now.isoformat(), counts)
    return counts


def purge_expired(now: str | None = None) -> dict[str, int]:
    """RQ job: purge with the settings and profile of this worker's environment.

    ``now`` (ISO 8601 with a zone) exists for operators replaying a missed day and for
    tests; the schedule passes nothing.
    """
    at = datetime.fromisoformat(now) if now else datetime.now(UTC)
    if at.tzinfo is None:
        raise ValueError("now must carry a time zone")
    context = installed()
    return purge_now(context.sessions, context.profile.retention, now=at)
