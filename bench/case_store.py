"""Case store benchmark on PostgreSQL (issue 3; the bar is in docs/product.md, "Quality bars").

    .venv/bin/python bench/case_store.py [--cases 1000000] [--url postgresql+psycopg://…/kinga_bench]

1. Creates (drops first) its own database, ``kinga_bench`` by default on the server of
   ``KINGA_DATABASE_URL`` (else 127.0.0.1:5432), so it never touches the test database, and
   migrates it to head.
2. Bulk-inserts the cases with ``COPY`` (all active: the SLA sweep target is over 1,000,000
   open cases), spread over the 47 example counties, levels and creation times over 30 days;
   5 % assigned. Then ``ANALYZE``.
3. Times, through the case store's own query functions: a reference lookup
   (``find_case_by_reference``, 500 random references, each read twice: the first read may
   come from disk, the second from PostgreSQL's cache), the overdue sweep
   (``overdue_for_assignment``, first 500 and a full count), the console's overdue filter
   (``list_cases(overdue_at=…)``) and open cases by area (``open_cases``), and prints each
   query's ``EXPLAIN (ANALYZE, BUFFERS)`` plan lines naming the indexes used.

Targets: lookup ≤ 5 ms, overdue ≤ 2 s. Prints figures; asserts nothing. No personal data is
generated: free-text columns stay empty.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Select, create_engine, func, make_url, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from case_store import migrate  # noqa: E402
from case_store.db import make_engine, make_sessionmaker  # noqa: E402
from case_store.enums import RiskLevel  # noqa: E402
from case_store.models import Case  # noqa: E402
from case_store.queries.cases import (  # noqa: E402
    ACTIVE_STATUSES,
    find_case_by_reference,
    list_cases,
    open_cases,
    overdue_for_assignment,
)
from case_store.references import damm_digit  # noqa: E402
from case_store.triage import TriagePolicy  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "kinga_bench"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CATEGORIES = [c.value for c in TriagePolicy.default().category_levels]
AREAS = [f"{n:03d}" for n in range(1, 48)]
COPY_COLUMNS = (
    "reference",
    "status",
    "risk_level",
    "immediate_danger",
    "category",
    "child_age_band",
    "child_sex",
    "location_code",
    "reporter_relationship",
    "callback_consent",
    "assign_by",
    "first_contact_by",
    "created_at",
    "answers",
    "assigned_to_id",
    "assigned_at",
)


def bench_url(explicit: str | None) -> str:
    if explicit:
        return explicit
    base = os.environ.get("KINGA_DATABASE_URL", DEFAULT_SERVER)
    if not base.startswith("postgresql"):
        base = DEFAULT_SERVER
    return make_url(base).set(database=BENCH_DB).render_as_string(hide_password=False)


def recreate(url: str) -> None:
    target = make_url(url)
    if target.database in (None, "", "test", "postgres"):
        raise SystemExit(f"refusing to drop database {target.database!r}")
    server = create_engine(
        target.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()


def references(count: int, rng: random.Random) -> list[str]:
    bodies = rng.sample(range(10**8), count)
    return [f"{b:08d}" + damm_digit(f"{b:08d}") for b in bodies]


def insert_cases(engine: Engine, count: int, rng: random.Random) -> float:
    policy = TriagePolicy.default()
    started = time.perf_counter()
    refs = references(count, rng)
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        with conn.cursor() as cursor:
            cursor.execute(
                "INSERT INTO staff_user (username, role, areas, languages, on_call, active, "
                "created_at) VALUES ('bench', 'caseworker', '[]', '[]', false, true, now()) "
                "RETURNING id"
            )
            worker_id = cursor.fetchone()[0]
            columns = ", ".join(COPY_COLUMNS)
            with cursor.copy(f'COPY "case" ({columns}) FROM STDIN') as copy:
                for n, reference in enumerate(refs):
                    category = CATEGORIES[n % len(CATEGORIES)]
                    danger = rng.random() < 0.03
                    level = RiskLevel.IMMEDIATE if danger else policy.category_levels[category]
                    deadlines = policy.deadlines[level]
                    created = NOW - timedelta(seconds=rng.randrange(30 * 24 * 3600))
                    assigned = rng.random() < 0.05
                    copy.write_row(
                        (
                            reference,
                            ACTIVE_STATUSES[n % 3].value,
                            level.value,
                            danger,
                            category,
                            "unknown",
                            "unknown",
                            AREAS[rng.randrange(len(AREAS))],
                            "community",
                            False,
                            created + deadlines.assign_within,
                            created + deadlines.first_contact_within,
                            created,
                            json.dumps({"category": category}),
                            worker_id if assigned else None,
                            created if assigned else None,
                        )
                    )
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(text('ANALYZE "case"'))
    return time.perf_counter() - started


def plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def explain(engine: Engine, statement: Select[Any]) -> list[str]:
    compiled = statement.compile(
        dialect=engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = {key: plain(value) for key, value in compiled.params.items()}
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", params).all()
    return [row[0] for row in rows]


def index_lines(plan: list[str]) -> list[str]:
    keys = ("Index", "Seq Scan", "Bitmap", "Sort", "Limit", "Execution Time", "Merge Append")
    return [line.strip() for line in plan if any(k in line for k in keys)]


def timed(function: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    result, durations = None, []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        durations.append((time.perf_counter() - started) * 1000)
    return durations, result


def describe(name: str, durations: list[float], target_ms: float | None = None) -> None:
    median = statistics.median(durations)
    worst = max(durations)
    p99 = sorted(durations)[max(0, int(len(durations) * 0.99) - 1)]
    verdict = ""
    if target_ms is not None:
        verdict = "  OK" if p99 <= target_ms else f"  OVER the {target_ms:g} ms target"
    print(
        f"{name:<44} median {median:9.2f} ms  p99 {p99:9.2f} ms  max {worst:9.2f} ms"
        f"  (n={len(durations)}){verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--url", default=None, help="PostgreSQL URL of the bench database")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    url = bench_url(args.url)
    print(f"database: {make_url(url).render_as_string(hide_password=True)}")

    recreate(url)
    migrate.upgrade(url)
    engine = make_engine(url)
    seconds = insert_cases(engine, args.cases, rng)
    print(
        f"inserted {args.cases:,} cases with COPY in {seconds:.1f} s "
        f"({args.cases / seconds:,.0f} rows/s), then ANALYZE"
    )

    sessions = make_sessionmaker(engine)
    with sessions() as session:
        sample = list(session.scalars(select(Case.reference).order_by(func.random()).limit(500)))
        open_count = session.scalar(
            select(func.count()).select_from(Case).where(Case.status.in_(ACTIVE_STATUSES))
        )
    print(f"active cases: {open_count:,}")
    print()

    with sessions() as session:
        lookups = iter(sample * 2)
        find_case_by_reference(session, sample[0])  # open the connection
        for label in ("first read", "read again"):
            durations, _ = timed(
                lambda: find_case_by_reference(session, next(lookups)), len(sample)
            )
            describe(f"reference lookup, {label} (find_case_by_reference)", durations, 5)
            session.expunge_all()

        durations, found = timed(lambda: overdue_for_assignment(session, now=NOW), 5)
        describe(f"overdue sweep, first {len(found)} (overdue_for_assignment)", durations, 2000)
        session.expunge_all()

        overdue_count = (
            select(func.count())
            .select_from(Case)
            .where(
                Case.status.in_(ACTIVE_STATUSES),
                Case.assign_by < NOW,
                Case.assigned_to_id.is_(None),
            )
        )
        durations, total = timed(lambda: session.scalar(overdue_count), 5)
        describe(f"overdue sweep, full count ({total:,} cases)", durations, 2000)

        durations, found = timed(lambda: list_cases(session, overdue_at=NOW), 5)
        describe(f"console overdue filter, first {len(found)} (list_cases)", durations, 2000)
        session.expunge_all()

        durations, found = timed(lambda: open_cases(session, location_codes=["047"]), 5)
        describe(f"open cases in one area, first {len(found)} (open_cases)", durations)
        session.expunge_all()

        durations, found = timed(
            lambda: open_cases(
                session, location_codes=["047"], levels=[RiskLevel.IMMEDIATE, RiskLevel.HIGH]
            ),
            5,
        )
        describe(f"open high+ cases in one area, first {len(found)}", durations)
        session.expunge_all()

    plans: dict[str, Select[Any]] = {
        "reference lookup": select(Case).where(Case.reference == sample[0]),
        "overdue sweep (first 500)": select(Case)
        .where(
            Case.status.in_(ACTIVE_STATUSES),
            Case.assign_by < NOW,
            Case.assigned_to_id.is_(None),
        )
        .order_by(Case.assign_by, Case.id)
        .limit(500),
        "overdue sweep (full count)": overdue_count,
        "open cases by area": select(Case)
        .where(Case.status.in_(ACTIVE_STATUSES), Case.location_code.in_(["047"]))
        .order_by(Case.assign_by, Case.id)
        .limit(500),
    }
    for name, statement in plans.items():
        print()
        print(f"plan: {name}")
        for line in index_lines(explain(engine, statement)):
            print(f"    {line}")
    engine.dispose()
    print()
    print(f"left database {BENCH_DB!r} in place; drop it with DROP DATABASE {BENCH_DB}")


if __name__ == "__main__":
    main()
