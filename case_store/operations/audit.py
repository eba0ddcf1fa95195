"""The audit trail: every named operation appends one case event, with before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.enums import (
    CaseStatus,
    EventKind,
    RosterEventKind,
    ServiceProviderEventKind,
)
from case_store.models import (
    Case,
    CaseEvent,
    RosterEvent,
    ServiceProvider,
    ServiceProviderEvent,
    User,
)
from case_store.on_call import describe_window
from case_store.operations.errors import InvalidTransition
from case_store.operations.sync_queue import note_change

ACTOR_REPORTER = "reporter"
ACTOR_USER = "user"
ACTOR_SYSTEM = "system"
ACTOR_SERVICE_PROVIDER = "service_provider"


def case_snapshot(case: Case) -> dict[str, Any]:
    """The audited, non-personal state of a case (free text is never copied into events)."""
    return {
        "reference": case.reference,
        "status": case.status.value,
        "risk_level": case.risk_level.value,
        "immediate_danger": case.immediate_danger,
        "category": case.category.value,
        "child_age_band": case.child_age_band.value,
        "child_sex": case.child_sex.value,
        "location_code": case.location_code,
        "reporter_relationship": case.reporter_relationship.value,
        "callback_consent": case.callback_consent,
        "callback_time": case.callback_time.value if case.callback_time else None,
        "sms_consent": case.sms_consent,
        "assign_by": case.assign_by.isoformat(),
        "first_contact_by": case.first_contact_by.isoformat(),
        "has_place": case.place_encrypted is not None,
        "has_narrative": case.narrative_encrypted is not None,
        "repeat_of": case.repeat_of.reference if case.repeat_of else None,
        "repeat_reason": case.repeat_reason.value if case.repeat_reason else None,
    }


def record_staff_event(
    session: Session,
    case: Case,
    kind: EventKind,
    actor: User,
    now: datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> CaseEvent:
    """An event a staff member caused, named by their user id."""
    return record_event(session, case, kind, ACTOR_USER, actor.id, now, after, before)


def refuse_if_closed(case: Case, verb: str) -> None:
    if case.status is CaseStatus.CLOSED:
        raise InvalidTransition(f"cannot {verb} closed case {case.id}; reopen it first")


def assignment_fields(case: Case) -> dict[str, Any]:
    return {
        "assigned_to_id": case.assigned_to_id,
        "acknowledged_at": iso(case.acknowledged_at),
    }


def level_fields(case: Case) -> dict[str, Any]:
    return {
        "risk_level": case.risk_level.value,
        "assign_by": iso(case.assign_by),
        "first_contact_by": iso(case.first_contact_by),
    }


def closure_fields(case: Case) -> dict[str, Any]:
    return {
        "status": case.status.value,
        "workflow_stage": case.workflow_stage.value,
        "closure_reason": case.closure_reason.value if case.closure_reason else None,
        "closed_at": iso(case.closed_at),
    }


def iso(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat()


def record_event(
    session: Session,
    case: Case,
    kind: EventKind,
    actor: str,
    actor_user_id: int | None,
    now: datetime,
    after: dict[str, Any],
    before: dict[str, Any] | None = None,
) -> CaseEvent:
    case_event = CaseEvent(
        case=case,
        kind=kind,
        actor=actor,
        actor_user_id=actor_user_id,
        at=now,
        data={"before": before, "after": after},
    )
    session.add(case_event)
    session.flush()
    note_change(session, case, kind, actor)
    return case_event


def roster_fields(user: User) -> dict[str, Any]:
    """The audited state of a staff account (the event names the user by id): whether it has a
    phone, never the number."""
    return {
        "role": user.role.value,
        "has_phone": user.phone_hash is not None,
        "areas": list(user.areas),
        "languages": list(user.languages),
        "on_call": user.on_call,
        "windows": [describe_window(window) for window in user.on_call_windows],
        "active": user.active,
        "primero_user": user.primero_user,
    }


def record_roster_event(
    session: Session,
    user: User,
    kind: RosterEventKind,
    actor: str | User,
    now: datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> RosterEvent:
    """An event on ``user``'s trail; ``actor`` is a staff member (named by id) or a word such
    as ``admin_cli``."""
    roster_event = RosterEvent(
        user=user,
        kind=kind,
        **_named(actor),
        at=as_utc(now, "now"),
        data={"before": before, "after": after},
    )
    session.add(roster_event)
    session.flush()
    return roster_event


def _named(actor: str | User) -> dict[str, Any]:
    """A trail event's actor columns: a staff member by id, or a word such as ``admin_cli``."""
    if isinstance(actor, User):
        return {"actor": ACTOR_USER, "actor_user_id": actor.id}
    return {"actor": actor, "actor_user_id": None}


def provider_fields(provider: ServiceProvider) -> dict[str, Any]:
    """The audited state of a service provider: whether it has a phone, never the number."""
    return {
        "name": provider.name,
        "services": list(provider.services),
        "areas": list(provider.areas),
        "languages": list(provider.languages),
        "has_phone": provider.phone_hash is not None,
        "active": provider.active,
    }


def record_provider_event(
    session: Session,
    provider: ServiceProvider,
    kind: ServiceProviderEventKind,
    actor: str | User,
    now: datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> ServiceProviderEvent:
    """An event on ``provider``'s trail; ``actor`` is a staff member (named by id) or a word
    such as ``admin_cli``."""
    provider_event = ServiceProviderEvent(
        service_provider=provider,
        kind=kind,
        **_named(actor),
        at=as_utc(now, "now"),
        data={"before": before, "after": after},
    )
    session.add(provider_event)
    session.flush()
    return provider_event
