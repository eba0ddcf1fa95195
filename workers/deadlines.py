"""The deadline sweep: reminders before each deadline of every open case, the area's on-call
supervisors told when one passes unmet, then the fallback of last resort
(``case_store.deadline_steps`` says what the steps are and when each is due).

Every minute (``workers.cron``) ``sweep_deadlines`` reads the cases whose check is due
(``Case.deadline_check_at``, through a partial index: the cost follows the cases due, not the
cases open) and checks each in a transaction of its own. ``take_deadline_check`` takes the case
(of two sweeps, exactly one gets it); each step due is recorded by ``take_step`` (a conditional
insert, unique per case, deadline and step) with its SMS queued in that same transaction; the
next check is set to the next step's time; after the commit the SMS are dispatched. A case
opened while no worker ran, or whose level changed, is due at once (``open_case`` and
``recheck_deadlines`` see to it), and its late steps are caught up in order: only the last of
the reminders due, then the escalation, then the fallback.

Who is told:

- a reminder: the assignee; while nobody holds the case, the area's on-call caseworkers, else
  its on-call supervisors. An assignee who can no longer be reached (deactivated, no work
  phone) is not reminded: the escalation tells the supervisors, who reassign;
- an escalation: the area's on-call supervisors;
- the fallback: the profile's ``alerts.fallback`` (``workers.alerts.fallback_recipients``),
  leaving out whoever was alerted about the case (assign-by) or told of this deadline's
  escalation (first contact).

Working hours: a step about a medium or low case waits while its recipients are off call (their
on-call windows, ``case_store.on_call``) and goes out once, when one of them comes on call; one
that nobody could receive within a week is recorded as reaching nobody (an assignee with no
window at all has no working hours to wait for, and is reminded at once). Immediate and high cases
go day or night: the assignee is reminded off call too, and a reminder or escalation that finds
nobody on call is recorded as such and the chain moves on. The fallback, the last resort, waits
for someone at every level (the duty phone is always on duty).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

import redis
from sqlalchemy.orm import Session, sessionmaker

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.deadline_steps import ESCALATE, FALLBACK, Step, deadline_steps, plan
from case_store.enums import CaseStatus, Deadline, MessagePurpose, RiskLevel, Role, StepOutcome
from case_store.models import Case, OutboxRow
from case_store.on_call import ON_CALL_ROLES, is_on_call, next_on_call
from case_store.operations import next_deadline_check, take_deadline_check, take_step
from case_store.queries.cases import alerted_phone_hashes, area_staff
from case_store.queries.deadlines import due_deadline_checks, steps_taken
from case_store.triage import TriagePolicy
from workers import metrics
from workers.alerts import (
    CONTACT_OVERDUE,
    ESCALATION,
    REMIND_ASSIGN,
    REMIND_CONTACT,
    REMIND_CONTACT_UNASSIGNED,
    Recipient,
    alert_recipients,
    fallback_recipients,
    queue_staff_texts,
    staff_recipients,
)
from workers.context import Deployment, installed
from workers.dispatch import dispatch
from workers.queues import URGENT

log = logging.getLogger("kinga.deadlines")

JOB_QUEUE = URGENT  # it escalates immediate cases: never behind a backlog
JOB_TIMEOUT = 120
BATCH = 200
SWEEP_SECONDS = 20  # then the rest waits for the next minute: alerts share the urgent queue
# Immediate and high cases are chased day or night; medium and low ones in working hours.
DAY_OR_NIGHT = frozenset({RiskLevel.IMMEDIATE, RiskLevel.HIGH})
# A step waiting for working hours is looked at again at least this often: someone put on
# call by hand (``kinga users on-call --on``) has no window to wait for.
HOLD_RECHECK = timedelta(minutes=10)
LOOK_AHEAD = timedelta(days=7)


class StepTaken(RuntimeError):
    """A step was recorded by someone else: the case's check is left to the next sweep."""


@dataclass(frozen=True)
class Audience:
    """Who a step goes to now; nobody, with ``hold_until`` when someone comes on call then."""

    recipients: list[Recipient] = field(default_factory=list)
    hold_until: datetime | None = None


def sweep_deadlines() -> int:
    """RQ job (every minute on the cron schedule): ``run_deadline_sweep`` with this worker's
    context; the number of SMS queued."""
    context = installed()
    return run_deadline_sweep(
        context.sessions,
        context.connection(),
        context.vault,
        profile=context.profile,
        policy=context.triage,
        max_segments=context.max_segments,
        now=datetime.now(UTC),
    )


def run_deadline_sweep(
    sessions: sessionmaker[Session],
    connection: redis.Redis[bytes],
    vault: Vault,
    *,
    profile: Deployment,
    policy: TriagePolicy,
    max_segments: int,
    now: datetime,
    batch: int = BATCH,
) -> int:
    """Check every case whose deadline check is due at ``now``, ``batch`` at a time, for at
    most ``SWEEP_SECONDS``; the number of SMS queued."""
    started = time.monotonic()
    queued = 0
    while True:
        with sessions() as db:
            due = due_deadline_checks(db, now=now, limit=batch)
        for case_id in due:
            try:
                rows = check_deadlines(
                    sessions,
                    vault,
                    case_id,
                    profile=profile,
                    policy=policy,
                    max_segments=max_segments,
                    now=now,
                )
            except Exception:  # one case must not hold back the others; it stays due
                log.exception(
                    "deadlines: case %s could not be checked; retried next sweep", case_id
                )
                continue
            dispatch(connection, rows)  # what Redis misses, the outbox sweep sends
            queued += len(rows)
        if len(due) < batch or time.monotonic() - started > SWEEP_SECONDS:
            return queued


def check_deadlines(
    sessions: sessionmaker[Session],
    vault: Vault,
    case_id: int,
    *,
    profile: Deployment,
    policy: TriagePolicy,
    max_segments: int,
    now: datetime,
) -> list[OutboxRow]:
    """Take the steps due on ``case_id``'s deadlines and set its next check, in one
    transaction; the outbox rows to dispatch (none when another sweep had the case)."""
    with sessions() as db:
        case = take_deadline_check(db, case_id, now=now)
        if case is None:
            db.rollback()
            return []
        taken = steps_taken(db, case.id)
        rows: list[OutboxRow] = []
        wakes: list[datetime] = []
        try:
            for deadline in Deadline:
                queued, wake = _advance(
                    db,
                    vault,
                    case,
                    deadline,
                    taken[deadline],
                    profile=profile,
                    policy=policy,
                    max_segments=max_segments,
                    now=now,
                )
                rows.extend(queued)
                wakes.extend([wake] if wake is not None else [])
        except StepTaken:
            db.rollback()
            log.warning("deadlines: case %s had a step taken meanwhile; left as it was", case_id)
            return []
        next_deadline_check(case, min(wakes, default=None))
        db.commit()
    return rows


def met(case: Case, deadline: Deadline) -> bool:
    """Whether ``deadline`` is met: the case acknowledged (someone holds it and said so), or
    its first contact recorded."""
    if deadline is Deadline.ASSIGN:
        return case.acknowledged_at is not None
    return case.first_contacted_at is not None


def _advance(
    db: Session,
    vault: Vault,
    case: Case,
    deadline: Deadline,
    taken: dict[str, datetime],
    *,
    profile: Deployment,
    policy: TriagePolicy,
    max_segments: int,
    now: datetime,
) -> tuple[list[OutboxRow], datetime | None]:
    """Take the steps of ``deadline`` due at ``now``, in order; the outbox rows, and when to
    look again for this deadline (None: nothing left)."""
    if case.status is CaseStatus.CLOSED or met(case, deadline):
        return [], None
    due_at = case.assign_by if deadline is Deadline.ASSIGN else case.first_contact_by
    escalate_at = (
        as_utc(case.created_at) + policy.escalate_within
        if deadline is Deadline.ASSIGN and case.risk_level is RiskLevel.IMMEDIATE
        else None
    )
    rows: list[OutboxRow] = []
    while True:
        steps = deadline_steps(
            profile.deadlines,
            level=case.risk_level,
            opened=as_utc(case.created_at),
            deadline=as_utc(due_at),
            escalate_at=escalate_at,
            escalated_at=taken.get(ESCALATE),
        )
        step_plan = plan(steps, taken, now)
        step = step_plan.take
        if step is None:
            return rows, step_plan.wake
        audience = _audience(db, vault, case, deadline, step, taken, profile=profile, now=now)
        if audience.hold_until is not None:
            log.info(
                "deadlines: case %s %s %s waits for working hours", case.id, deadline, step.name
            )
            return rows, min(audience.hold_until, now + HOLD_RECHECK)
        for skipped in step_plan.skip:
            _take(db, case, deadline, skipped, StepOutcome.SKIPPED, 0, now)
            taken[skipped.name] = now
        recipients = audience.recipients
        outcome = StepOutcome.SENT if recipients else StepOutcome.NOBODY
        _take(db, case, deadline, step, outcome, len(recipients), now)
        metrics.ALERTS.labels(
            kind=_alert_kind(step), outcome=metrics.SENT if recipients else metrics.NOBODY
        ).inc()
        taken[step.name] = now
        if not recipients:
            log.log(
                logging.ERROR if step.name == FALLBACK else logging.WARNING,
                "deadlines: case %s (area %s, %s): %s of the %s deadline reached nobody",
                case.id,
                case.location_code,
                case.risk_level,
                step.name,
                deadline,
            )
            continue
        rows.extend(
            queue_staff_texts(
                db,
                vault,
                case,
                recipients,
                purpose=MessagePurpose.REMINDER if step.is_reminder else MessagePurpose.ALERT,
                shown=case.assign_by
                if deadline is Deadline.ASSIGN and step.is_reminder
                else case.first_contact_by,
                profile=profile,
                max_segments=max_segments,
                now=now,
            )
        )


def _alert_kind(step: Step) -> str:
    if step.is_reminder:
        return metrics.REMINDER
    return metrics.ESCALATION if step.name == ESCALATE else metrics.FALLBACK


def _take(
    db: Session,
    case: Case,
    deadline: Deadline,
    step: Step,
    outcome: StepOutcome,
    recipients: int,
    now: datetime,
) -> None:
    if not take_step(
        db, case, deadline, step.name, outcome=outcome, recipients=recipients, now=now
    ):
        raise StepTaken(f"case {case.id} {deadline} {step.name}")


def _audience(
    db: Session,
    vault: Vault,
    case: Case,
    deadline: Deadline,
    step: Step,
    taken: dict[str, datetime],
    *,
    profile: Deployment,
    now: datetime,
) -> Audience:
    """Who ``step`` goes to at ``now`` (see the module docstring)."""
    zone = profile.time_zone
    day_or_night = case.risk_level in DAY_OR_NIGHT
    if step.name == FALLBACK:
        if deadline is Deadline.ASSIGN:
            told = alerted_phone_hashes(db, case.id)
            recipients = fallback_recipients(db, vault, case, profile=profile, now=now, told=told)
        else:
            told = alerted_phone_hashes(db, case.id, since=taken[ESCALATE])
            recipients = fallback_recipients(
                db,
                vault,
                case,
                profile=profile,
                now=now,
                told=told,
                to_assignable=CONTACT_OVERDUE,
                to_others=CONTACT_OVERDUE,
            )
        if recipients:
            return Audience(recipients)
        return _later(db, case, profile.alert_fallback.roles, now=now, zone=zone)
    if step.name == ESCALATE:
        message = ESCALATION if deadline is Deadline.ASSIGN else CONTACT_OVERDUE
        users = alert_recipients(db, case, at=now, time_zone=zone, escalation=True)
        roles: Sequence[Role] = (Role.SUPERVISOR,)
    elif case.assigned_to is not None:
        assignee = case.assigned_to
        if not (assignee.active and assignee.phone_encrypted is not None):
            return Audience()  # nobody to remind; the escalation tells the supervisors
        message = REMIND_ASSIGN if deadline is Deadline.ASSIGN else REMIND_CONTACT
        if not day_or_night and not is_on_call(assignee, now, zone):
            opens = next_on_call(assignee, after=now, time_zone=zone)
            if opens is not None and opens - now <= LOOK_AHEAD:
                return Audience(hold_until=opens)
            # No on-call window at all: no working hours to wait for.
        return Audience(staff_recipients(vault, [assignee], message, profile))
    else:
        message = REMIND_ASSIGN if deadline is Deadline.ASSIGN else REMIND_CONTACT_UNASSIGNED
        users = alert_recipients(db, case, at=now, time_zone=zone)
        roles = ON_CALL_ROLES
    if users:
        return Audience(staff_recipients(vault, users, message, profile))
    if day_or_night:
        return Audience()
    return _later(db, case, roles, now=now, zone=zone)


def _later(
    db: Session, case: Case, roles: Iterable[Role], *, now: datetime, zone: tzinfo
) -> Audience:
    """Nobody now: wait until the first of the area's ``roles`` comes on call, or nobody at all
    when none will within a week."""
    opens = [
        moment
        for user in area_staff(db, location_code=case.location_code, roles=roles)
        if user.phone_encrypted is not None
        and (moment := next_on_call(user, after=now, time_zone=zone)) is not None
    ]
    first = min(opens, default=None)
    if first is None or first - now > LOOK_AHEAD:
        return Audience()
    return Audience(hold_until=first)
