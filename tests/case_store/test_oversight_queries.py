"""The supervisor's lists and the daily counts, on real rows: what each holds, in which order,
kept to the areas asked; each read served by an index."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from case_store_factories import NOW, add_user, answers, build_report
from sqlalchemy import event
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import CaseStatus, Category, Channel, ClosureReason, Disposition, RiskLevel
from case_store.models import Case
from case_store.operations import (
    acknowledge,
    assign,
    close,
    open_case,
    record_contact,
    record_first_contact,
)
from case_store.queries.daily_counts import (
    CountKey,
    DailyCount,
    InvalidRange,
    daily_counts,
    day_starts,
)
from case_store.queries.oversight import (
    escalated_cases,
    overdue_cases,
    unacknowledged_cases,
    workloads,
)

NAIROBI_TIME = ZoneInfo("Africa/Nairobi")
MOMBASA, NAIROBI = "001", "047"


def _case(session: Session, vault: Vault, *, at: datetime = NOW, **changes: str) -> Case:
    report = build_report(answers=answers(**changes), started_at=at)
    return open_case(session, vault, report, now=at)


def test_overdue_cases_longest_overdue_first_in_the_areas_asked(session, vault):
    supervisor = add_user(session, "supervisor")
    worker = add_user(session, "caseworker")
    immediate = _case(session, vault, danger="yes", area=MOMBASA)  # assign by NOW + 15 min
    routine = _case(session, vault, category="other", area=NAIROBI)  # assign by NOW + 3 h
    uncontacted = _case(session, vault, danger="yes", area=MOMBASA)
    assign(session, uncontacted, worker, actor=supervisor, now=NOW)  # first contact by + 1 h
    reached = _case(session, vault, danger="yes", area=MOMBASA)
    assign(session, reached, worker, actor=supervisor, now=NOW)
    record_first_contact(session, reached, actor=worker, now=NOW + timedelta(minutes=5))
    closed = _case(session, vault, danger="yes", area=MOMBASA)
    close(session, closed, ClosureReason.DUPLICATE, actor=supervisor, now=NOW)

    assert overdue_cases(session, now=NOW + timedelta(minutes=10)) == []
    later = NOW + timedelta(hours=4)
    assert uncontacted.first_contact_by < routine.assign_by
    assert overdue_cases(session, now=later) == [immediate, uncontacted, routine]
    assert overdue_cases(session, now=later, location_codes=[MOMBASA]) == [immediate, uncontacted]
    assert overdue_cases(session, now=later, limit=1) == [immediate]


def test_unacknowledged_cases_leave_out_the_overdue_and_the_acknowledged(session, vault):
    supervisor = add_user(session, "supervisor")
    worker = add_user(session, "caseworker")
    routine = _case(session, vault, category="other", area=NAIROBI)
    immediate = _case(session, vault, danger="yes", area=MOMBASA)
    held = _case(session, vault, category="other", area=MOMBASA)
    assign(session, held, worker, actor=supervisor, now=NOW)
    seen = _case(session, vault, danger="yes", area=MOMBASA)
    assign(session, seen, worker, actor=supervisor, now=NOW)
    acknowledge(session, seen, actor=worker, now=NOW)

    soon = NOW + timedelta(minutes=5)
    assert unacknowledged_cases(session, now=soon) == [immediate, routine, held]
    assert unacknowledged_cases(session, now=soon, location_codes=[MOMBASA]) == [immediate, held]
    # Once overdue, the immediate case is the overdue list's.
    assert unacknowledged_cases(session, now=NOW + timedelta(minutes=20)) == [routine, held]


def test_escalated_cases_highest_level_first(session, vault):
    low = _case(session, vault, category="other", area=NAIROBI)
    immediate = _case(session, vault, danger="yes", area=MOMBASA)
    high = _case(session, vault, category="sexual_abuse", area=MOMBASA)
    _case(session, vault, danger="yes", area=MOMBASA)  # open, not escalated
    for case in (low, immediate, high):
        case.status = CaseStatus.ESCALATED  # as the deadline sweep's escalation leaves it
    session.flush()

    assert [c.risk_level for c in (low, immediate, high)] == [
        RiskLevel.LOW,
        RiskLevel.IMMEDIATE,
        RiskLevel.HIGH,
    ]
    assert escalated_cases(session) == [immediate, high, low]
    assert escalated_cases(session, location_codes=[NAIROBI]) == [low]


def test_workloads_count_open_and_overdue_cases_per_caseworker(session, vault):
    add_user(session, "supervisor", username="zawadi", areas=[MOMBASA])
    supervisor = add_user(session, "admin", username="admin")
    busy = add_user(session, "caseworker", username="baraka")  # every area
    late = add_user(session, "caseworker", username="amani", areas=[NAIROBI])
    add_user(session, "caseworker", username="chausiku", areas=[MOMBASA])
    add_user(session, "caseworker", username="gone", areas=[MOMBASA], active=False)
    add_user(session, "hotline_agent", username="agent")
    for area in (MOMBASA, MOMBASA, NAIROBI):
        assign(session, _case(session, vault, area=area), busy, actor=supervisor, now=NOW)
    overdue = _case(session, vault, danger="yes", area=NAIROBI)
    assign(session, overdue, late, actor=supervisor, now=NOW)
    done = _case(session, vault, area=NAIROBI)
    assign(session, done, late, actor=supervisor, now=NOW)
    close(session, done, ClosureReason.RESOLVED, actor=supervisor, now=NOW)

    later = NOW + timedelta(hours=2)  # the immediate case's first contact was due in an hour
    rows = [(w.user.username, w.open_cases, w.overdue) for w in workloads(session, now=later)]
    assert rows == [
        ("amani", 1, 1),
        ("baraka", 3, 0),
        ("chausiku", 0, 0),
        ("zawadi", 0, 0),
    ]
    mombasa = workloads(session, now=later, location_codes=[MOMBASA])
    assert [(w.user.username, w.open_cases, w.overdue) for w in mombasa] == [
        ("baraka", 2, 0),
        ("chausiku", 0, 0),
        ("zawadi", 0, 0),
    ]


def _contact(session: Session, vault: Vault, at: datetime, channel: Channel, **kwargs: Any) -> None:
    record_contact(
        session,
        vault,
        channel=channel,
        provider="console",
        external_id=f"call-{at.isoformat()}-{kwargs.get('disposition')}",
        started_at=at,
        now=at,
        language="en",
        **kwargs,
    )


def test_daily_counts_split_at_local_midnight(session, vault):
    # 23:30 and 00:30 in Nairobi (UTC+3): two local days, one UTC day.
    before_midnight = datetime(2026, 3, 1, 20, 30, tzinfo=UTC)
    after_midnight = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)
    first = _case(session, vault, at=before_midnight, category="neglect", area=NAIROBI)
    _case(session, vault, at=after_midnight, category="neglect", area=NAIROBI)
    _case(session, vault, at=after_midnight, danger="yes", category="other", area=MOMBASA)
    _contact(session, vault, after_midnight, Channel.VOICE, disposition=Disposition.SILENT)
    _contact(
        session,
        vault,
        after_midnight,
        Channel.VOICE,
        disposition=Disposition.CASE_UPDATED,
        case=first,
    )
    _case(session, vault, at=datetime(2026, 3, 3, 21, 0, tzinfo=UTC), area=NAIROBI)  # 4 March

    counts = daily_counts(
        session, first=date(2026, 3, 1), last=date(2026, 3, 2), time_zone=NAIROBI_TIME
    )

    neglect, level = Category.NEGLECT, first.risk_level
    assert counts == [
        DailyCount(CountKey(date(2026, 3, 1), Channel.USSD, neglect, level, NAIROBI), 1, 1),
        DailyCount(CountKey(date(2026, 3, 2), Channel.USSD, neglect, level, NAIROBI), 1, 1),
        DailyCount(
            CountKey(date(2026, 3, 2), Channel.USSD, Category.OTHER, RiskLevel.IMMEDIATE, MOMBASA),
            1,
            1,
        ),
        DailyCount(
            CountKey(date(2026, 3, 2), Channel.VOICE, None, None, None, Disposition.SILENT), 1, 0
        ),
        # A call about the 1 March case counts on the day of the call, under its case.
        DailyCount(CountKey(date(2026, 3, 2), Channel.VOICE, neglect, level, NAIROBI), 1, 0),
    ]
    mombasa = daily_counts(
        session,
        first=date(2026, 3, 1),
        last=date(2026, 3, 2),
        time_zone=NAIROBI_TIME,
        location_codes=[MOMBASA],
    )
    assert [(c.key.area, c.contacts, c.cases) for c in mombasa] == [(MOMBASA, 1, 1)]


def test_contacts_that_opened_no_case_count_by_day_under_their_disposition(session, vault):
    """Counselling contacts (about a case) by the case's category; non-counselling ones (no
    case) by their disposition, each on its local day and channel."""
    first_day = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)  # 09:00 in Nairobi
    second_day = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)  # 00:30 on 2 March
    opened = _case(session, vault, at=first_day, category="neglect", area=NAIROBI)
    for minutes, disposition in (
        (1, Disposition.SILENT),
        (2, Disposition.SILENT),
        (3, Disposition.INFORMATION),
        (4, Disposition.PRANK),
    ):
        _contact(
            session,
            vault,
            first_day + timedelta(minutes=minutes),
            Channel.VOICE,
            disposition=disposition,
        )
    for minutes, disposition in (
        (1, Disposition.SILENT),
        (2, Disposition.REFERRED_ELSEWHERE),
        (3, Disposition.INFORMATION),
    ):
        _contact(
            session,
            vault,
            second_day + timedelta(minutes=minutes),
            Channel.VOICE,
            disposition=disposition,
        )
    _contact(session, vault, second_day, Channel.USSD, disposition=Disposition.DROPPED)
    _contact(
        session,
        vault,
        second_day + timedelta(minutes=9),
        Channel.VOICE,
        disposition=Disposition.CASE_UPDATED,
        case=opened,
    )

    counts = daily_counts(
        session, first=date(2026, 3, 1), last=date(2026, 3, 2), time_zone=NAIROBI_TIME
    )

    day1, day2, level = date(2026, 3, 1), date(2026, 3, 2), opened.risk_level

    def none_opened(day: date, channel: Channel, disposition: Disposition, n: int) -> DailyCount:
        return DailyCount(CountKey(day, channel, None, None, None, disposition), n, 0)

    assert counts == [
        DailyCount(CountKey(day1, Channel.USSD, Category.NEGLECT, level, NAIROBI), 1, 1),
        none_opened(day1, Channel.VOICE, Disposition.INFORMATION, 1),
        none_opened(day1, Channel.VOICE, Disposition.SILENT, 2),
        none_opened(day1, Channel.VOICE, Disposition.PRANK, 1),
        none_opened(day2, Channel.USSD, Disposition.DROPPED, 1),
        none_opened(day2, Channel.VOICE, Disposition.INFORMATION, 1),
        none_opened(day2, Channel.VOICE, Disposition.REFERRED_ELSEWHERE, 1),
        none_opened(day2, Channel.VOICE, Disposition.SILENT, 1),
        DailyCount(CountKey(day2, Channel.VOICE, Category.NEGLECT, level, NAIROBI), 1, 0),
    ]
    assert [count.key.counselling for count in counts] == [True] + [False] * 7 + [True]
    # Kept to areas, a contact about no case is in none of them.
    assert (
        daily_counts(
            session,
            first=date(2026, 3, 1),
            last=date(2026, 3, 2),
            time_zone=NAIROBI_TIME,
            location_codes=[MOMBASA],
        )
        == []
    )


def test_day_starts_follow_a_clock_change_and_refuse_bad_ranges():
    london = ZoneInfo("Europe/London")
    starts = day_starts(date(2026, 3, 28), date(2026, 3, 29), london)
    assert [s.isoformat() for s in starts] == [
        "2026-03-28T00:00:00+00:00",
        "2026-03-29T00:00:00+00:00",
        "2026-03-29T23:00:00+00:00",  # the 29th lasted 23 hours
    ]
    with pytest.raises(InvalidRange):
        day_starts(date(2026, 3, 2), date(2026, 3, 1), london)
    with pytest.raises(InvalidRange):
        day_starts(date(2025, 1, 1), date(2026, 1, 2), london)


@pytest.fixture
def statements(session: Session) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement the session runs, with its parameters."""
    seen: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def record(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_each_read_is_served_by_an_index(session, vault, statements):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("the plan is read with SQLite's EXPLAIN QUERY PLAN")
    _case(session, vault)
    session.flush()
    # Without statistics SQLite may take the unassigned cases by ix_case_assigned_to_id (IS
    # NULL) rather than the partial ix_case_unassigned_assign_by, and the escalated ones by
    # any index that starts with the status: an index either way.
    reads = {
        "ix_case_uncontacted_first_contact_by": lambda: overdue_cases(session, now=NOW),
        "ix_case_unacknowledged_assign_by": lambda: unacknowledged_cases(session, now=NOW),
        "USING INDEX ix_case_status_": lambda: escalated_cases(session),
        "ix_case_assigned_to_id": lambda: workloads(session, now=NOW),
        "ix_contact_started_at": lambda: daily_counts(
            session, first=date(2026, 3, 1), last=date(2026, 3, 2), time_zone=NAIROBI_TIME
        ),
        "ix_case_created_at": lambda: daily_counts(
            session, first=date(2026, 3, 1), last=date(2026, 3, 2), time_zone=NAIROBI_TIME
        ),
    }
    for index, read in reads.items():
        statements.clear()
        read()
        driver = session.connection()
        plans = [
            " ".join(
                str(row[-1]) for row in driver.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
            )
            for sql, params in list(statements)
            if sql.lstrip().upper().startswith("SELECT")
        ]
        assert any(index in plan for plan in plans), (index, plans)
