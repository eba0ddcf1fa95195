"""Console accounts in the case store: passwords, the sign-in rule, lock-outs, and what a
staff actor may change on the roster."""

from __future__ import annotations

from datetime import timedelta

import pytest
from case_store_factories import NOW, add_user, row_counts
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import RosterEventKind
from case_store.models import RosterEvent, User
from case_store.operations import (
    PermissionDenied,
    create_user,
    set_on_call,
    set_password,
    sign_in,
    sign_out,
    unlock,
)
from case_store.operations.accounts import SignInOutcome
from case_store.passwords import (
    LOCK_DURATION,
    MAX_FAILED_LOGINS,
    InvalidPassword,
    hash_password,
    verify_password,
)

PASSWORD = "correct horse battery"
HERE = "192.0.2.7"


def events(session: Session, user: User) -> list[tuple[str, dict]]:
    rows = session.scalars(
        select(RosterEvent).where(RosterEvent.user_id == user.id).order_by(RosterEvent.id)
    )
    return [(row.kind.value, row.data["after"]) for row in rows]


@pytest.fixture
def amina(session: Session) -> User:
    user = add_user(session, "hotline_agent", username="amina")
    set_password(session, user, PASSWORD, now=NOW, actor="admin_cli")
    return user


def test_passwords_are_argon2id_hashes_never_the_password(amina: User):
    assert amina.password_hash.startswith("$argon2id$")
    assert PASSWORD not in amina.password_hash
    assert verify_password(amina.password_hash, PASSWORD)
    assert not verify_password(amina.password_hash, PASSWORD.upper())
    assert not verify_password(None, PASSWORD)
    assert not verify_password("not a hash", PASSWORD)


@pytest.mark.parametrize("password", ["short", "x" * 129, "AMINA", " amina "])
def test_a_password_the_rules_refuse_changes_nothing(session: Session, password: str):
    user = add_user(session, "hotline_agent", username="amina")
    before = row_counts(session)
    with pytest.raises(InvalidPassword) as refused:
        set_password(session, user, password, now=NOW, actor="admin_cli")
    assert password not in str(refused.value)
    assert user.password_hash is None and row_counts(session) == before


def test_a_right_password_signs_in_and_is_audited_with_the_address(session, amina):
    result = sign_in(session, amina, PASSWORD, now=NOW, address=HERE)

    assert result.outcome is SignInOutcome.SIGNED_IN
    assert amina.last_login_at == NOW
    kind, after = events(session, amina)[-1]
    assert kind == "logged_in" and after["address"] == HERE
    assert PASSWORD not in str(events(session, amina))


def test_wrong_passwords_in_a_row_lock_the_account_for_a_while(session, amina):
    answers = [
        sign_in(session, amina, "wrong", now=NOW + timedelta(seconds=n), address=HERE)
        for n in range(MAX_FAILED_LOGINS)
    ]
    assert [a.outcome for a in answers] == [SignInOutcome.REFUSED] * (MAX_FAILED_LOGINS - 1) + [
        SignInOutcome.LOCKED
    ]
    locked_at = NOW + timedelta(seconds=MAX_FAILED_LOGINS - 1)
    assert amina.locked_until == locked_at + LOCK_DURATION

    during = sign_in(session, amina, PASSWORD, now=locked_at + LOCK_DURATION / 2, address=HERE)
    after = sign_in(session, amina, PASSWORD, now=locked_at + LOCK_DURATION, address=HERE)

    assert during.outcome is SignInOutcome.LOCKED
    assert after.outcome is SignInOutcome.SIGNED_IN
    assert [kind for kind, _ in events(session, amina)][1:] == [
        *["login_failed"] * MAX_FAILED_LOGINS,
        "locked",
        "login_failed",
        "logged_in",
    ]


def test_a_right_password_clears_the_count(session, amina):
    for _ in range(MAX_FAILED_LOGINS - 1):
        sign_in(session, amina, "wrong", now=NOW, address=HERE)
    sign_in(session, amina, PASSWORD, now=NOW, address=HERE)
    assert amina.failed_logins == 0
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert sign_in(session, amina, "wrong", now=NOW, address=HERE).outcome is (
            SignInOutcome.REFUSED
        )


def test_no_account_a_deactivated_one_or_one_without_password_cannot_sign_in(session, amina):
    no_password = add_user(session, "caseworker")
    amina.active = False

    assert sign_in(session, None, PASSWORD, now=NOW, address=HERE).outcome is SignInOutcome.REFUSED
    for user in (amina, no_password):
        assert sign_in(session, user, PASSWORD, now=NOW, address=HERE).outcome is (
            SignInOutcome.REFUSED
        )
        assert events(session, user)[-1][1]["reason"] == "no_access"


def test_an_administrator_unlocks_and_a_new_password_unlocks(session, amina):
    admin = add_user(session, "admin")
    for _ in range(MAX_FAILED_LOGINS):
        sign_in(session, amina, "wrong", now=NOW, address=HERE)

    assert unlock(session, amina, now=NOW, actor=admin) is not None
    assert unlock(session, amina, now=NOW, actor=admin) is None  # not locked any more
    for _ in range(MAX_FAILED_LOGINS):
        sign_in(session, amina, "wrong", now=NOW, address=HERE)
    set_password(session, amina, "another good one", now=NOW, actor=admin)
    assert amina.locked_until is None
    unlocked = session.scalars(
        select(RosterEvent).where(RosterEvent.kind == RosterEventKind.UNLOCKED)
    ).one()
    assert (unlocked.actor, unlocked.actor_user_id) == ("user", admin.id)


@pytest.mark.parametrize("role", ["hotline_agent", "caseworker", "supervisor"])
def test_only_an_administrator_manages_accounts(session, vault: Vault, amina, role):
    someone = add_user(session, role)
    before = row_counts(session)
    with pytest.raises(PermissionDenied):
        create_user(session, vault, username="x", role="admin", phone=None, now=NOW, actor=someone)
    with pytest.raises(PermissionDenied):
        set_password(session, amina, "another good one", now=NOW, actor=someone)
    with pytest.raises(PermissionDenied):
        unlock(session, amina, now=NOW, actor=someone)
    assert row_counts(session) == before


def test_supervisors_and_administrators_set_the_roster(session):
    caseworker = add_user(session, "caseworker", on_call=False)
    for role, on_call in (("supervisor", True), ("admin", False)):
        actor = add_user(session, role)
        assert set_on_call(session, caseworker, now=NOW, actor=actor, on_call=on_call)
    for role in ("hotline_agent", "caseworker"):
        with pytest.raises(PermissionDenied):
            set_on_call(session, caseworker, now=NOW, actor=add_user(session, role), on_call=True)


def test_sign_out_is_on_the_trail(session, amina):
    sign_out(session, amina, now=NOW, address=HERE)
    assert events(session, amina)[-1] == ("logged_out", {"address": HERE})


def test_an_outdated_hash_is_replaced_at_sign_in(session, amina):
    from argon2 import PasswordHasher

    amina.password_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    old = amina.password_hash
    assert sign_in(session, amina, PASSWORD, now=NOW, address=HERE).outcome is (
        SignInOutcome.SIGNED_IN
    )
    assert amina.password_hash != old and verify_password(amina.password_hash, PASSWORD)
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # salted
