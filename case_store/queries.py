"""Read-only queries the rest of the system needs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.models import Case
from case_store.references import parse_reference


def find_case_by_reference(session: Session, reference: str) -> Case | None:
    """The case for ``reference`` (``482177305`` or ``482-177-305``), or None.

    A reference whose check digit fails is refused without touching the database.
    """
    digits = parse_reference(reference)
    if digits is None:
        return None
    return session.scalars(select(Case).where(Case.reference == digits)).one_or_none()
