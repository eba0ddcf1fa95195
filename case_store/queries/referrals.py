"""Referrals: found by the code a provider quotes, and the ones whose answer is late.

The per-minute sweep reads only referrals still waiting (``ix_referral_waiting``: pending and
not yet reported unanswered), oldest first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.enums import ReferralStatus, Service
from case_store.models import Referral, ServiceProvider


def find_referral_by_code(session: Session, code: str) -> Referral | None:
    """The referral with ``code`` (any case), or None."""
    return session.scalars(
        select(Referral).where(Referral.code == code.strip().upper())
    ).one_or_none()


def waiting_referral(session: Session, case_id: int, service: Service) -> Referral | None:
    """A referral of the case for ``service`` still waiting for its answer, its caseworker not
    yet told it is late; None when a new referral may go out."""
    return session.scalars(
        select(Referral)
        .where(
            Referral.case_id == case_id,
            Referral.service == service,
            Referral.status == ReferralStatus.PENDING,
            Referral.unanswered_at.is_(None),
        )
        .order_by(Referral.id)
        .limit(1)
    ).one_or_none()


def due_for_reminder(session: Session, *, sent_before: datetime, limit: int) -> list[int]:
    """Ids of waiting referrals sent before ``sent_before``, not reminded yet, whose provider is
    still active (a deactivated provider is not chased), oldest first."""
    return list(
        session.scalars(
            select(Referral.id)
            .join(ServiceProvider, Referral.service_provider_id == ServiceProvider.id)
            .where(
                Referral.status == ReferralStatus.PENDING,
                Referral.unanswered_at.is_(None),
                Referral.reminded_at.is_(None),
                Referral.created_at <= as_utc(sent_before, "sent_before"),
                ServiceProvider.active.is_(True),
            )
            .order_by(Referral.created_at, Referral.id)
            .limit(limit)
        )
    )


def due_for_caseworker(session: Session, *, sent_before: datetime, limit: int) -> list[int]:
    """Ids of waiting referrals sent before ``sent_before``: their caseworker is to be told
    there was no answer, oldest first."""
    return list(
        session.scalars(
            select(Referral.id)
            .where(
                Referral.status == ReferralStatus.PENDING,
                Referral.unanswered_at.is_(None),
                Referral.created_at <= as_utc(sent_before, "sent_before"),
            )
            .order_by(Referral.created_at, Referral.id)
            .limit(limit)
        )
    )
