"""Reads of API tokens: by secret (its hash), by id, and the lists shown to people."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from case_store.api_tokens import secret_hash, well_formed
from case_store.models import ApiToken, User


def find_token(session: Session, secret: str) -> ApiToken | None:
    """The token whose secret this is (usable or not), or None; a malformed secret is refused
    without touching the database."""
    if not well_formed(secret):
        return None
    return session.scalars(
        select(ApiToken)
        .where(ApiToken.secret_hash == secret_hash(secret))
        .options(joinedload(ApiToken.user))
    ).one_or_none()


def get_token(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def list_tokens(session: Session, user: User | None = None) -> list[ApiToken]:
    """Every token (of ``user`` when given), oldest first, with its holder."""
    query = select(ApiToken).options(joinedload(ApiToken.user)).order_by(ApiToken.id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query))
