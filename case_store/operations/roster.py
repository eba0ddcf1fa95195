"""The roster: staff accounts created and changed, each change audited (``RosterEvent``).

Who is told about a case depends on the roster, so every change to it is named and recorded,
with the state before and after (never a phone number: only whether it changed). Changes take
effect in the caller's transaction: a deactivated user gets no further alert from the commit
on, and their SMS commands are refused. A change made by a staff member (the console) is
checked against their role first; the command line (``admin_cli``) is the server's operator.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import Direction, MessagePurpose, MessageStatus, Role, RosterEventKind
from case_store.models import Message, OnCallWindow, RosterEvent, ServiceProvider, User
from case_store.on_call import Slot
from case_store.operations.audit import ACTOR_SYSTEM, record_roster_event, roster_fields
from case_store.operations.messages import apply_status
from case_store.permissions import Action, check_role
from case_store.queries.users import DEFAULT_LANGUAGE

MAX_USERNAME = 64


class InvalidUser(ValueError):
    """A user the store cannot create; the text names the field, never a phone number."""


class DuplicateUser(InvalidUser):
    """The username or the phone number already belongs to a user."""


def _check(actor: str | User, action: Action) -> None:
    if isinstance(actor, User):
        check_role(actor, action)


def parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise InvalidUser(f"role must be one of: {choices}") from None


def check_phone_free(
    session: Session, vault: Vault, phone: str, *, user_id: int | None = None
) -> str:
    """The hash of ``phone`` when no user but ``user_id`` has it, and no service provider
    (an SMS from it would be both a staff command and a provider's answer); ``DuplicateUser``
    otherwise."""
    phone_hash = vault.phone_hash(phone)
    holder = session.scalar(select(User.id).where(User.phone_hash == phone_hash))
    if holder is not None and holder != user_id:
        raise DuplicateUser("that phone number belongs to another user")
    if session.scalar(select(ServiceProvider.id).where(ServiceProvider.phone_hash == phone_hash)):
        raise DuplicateUser("that phone number belongs to a service provider")
    return phone_hash


def create_user(
    session: Session,
    vault: Vault,
    *,
    username: str,
    role: Role | str,
    phone: str | None,
    now: datetime,
    areas: Iterable[str] = (),
    languages: Iterable[str] = (),
    on_call: bool = False,
    actor: str | User = ACTOR_SYSTEM,
    primero_user: str | None = None,
) -> User:
    """A new active user; ``phone`` must already be in E.164 form (checked at the edge).

    Refuses a username or a phone number that another user has, before writing anything. Two
    concurrent creations of the same name both pass the look-up; the second flush raises
    ``sqlalchemy.exc.IntegrityError`` on the unique constraint.
    """
    _check(actor, Action.MANAGE_USERS)
    name = username.strip()
    if not name or len(name) > MAX_USERNAME or any(c.isspace() for c in name):
        raise InvalidUser(f"a username has 1 to {MAX_USERNAME} characters and no spaces")
    role = parse_role(role)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise DuplicateUser(f"a user named {name!r} exists already")
    phone_hash = None if phone is None else check_phone_free(session, vault, phone)
    primero_user = _primero_user(session, primero_user, user_id=None)
    now = as_utc(now, "now")
    user = User(
        username=name,
        role=role,
        phone_hash=phone_hash,
        phone_encrypted=None if phone is None else vault.encrypt(phone),
        areas=sorted(set(areas)),
        languages=list(dict.fromkeys(languages)) or [DEFAULT_LANGUAGE],
        on_call=on_call,
        active=True,
        created_at=now,
        primero_user=primero_user,
    )
    session.add(user)
    session.flush()
    after = roster_fields(user)
    record_roster_event(session, user, RosterEventKind.CREATED, actor, now, None, after)
    return user


def update_user(
    session: Session,
    vault: Vault,
    user: User,
    *,
    now: datetime,
    actor: str | User,
    phone: str | None = None,
    role: Role | str | None = None,
    areas: Iterable[str] | None = None,
    languages: Iterable[str] | None = None,
    primero_user: str | None = None,
) -> RosterEvent | None:
    """Change what is given (``areas=[]``: every area; ``primero_user=""``: none); None when
    nothing changes.

    ``phone`` must already be in E.164 form; one another user has is refused. Everything is
    checked before anything is written.
    """
    _check(actor, Action.MANAGE_USERS)
    new_role = user.role if role is None else parse_role(role)
    phone_hash = user.phone_hash
    if phone is not None:
        phone_hash = check_phone_free(session, vault, phone, user_id=user.id)
    new_areas = user.areas if areas is None else sorted(set(areas))
    new_languages = user.languages
    if languages is not None:
        new_languages = list(dict.fromkeys(languages)) or [DEFAULT_LANGUAGE]
    new_primero = user.primero_user
    if primero_user is not None:
        new_primero = _primero_user(session, primero_user, user_id=user.id)
    phone_changed = phone_hash != user.phone_hash
    if (new_role, new_areas, new_languages, new_primero) == (
        user.role,
        user.areas,
        user.languages,
        user.primero_user,
    ) and not phone_changed:
        return None
    before = roster_fields(user)
    withdrawn = _withdraw_staff_messages(session, user.phone_hash, now) if phone_changed else 0
    user.role, user.areas, user.languages = new_role, new_areas, new_languages
    user.primero_user = new_primero
    if phone is not None and phone_changed:
        user.phone_hash, user.phone_encrypted = phone_hash, vault.encrypt(phone)
    after = roster_fields(user) | {"phone_changed": phone_changed, "alerts_withdrawn": withdrawn}
    return record_roster_event(session, user, RosterEventKind.UPDATED, actor, now, before, after)


def _primero_user(session: Session, name: str | None, *, user_id: int | None) -> str | None:
    """``name`` as a Primero user name (empty: none), refused when another account has it."""
    name = (name or "").strip()
    if not name:
        return None
    if len(name) > MAX_USERNAME or any(c.isspace() for c in name):
        raise InvalidUser(f"a Primero user name has 1 to {MAX_USERNAME} characters and no spaces")
    holder = session.scalar(select(User.id).where(User.primero_user == name))
    if holder is not None and holder != user_id:
        raise DuplicateUser(f"another account has the Primero user {name!r}")
    return name


def deactivate_user(
    session: Session, user: User, *, now: datetime, actor: str | User
) -> RosterEvent:
    """Take ``user`` off the roster at once (a lost phone, someone leaving): no more alerts,
    no on-call, and their SMS commands are refused. Their history stays."""
    _check(actor, Action.MANAGE_USERS)
    if not user.active:
        raise InvalidUser(f"user {user.username!r} is already deactivated")
    before = roster_fields(user)
    user.active = False
    user.on_call = False
    after = roster_fields(user) | {
        "alerts_withdrawn": _withdraw_staff_messages(session, user.phone_hash, now)
    }
    return record_roster_event(
        session, user, RosterEventKind.DEACTIVATED, actor, now, before, after
    )


# What the roster sends a user; withdrawn with their phone. Replies to their own commands go.
STAFF_PURPOSES = (MessagePurpose.ALERT, MessagePurpose.REMINDER)
WITHDRAWN = "recipient's phone withdrawn from the roster"


def _withdraw_staff_messages(session: Session, phone_hash: str | None, now: datetime) -> int:
    """Fail the alerts and reminders still waiting for ``phone_hash`` (a lost phone must not
    receive them after all); one a send job has claimed is already on its way and is left to
    it. Their send jobs then find them failed and send nothing. How many were withdrawn."""
    if phone_hash is None:
        return 0
    waiting = session.scalars(
        select(Message.public_id).where(
            Message.phone_hash == phone_hash,
            Message.direction == Direction.OUTBOUND,
            Message.status == MessageStatus.QUEUED,
            Message.provider_id.is_(None),
            Message.claimed_at.is_(None),
            Message.purpose.in_(STAFF_PURPOSES),
        )
    ).all()
    for public_id in waiting:
        apply_status(
            session,
            provider="kinga",
            public_id=public_id,
            status=MessageStatus.FAILED.value,
            error_code=WITHDRAWN,
            at=now,
        )
    return len(waiting)


def set_on_call(
    session: Session,
    user: User,
    *,
    now: datetime,
    actor: str | User,
    on_call: bool | None = None,
    windows: Sequence[Slot] | None = None,
) -> RosterEvent | None:
    """Set the on-call flag and/or replace the weekly windows; None when nothing changes."""
    _check(actor, Action.MANAGE_ROSTER)
    if not user.active:
        raise InvalidUser(f"user {user.username!r} is deactivated")
    current = sorted(Slot(w.weekday, w.starts, w.ends) for w in user.on_call_windows)
    new_windows = current if windows is None else sorted(set(windows))
    new_flag = user.on_call if on_call is None else on_call
    if new_flag == user.on_call and new_windows == current:
        return None
    before = roster_fields(user)
    user.on_call = new_flag
    if new_windows != current:
        user.on_call_windows = [
            OnCallWindow(weekday=slot.weekday, starts=slot.starts, ends=slot.ends)
            for slot in new_windows
        ]
    session.flush()
    after = roster_fields(user)
    return record_roster_event(
        session, user, RosterEventKind.ON_CALL_CHANGED, actor, now, before, after
    )
