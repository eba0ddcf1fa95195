"""Key rotation: re-encrypt every encrypted column under the current key, resumably.

``KINGA_ENCRYPTION_KEYS`` lists the new key first and keeps the old ones, so every row stays
readable throughout (MultiFernet decrypts with any key). The caller runs ``rotate_batch`` in a
loop and commits after each batch: the run's progress (table and last id done) is written in
the same transaction as the rows, so an interrupted run resumes where it stopped. A row changed
by the application meanwhile is left alone (the update compares the old ciphertext), since the
application only ever writes under the current key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import Table, and_, select, update
from sqlalchemy.orm import Session

from case_store.base import Base
from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import MaintenanceKind
from case_store.models import MaintenanceRun

# Every encrypted column, by table, in the order a run visits them.
ENCRYPTED_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "reporter": ("phone_encrypted",),
        "staff_user": ("phone_encrypted",),
        "service_provider": ("phone_encrypted",),
        "case": ("place_encrypted", "narrative_encrypted"),
        "note": ("body_encrypted",),
        "message": ("phone_encrypted", "body_encrypted"),
    }
)
DEFAULT_BATCH = 500


def current_rotation(session: Session) -> MaintenanceRun | None:
    """The unfinished rotation run, if one was interrupted."""
    return session.scalars(
        select(MaintenanceRun)
        .where(
            MaintenanceRun.kind == MaintenanceKind.KEY_ROTATION,
            MaintenanceRun.finished_at.is_(None),
        )
        .order_by(MaintenanceRun.id.desc())
        .limit(1)
    ).first()


def start_or_resume(session: Session, *, now: datetime) -> tuple[MaintenanceRun, bool]:
    """The interrupted run with ``True`` (resumed), or a new one with ``False``."""
    run = current_rotation(session)
    if run is not None:
        return run, True
    run = MaintenanceRun(
        kind=MaintenanceKind.KEY_ROTATION,
        started_at=as_utc(now, "now"),
        progress={"table": next(iter(ENCRYPTED_COLUMNS)), "after_id": 0},
        counts={table: 0 for table in ENCRYPTED_COLUMNS},
    )
    session.add(run)
    session.flush()
    return run, False


def rotate_batch(
    session: Session, vault: Vault, run: MaintenanceRun, *, now: datetime, size: int = DEFAULT_BATCH
) -> int:
    """Re-encrypt the next ``size`` rows of ``run``; returns how many rows were visited, 0 once
    the run is finished (and marked so). Never commits."""
    tables = list(ENCRYPTED_COLUMNS)
    name, after_id = str(run.progress["table"]), int(run.progress["after_id"])
    while True:
        table: Table = Base.metadata.tables[name]
        columns = [table.c[column] for column in ENCRYPTED_COLUMNS[name]]
        rows = session.execute(
            select(table.c.id, *columns)
            .where(table.c.id > after_id)
            .order_by(table.c.id)
            .limit(size)
        ).all()
        if rows:
            break
        position = tables.index(name)
        if position + 1 == len(tables):
            run.progress = {"table": name, "after_id": after_id, "done": True}
            run.finished_at = as_utc(now, "now")
            session.flush()
            return 0
        name, after_id = tables[position + 1], 0
    changed = 0
    for row in rows:
        for column in columns:
            token = row._mapping[column]
            if token is None:
                continue
            result = session.execute(
                update(table)
                .where(and_(table.c.id == row.id, column == token))
                .values({column.key: vault.rotate(token)})
            )
            changed += result.rowcount  # type: ignore[attr-defined]
    run.progress = {"table": name, "after_id": rows[-1].id}
    run.counts = {**run.counts, name: int(run.counts.get(name, 0)) + changed}
    session.flush()
    return len(rows)
