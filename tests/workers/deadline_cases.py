"""Cases opened at a frozen time and the deadline sweep run at chosen moments, with the job
context a worker installs (the profile's time zone and deadlines replaced per test)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from case_store.deadline_steps import DeadlinePolicy
from case_store.enums import Direction, MessagePurpose, RiskLevel
from case_store.models import Case, CaseEvent, DeadlineStep, Message, User
from case_store.on_call import parse_window
from case_store.operations import create_user, open_case, set_on_call
from case_store.report_contract import Report
from workers import context
from workers.alerts import on_case_opened
from workers.context import JobContext
from workers.deadlines import run_deadline_sweep
from workers.dispatch import dispatch

MOMBASA = "001"
CASEWORKER = "+254700111001"
OTHER_CASEWORKER = "+254700111002"
SUPERVISOR = "+254700111005"
ADMIN = "+254700111006"
BASE_ANSWERS = {
    "danger": "no",
    "age_band": "5_11",
    "sex": "girl",
    "area": MOMBASA,
    "place": "Kibera",
    "relationship": "community",
    "narrative": "She is alone at night",
    "callback": "no",
}
LEVEL_ANSWERS: dict[RiskLevel, dict[str, str]] = {
    RiskLevel.IMMEDIATE: {"danger": "yes", "category": "physical_violence"},
    RiskLevel.HIGH: {"category": "sexual_abuse"},
    RiskLevel.MEDIUM: {"category": "physical_violence"},
    RiskLevel.LOW: {"category": "other"},
}
_sessions = itertools.count(1)


def deadline_context(
    ctx: JobContext,
    zone: str | None = None,
    deadlines: DeadlinePolicy | None = None,
    **profile: Any,
) -> JobContext:
    """``ctx`` with the profile's time zone, deadline policy or other fields replaced,
    installed as the worker's context."""
    if zone is not None:
        profile["time_zone"] = ZoneInfo(zone)
    if deadlines is not None:
        profile["deadlines"] = deadlines
    return context.install(replace(ctx, profile=replace(ctx.profile, **profile)))


def add_staff(
    ctx: JobContext,
    username: str,
    role: str,
    phone: str,
    *,
    at: datetime,
    areas: Sequence[str] = (MOMBASA,),
    on_call: bool = False,
    windows: Sequence[str] = (),
    languages: Sequence[str] = (),
) -> int:
    with ctx.sessions.begin() as session:
        user = create_user(
            session,
            ctx.vault,
            username=username,
            role=role,
            phone=phone,
            now=at,
            areas=areas,
            languages=languages,
            on_call=on_call,
        )
        if windows:
            slots = [slot for window in windows for slot in parse_window(window)]
            set_on_call(session, user, now=at, actor="test", windows=slots)
        return user.id


def report(ctx: JobContext, level: RiskLevel, at: datetime) -> Case:
    """A report at ``level`` opened at ``at``, its alerts queued and dispatched as the
    gateway does."""
    answers = {**BASE_ANSWERS, **LEVEL_ANSWERS[level]}
    n = next(_sessions)
    with ctx.sessions() as session:
        case = open_case(
            session,
            ctx.vault,
            Report(
                channel="ussd",
                provider="africastalking",
                external_id=f"ATUid_deadline_{n}",
                phone=f"+2547123{n:05d}",
                language="en",
                answers=answers,
                started_at=at,
            ),
            now=at,
            policy=ctx.triage,
        )
        rows = on_case_opened(
            session, ctx.vault, case, profile=ctx.profile, max_segments=ctx.max_segments, now=at
        )
        session.commit()
    dispatch(ctx.redis, rows)
    assert case.risk_level is level
    return case


def sweep(ctx: JobContext, at: datetime) -> int:
    return run_deadline_sweep(
        ctx.sessions,
        ctx.redis,
        ctx.vault,
        profile=ctx.profile,
        policy=ctx.triage,
        max_segments=ctx.max_segments,
        now=at,
    )


@dataclass(frozen=True)
class Sent:
    phone: str
    purpose: str
    text: str


def sent(ctx: JobContext, *purposes: MessagePurpose) -> list[Sent]:
    """Every text queued to staff (alerts and reminders, or ``purposes``), oldest first."""
    wanted = purposes or (MessagePurpose.ALERT, MessagePurpose.REMINDER)
    with ctx.sessions() as session:
        rows = session.scalars(
            select(Message)
            .where(Message.direction == Direction.OUTBOUND, Message.purpose.in_(wanted))
            .order_by(Message.id)
        )
        return [
            Sent(
                ctx.vault.decrypt(m.phone_encrypted),
                m.purpose.value if m.purpose else "",
                ctx.vault.decrypt(m.body_encrypted),
            )
            for m in rows
        ]


def reminders(ctx: JobContext) -> list[Sent]:
    return sent(ctx, MessagePurpose.REMINDER)


def steps(ctx: JobContext, case: Case) -> list[tuple[str, str, str, int]]:
    """(deadline, step, outcome, recipients) of every step taken on ``case``, in order."""
    with ctx.sessions() as session:
        rows = session.scalars(
            select(DeadlineStep).where(DeadlineStep.case_id == case.id).order_by(DeadlineStep.id)
        )
        return [(r.deadline.value, r.step, r.outcome.value, r.recipients) for r in rows]


def events(ctx: JobContext, case: Case) -> list[str]:
    with ctx.sessions() as session:
        kinds = session.scalars(
            select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
        return [kind.value for kind in kinds]


def fresh(ctx: JobContext, case: Case) -> Case:
    with ctx.sessions() as session:
        found = session.get(Case, case.id)
        assert found is not None
        return found


def user(ctx: JobContext, username: str) -> User:
    with ctx.sessions() as session:
        found = session.scalars(select(User).where(User.username == username)).one()
        return found


def local(zone: str, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026 in ``zone`` (2 March 2026 is a Monday)."""
    return datetime.combine(datetime(2026, 3, day).date(), time(hour, minute), ZoneInfo(zone))
