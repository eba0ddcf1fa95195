"""How staff accounts are used in the console: passwords, sign-ins, lock-outs, refusals.

Each is appended to the account's own trail (``RosterEvent``), as roster changes are: a
sign-in, a wrong password, the lock that follows too many, a sign-out, a password set, an
unlock, every failed job it put back on its queue, and every page or action the account's role
was refused. Events carry the client's
address and never a password, a hash or a username that was typed.

``sign_in`` is the whole rule of ``case_store.passwords`` in one place: a locked account is
refused whatever password is given, a wrong one counts, and the last one allowed locks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.enums import RosterEventKind
from case_store.models import RosterEvent, User
from case_store.operations.audit import iso, record_roster_event
from case_store.passwords import (
    LOCK_DURATION,
    MAX_FAILED_LOGINS,
    check_new_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from case_store.permissions import Action, check_role


class SignInOutcome(StrEnum):
    SIGNED_IN = "signed_in"
    # A wrong password, an unknown name, an account without a password or deactivated: the
    # console answers all of them alike.
    REFUSED = "refused"
    LOCKED = "locked"


@dataclass(frozen=True)
class SignIn:
    outcome: SignInOutcome
    locked_until: datetime | None = None


def lock_fields(user: User) -> dict[str, Any]:
    return {"failed_logins": user.failed_logins, "locked_until": iso(user.locked_until)}


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and as_utc(user.locked_until) > as_utc(now, "now")


def sign_in(
    session: Session, user: User | None, password: str, *, now: datetime, address: str
) -> SignIn:
    """Check ``password`` for ``user`` (None: no account by the name typed) and record it.

    Verifies even when there is no account, so the answer takes as long either way. A locked
    account is refused without checking the password (the attempt is recorded); a wrong
    password counts, and the ``MAX_FAILED_LOGINS``-th locks the account for
    ``LOCK_DURATION``. A correct one clears the count and replaces an outdated hash.
    """
    now = as_utc(now, "now")
    where = {"address": address}
    if user is None:
        verify_password(None, password)
        return SignIn(SignInOutcome.REFUSED)
    if is_locked(user, now):
        after = where | {"reason": "locked"}
        record_roster_event(session, user, RosterEventKind.LOGIN_FAILED, user, now, None, after)
        return SignIn(SignInOutcome.LOCKED, user.locked_until)
    usable = user.active and user.password_hash is not None
    if not verify_password(user.password_hash if usable else None, password):
        before = lock_fields(user)
        user.failed_logins += 1
        reason = "wrong_password" if usable else "no_access"
        after = where | {"reason": reason} | lock_fields(user)
        record_roster_event(session, user, RosterEventKind.LOGIN_FAILED, user, now, before, after)
        if user.failed_logins < MAX_FAILED_LOGINS:
            return SignIn(SignInOutcome.REFUSED)
        before = lock_fields(user)
        user.failed_logins, user.locked_until = 0, now + LOCK_DURATION
        record_roster_event(
            session, user, RosterEventKind.LOCKED, user, now, before, where | lock_fields(user)
        )
        return SignIn(SignInOutcome.LOCKED, user.locked_until)
    assert user.password_hash is not None  # usable
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    before = lock_fields(user)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    record_roster_event(
        session, user, RosterEventKind.LOGGED_IN, user, now, before, where | lock_fields(user)
    )
    return SignIn(SignInOutcome.SIGNED_IN)


def sign_out(session: Session, user: User, *, now: datetime, address: str) -> RosterEvent:
    return record_roster_event(
        session, user, RosterEventKind.LOGGED_OUT, user, now, None, {"address": address}
    )


def set_password(
    session: Session, user: User, password: str, *, now: datetime, actor: str | User
) -> RosterEvent:
    """Give ``user`` a new console password (``InvalidPassword`` if the rules refuse it); it
    also unlocks the account. A staff ``actor`` must be allowed to manage users."""
    if isinstance(actor, User):
        check_role(actor, Action.MANAGE_USERS)
    check_new_password(password, username=user.username)
    before = lock_fields(user) | {"has_password": user.password_hash is not None}
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    after = lock_fields(user) | {"has_password": True}
    return record_roster_event(
        session, user, RosterEventKind.PASSWORD_SET, actor, now, before, after
    )


def unlock(session: Session, user: User, *, now: datetime, actor: str | User) -> RosterEvent | None:
    """Lift a lock before it ends (an administrator who knows who is asking); None when the
    account is not locked."""
    if isinstance(actor, User):
        check_role(actor, Action.MANAGE_USERS)
    if not is_locked(user, now):
        return None
    before = lock_fields(user)
    user.failed_logins, user.locked_until = 0, None
    return record_roster_event(
        session, user, RosterEventKind.UNLOCKED, actor, now, before, lock_fields(user)
    )


def set_console_language(user: User, language: str) -> None:
    """The console's language for ``user`` (an enabled language: checked by the caller, who
    knows the deployment's). A preference, not a roster change: not audited."""
    user.console_language = language


def record_refusal(
    session: Session, user: User, action: str, *, now: datetime, target: dict[str, Any]
) -> RosterEvent:
    """``user`` asked for something their role or areas do not allow (``action``: a
    permission's name, ``target``: what it was on, e.g. a page or a case id)."""
    after = {"action": action} | target
    return record_roster_event(session, user, RosterEventKind.REFUSED, user, now, None, after)


def record_job_retry(
    session: Session, user: User, *, job_id: str, job: str, queue: str, now: datetime
) -> RosterEvent:
    """``user`` put the failed job ``job_id`` (the function ``job``) back on ``queue``; checked
    against their role. Ids and names only: a job's reason or arguments are not kept."""
    check_role(user, Action.RETRY_JOBS)
    after = {"job_id": job_id, "job": job, "queue": queue}
    return record_roster_event(session, user, RosterEventKind.JOB_RETRIED, user, now, None, after)
