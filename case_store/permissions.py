"""Who may do what to which case, and to the roster: the one place access is decided.

Every staff operation calls ``check`` before it writes. Roles grant actions; a caseworker's
case actions are limited to cases assigned to them; a user with areas acts only on cases in
those areas (no areas means every area); an inactive user may do nothing. Work on no case
(managing accounts, the on-call roster and the service providers, logging a call) is checked
by role alone (``check_role``): the console shows and serves a page only to the roles this
module allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from case_store.enums import Role
from case_store.models import Case, User


class Action(StrEnum):
    VIEW = "view"
    ASSIGN = "assign"
    # Take an unassigned case in one's own area (the on-call caseworker answering an alert).
    CLAIM = "claim"
    ACKNOWLEDGE = "acknowledge"
    ADD_NOTE = "add_note"
    CHANGE_STATUS = "change_status"
    CHANGE_LEVEL = "change_level"
    CLOSE = "close"
    REOPEN = "reopen"
    RECORD_CONTACT = "record_contact"
    REFER = "refer"
    # Refer without the reporter's consent, giving the reason (supervisors and administrators).
    OVERRIDE_CONSENT = "override_consent"
    CONFIRM_REPEAT = "confirm_repeat"
    MERGE = "merge"
    REVEAL = "reveal"
    # Not on a case: staff accounts (create, change, passwords, deactivate) ...
    MANAGE_USERS = "manage_users"
    # ... and who is on call when (the roster's flags and weekly windows).
    MANAGE_ROSTER = "manage_roster"
    # Oversee the work of one's areas: what is overdue, escalated, unalerted, who holds what.
    OVERSEE = "oversee"
    # The service providers cases are referred to: see them (phones masked) ...
    VIEW_SERVICES = "view_services"
    # ... and create, change, deactivate and reactivate them.
    MANAGE_SERVICES = "manage_services"
    # Put a job the workers gave up on back on its queue.
    RETRY_JOBS = "retry_jobs"
    # The daily counts a helpline reports upward (numbers only).
    VIEW_COUNTS = "view_counts"


class PermissionDenied(PermissionError):
    """The actor may not do this; the message names the user id, action and case id only."""


_CASE_WORK = frozenset(
    {
        Action.VIEW,
        Action.ACKNOWLEDGE,
        Action.ADD_NOTE,
        Action.CHANGE_STATUS,
        Action.CHANGE_LEVEL,
        Action.CLOSE,
        Action.RECORD_CONTACT,
        Action.REFER,
        Action.CONFIRM_REPEAT,
        Action.REVEAL,
    }
)

ROLE_ACTIONS: Mapping[Role, frozenset[Action]] = MappingProxyType(
    {
        Role.HOTLINE_AGENT: frozenset(
            {Action.VIEW, Action.ADD_NOTE, Action.RECORD_CONTACT, Action.REFER}
        ),
        Role.CASEWORKER: _CASE_WORK | {Action.CLAIM},
        # A supervisor runs the on-call rota and oversees the work (the supervisor's view, the
        # daily counts, failed jobs, where referrals can go); accounts and the list of service
        # providers are the administrator's.
        Role.SUPERVISOR: frozenset(Action) - {Action.MANAGE_USERS, Action.MANAGE_SERVICES},
        Role.ADMIN: frozenset(Action),
    }
)

# Actions a caseworker may take only on a case assigned to them.
_ASSIGNEE_ONLY = _CASE_WORK - {Action.VIEW}


def allowed(actor: User, action: Action, case: Case) -> bool:
    if not actor.active or action not in ROLE_ACTIONS[actor.role]:
        return False
    if actor.role is Role.ADMIN:
        return True
    if actor.areas and case.location_code not in actor.areas:
        return False
    if actor.role is Role.CASEWORKER and action in _ASSIGNEE_ONLY:
        return case.assigned_to_id is not None and case.assigned_to_id == actor.id
    return True


def areas_seen(actor: User) -> list[str] | None:
    """The areas whose cases ``actor`` works on, as ``allowed`` decides: None for every area
    (an administrator, or an account with no areas)."""
    if actor.role is Role.ADMIN or not actor.areas:
        return None
    return list(actor.areas)


def check(actor: User, action: Action, case: Case) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` may take ``action`` on ``case``."""
    if not allowed(actor, action, case):
        raise PermissionDenied(f"user {actor.id} may not {action.value} case {case.id}")


def role_allows(actor: User, action: Action) -> bool:
    """Whether ``actor``'s role grants ``action`` at all (an active account only)."""
    return actor.active and action in ROLE_ACTIONS[actor.role]


def check_role(actor: User, action: Action) -> None:
    """Raise ``PermissionDenied`` unless ``actor``'s role grants ``action`` at all (for work
    that is not on one case yet, such as logging a call that opened none)."""
    if not role_allows(actor, action):
        raise PermissionDenied(f"user {actor.id} may not {action.value}")


def can_be_assigned(user: User, case: Case) -> bool:
    """Whether ``user`` can hold ``case``: an active caseworker or supervisor for its area."""
    return (
        user.active
        and user.role in (Role.CASEWORKER, Role.SUPERVISOR)
        and (not user.areas or case.location_code in user.areas)
    )
