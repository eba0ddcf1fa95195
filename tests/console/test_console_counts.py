"""The daily counts: contacts and cases by local day (Africa/Nairobi, UTC+3, in the example
profile), by channel, category with its CHI category, level and area, and the contacts that
opened no case as CHI's non-counselling contacts by their disposition; as a page and as CSV;
kept to a supervisor's areas; numbers only."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from console_call_data import HIGH_CASE, MOMBASA, NAIROBI

from case_store.categories import CHI_CATEGORIES, NON_COUNSELLING
from case_store.enums import Channel, Disposition
from case_store.operations import open_case, record_contact
from case_store.report_contract import Report
from gateway.web.console.words import CHI_CATEGORIES as CHI_NAMES

# 23:30 on 1 March and 00:30 on 2 March in Nairobi: one UTC day, two local ones.
BEFORE_MIDNIGHT = datetime(2026, 3, 1, 20, 30, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)
NAIROBI_TIME = ZoneInfo("Africa/Nairobi")
RANGE = "first=2026-03-01&last=2026-03-02"
PHONE = "+254700000321"
_n = iter(range(1, 10**6))


def report(app, at: datetime, **answers: str) -> None:
    runtime = app.extensions["kinga"]
    with runtime.sessions.begin() as session:
        open_case(
            session,
            runtime.vault,
            Report(
                channel="ussd",
                provider="africastalking",
                external_id=f"ATUid_counts_{next(_n)}",
                phone=PHONE,
                language="en",
                answers={
                    "danger": "no",
                    "category": "neglect",
                    "age_band": "5_11",
                    "sex": "girl",
                    "place": "by the market",
                    "relationship": "community",
                    "narrative": "Left alone at night",
                    "callback": "no",
                }
                | answers,
                started_at=at,
            ),
            now=at,
        )


@pytest.fixture
def counted(app):
    report(app, BEFORE_MIDNIGHT, area=NAIROBI)
    report(app, AFTER_MIDNIGHT, area=NAIROBI)
    report(app, AFTER_MIDNIGHT, area=MOMBASA, category="sexual_abuse")
    report(app, AFTER_MIDNIGHT + timedelta(days=2), area=NAIROBI)  # 4 March: out of range
    runtime = app.extensions["kinga"]
    # Calls logged with no case: CHI's non-counselling contacts.
    with runtime.sessions.begin() as session:
        for name, disposition, at in (
            ("info-1", Disposition.INFORMATION, BEFORE_MIDNIGHT),
            ("silent-1", Disposition.SILENT, AFTER_MIDNIGHT),
            ("silent-2", Disposition.SILENT, AFTER_MIDNIGHT + timedelta(minutes=5)),
            ("prank-1", Disposition.PRANK, AFTER_MIDNIGHT + timedelta(minutes=10)),
            ("elsewhere-1", Disposition.REFERRED_ELSEWHERE, AFTER_MIDNIGHT + timedelta(hours=20)),
        ):
            record_contact(
                session,
                runtime.vault,
                channel=Channel.VOICE,
                provider="console",
                external_id=name,
                disposition=disposition,
                started_at=at,
                now=at,
            )


def signed_in(make_staff, console, role: str, **fields):
    make_staff("someone", role, **fields)
    browser = console()
    browser.sign_in("someone")
    return browser


def rows(page: str, name: str) -> list[list[str]]:
    section = re.search(rf'<section id="by-{name}">(.*?)</section>', page, re.S)
    assert section is not None, name
    return [
        re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", section.group(1), re.S)
    ][1:]


def test_counts_fall_on_the_local_day_they_came_in(make_staff, console, counted):
    browser = signed_in(make_staff, console, "admin")

    page = browser.get(f"/staff/counts?{RANGE}").get_data(as_text=True)

    assert rows(page, "day") == [["Mar 1, 2026", "2", "1"], ["Mar 2, 2026", "6", "2"]]
    assert rows(page, "channel") == [["USSD", "3", "3"], ["Phone call", "5", "0"]]
    non_counselling = "Non-counselling contacts"
    assert rows(page, "category") == [
        ["Sexual abuse", "Violence", "1", "1"],
        ["Neglect or abandonment", "Violence", "2", "2"],
        ["Information only", non_counselling, "1", "0"],
        ["Referred elsewhere, no case", non_counselling, "1", "0"],
        ["Silent call", non_counselling, "2", "0"],
        ["Prank call", non_counselling, "1", "0"],
    ]
    assert rows(page, "chi") == [["Violence", "3", "3"], [non_counselling, "5", "0"]]
    assert rows(page, "non-counselling") == [
        ["Mar 1, 2026", "Information only", "1"],
        ["Mar 2, 2026", "Referred elsewhere, no case", "1"],
        ["Mar 2, 2026", "Silent call", "2"],
        ["Mar 2, 2026", "Prank call", "1"],
    ]
    assert rows(page, "area") == [
        ["Mombasa", "1", "1"],
        ["Nairobi", "2", "2"],
        ["No case", "5", "0"],
    ]
    assert "8 contacts, 3 cases" in page
    assert PHONE not in page and "Left alone" not in page


def test_the_csv_has_one_line_per_day_channel_category_level_and_area(make_staff, console, counted):
    browser = signed_in(make_staff, console, "admin")

    answer = browser.get(f"/staff/counts/export.csv?{RANGE}")

    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == (
        'attachment; filename="kinga-counts-2026-03-01-2026-03-02.csv"'
    )
    assert list(csv.reader(io.StringIO(answer.get_data(as_text=True)))) == [
        [
            "day",
            "channel",
            "category",
            "disposition",
            "chi_category",
            "level",
            "area",
            "area_name",
            "contacts",
            "cases",
        ],
        ["2026-03-01", "ussd", "neglect", "", "violence", "low", NAIROBI, "Nairobi", "1", "1"],
        ["2026-03-01", "voice", "", "information", NON_COUNSELLING, "", "", "", "1", "0"],
        ["2026-03-02", "ussd", "neglect", "", "violence", "low", NAIROBI, "Nairobi", "1", "1"],
        [
            "2026-03-02",
            "ussd",
            "sexual_abuse",
            "",
            "violence",
            "high",
            MOMBASA,
            "Mombasa",
            "1",
            "1",
        ],
        ["2026-03-02", "voice", "", "referred_elsewhere", NON_COUNSELLING, "", "", "", "1", "0"],
        ["2026-03-02", "voice", "", "silent", NON_COUNSELLING, "", "", "", "2", "0"],
        ["2026-03-02", "voice", "", "prank", NON_COUNSELLING, "", "", "", "1", "0"],
    ]


def test_a_supervisor_counts_only_their_areas(make_staff, console, counted):
    browser = signed_in(make_staff, console, "supervisor", areas=[MOMBASA])

    page = browser.get(f"/staff/counts?{RANGE}").get_data(as_text=True)
    exported = browser.get(f"/staff/counts/export.csv?{RANGE}").get_data(as_text=True)

    assert rows(page, "day") == [["Mar 1, 2026", "0", "0"], ["Mar 2, 2026", "1", "1"]]
    assert rows(page, "area") == [["Mombasa", "1", "1"]]
    assert rows(page, "non-counselling") == []  # no area: not theirs to count
    assert exported.splitlines()[1:] == [
        "2026-03-02,ussd,sexual_abuse,,violence,high,001,Mombasa,1,1"
    ]


def test_the_default_range_is_the_last_30_days(make_staff, console):
    browser = signed_in(make_staff, console, "admin")

    page = browser.get("/staff/counts").get_data(as_text=True)

    today = datetime.now(NAIROBI_TIME).date()
    assert f'value="{today - timedelta(days=29)}"' in page and f'value="{today}"' in page
    assert len(rows(page, "day")) == 30


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("first=2026-03-02&last=2026-03-01", "The last day is before the first."),
        ("first=2024-01-01&last=2026-03-01", "At most 366 days at once."),
        ("first=yesterday", "Not a valid date value."),
    ],
)
def test_a_bad_range_is_refused_with_its_reason(make_staff, console, query, message):
    browser = signed_in(make_staff, console, "supervisor")

    for path in ("/staff/counts", "/staff/counts/export.csv"):
        answer = browser.get(f"{path}?{query}")
        assert answer.status_code == 422
        assert message in answer.get_data(as_text=True)


def test_every_chi_category_has_a_name_on_the_page():
    assert set(CHI_NAMES) == CHI_CATEGORIES


def test_calls_logged_without_a_case_are_counted_today_by_what_they_were(make_staff, console):
    """End to end: an agent logs calls on the call form; today's counts hold them."""
    make_staff("amina", "hotline_agent")
    agent = console()
    agent.sign_in("amina")
    call = {"direction": "inbound", "language": "en", "phone": ""}
    for outcome in ("silent", "prank", "silent", "information"):
        answer = agent.submit("/staff/calls/new", call | {"outcome": outcome})
        assert answer.status_code == 302, outcome
    assert agent.submit("/staff/calls/new", HIGH_CASE).status_code == 302
    browser = signed_in(make_staff, console, "admin")
    today = datetime.now(NAIROBI_TIME).date()
    day = f"{today:%b} {today.day}, {today.year}"

    page = browser.get(f"/staff/counts?first={today}&last={today}").get_data(as_text=True)
    exported = browser.get(f"/staff/counts/export.csv?first={today}&last={today}")

    assert rows(page, "non-counselling") == [
        [day, "Information only", "1"],
        [day, "Silent call", "2"],
        [day, "Prank call", "1"],
    ]
    assert rows(page, "chi") == [["Violence", "1", "1"], ["Non-counselling contacts", "4", "0"]]
    lines = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))[1:]
    assert [(line[1], line[3], line[4], line[-2], line[-1]) for line in lines] == [
        ("voice", "information", NON_COUNSELLING, "1", "0"),
        ("voice", "silent", NON_COUNSELLING, "2", "0"),
        ("voice", "prank", NON_COUNSELLING, "1", "0"),
        ("voice", "", "violence", "1", "1"),
    ]
