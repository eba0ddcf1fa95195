"""API tokens in the case store: only the secret's hash is kept, making and revoking are on
the holder's trail, and only an account manager touches someone else's tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from case_store_factories import NOW, add_user, row_counts
from sqlalchemy import select

from case_store.api_tokens import usable, well_formed
from case_store.models import RosterEvent
from case_store.operations.api_tokens import InvalidToken, create_token, revoke_token
from case_store.permissions import PermissionDenied
from case_store.queries.api_tokens import find_token, list_tokens


def test_a_token_is_found_by_its_secret_and_keeps_only_its_hash(session):
    user = add_user(session, "caseworker")
    token, secret = create_token(session, user, name=" Primero  sync ", now=NOW, actor=user)
    assert well_formed(secret) and token.name == "Primero sync"
    assert secret not in token.secret_hash and len(token.secret_hash) == 64
    assert find_token(session, secret) is token
    assert find_token(session, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert find_token(session, "kinga_short") is None
    [event] = session.scalars(select(RosterEvent).where(RosterEvent.user_id == user.id))
    assert event.kind.value == "token_created"
    assert secret not in str(event.data) and token.secret_hash not in str(event.data)


@pytest.mark.parametrize(
    "changes",
    [{"name": ""}, {"name": "   "}, {"name": "x" * 65}, {"expires_at": NOW - timedelta(days=1)}],
)
def test_a_token_that_cannot_be_made_writes_nothing(session, changes):
    user = add_user(session, "caseworker")
    before = row_counts(session)
    with pytest.raises(InvalidToken):
        create_token(session, user, **({"name": "n"} | changes), now=NOW, actor=user)
    assert row_counts(session) == before


def test_a_deactivated_account_gets_no_token_and_its_tokens_stop(session):
    user = add_user(session, "caseworker")
    token, _secret = create_token(session, user, name="n", now=NOW, actor="admin_cli")
    assert usable(token, NOW)
    user.active = False
    assert not usable(token, NOW)
    with pytest.raises(InvalidToken):
        create_token(session, user, name="n", now=NOW, actor="admin_cli")


def test_expiry_and_revocation(session):
    user = add_user(session, "caseworker")
    later = NOW + timedelta(days=1)
    token, _secret = create_token(session, user, name="n", now=NOW, actor=user, expires_at=later)
    assert usable(token, NOW) and not usable(token, later)
    assert revoke_token(session, token, now=NOW, actor=user) is token
    assert not usable(token, NOW)
    assert revoke_token(session, token, now=NOW, actor=user) is None  # once
    assert list_tokens(session, user) == [token]


def test_only_an_account_manager_touches_someone_else_s_tokens(session):
    holder = add_user(session, "caseworker")
    supervisor = add_user(session, "supervisor")
    admin = add_user(session, "admin")
    token, _secret = create_token(session, holder, name="n", now=NOW, actor=holder)
    with pytest.raises(PermissionDenied):
        create_token(session, holder, name="n", now=NOW, actor=supervisor)
    with pytest.raises(PermissionDenied):
        revoke_token(session, token, now=NOW, actor=supervisor)
    assert token.revoked_at is None
    assert revoke_token(session, token, now=NOW, actor=admin) is token
