"""A case's timeline on the console: every line in the reader's language (the command line
prints the same model in English), and a long timeline paged so that each page stays light
in every language and every entry is on exactly one page."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from babel.support import Translations
from sqlalchemy import select
from test_console_pages import LANGUAGES, LIMIT, choose_language

from case_store.enums import MessagePurpose
from case_store.models import Case, Referral, User
from case_store.operations import add_note, answer_referral, create_provider, record_reveal
from case_store.operations.follow_ups import hold_follow_up
from dialogs.render import DOMAIN, LOCALES_DIR
from gateway.cli.cases import cases_group
from workers.sms.queueing import queue_sms

MOMBASA = "001"
NAIROBI = ZoneInfo("Africa/Nairobi")
HELD_UNTIL = datetime(2031, 3, 2, 18, 0, tzinfo=UTC)
DECLINE = "No bed free this week"
# Words and field names of the command line's English lines, which no other language's page
# may show.
ENGLISH = (
    "sent to",
    "consent to services",
    "Consent to services",
    "incoming",
    "queued",
    "risk_level",
    "assigned_to_id",
    "follow_up_due_at",
    "quiet_hours",
    "None",
    "Status:",
    "Level:",
)


@pytest.fixture
def worked_case(app, make_case, make_staff, console):
    """A case worked through the console (note, contact with consent, referral, level, close;
    a supervisor reopens it), its referral declined with a reason and its follow-up held:
    every kind of line."""
    runtime = app.extensions["kinga"]
    with runtime.sessions.begin() as session:
        create_provider(
            session,
            runtime.vault,
            name="Coast Clinic",
            services=["health"],
            areas=[MOMBASA],
            phone="+254700222001",
            now=datetime.now(UTC),
            known_areas=[MOMBASA],
        )
    worker = make_staff("wanjiru", "caseworker", phone="+254700111001", areas=[MOMBASA])
    make_staff("daudi", "supervisor")
    reference = make_case(MOMBASA, assigned_to=worker)
    browser = console()
    browser.sign_in("wanjiru")
    page = f"/staff/cases/{reference}"
    for action, form in (
        ("note", {"note": "Spoke to the head teacher"}),
        ("contact", {"consent": "yes"}),
        ("refer", {"service": "health"}),
        ("level", {"level": "high", "level_reason": ""}),
        ("close", {"closure_reason": "resolved"}),
    ):
        assert browser.submit(f"{page}/{action}", form, page=page).status_code == 302, action
    supervisor = console()
    supervisor.sign_in("daudi")
    assert supervisor.submit(f"{page}/reopen", {}, page=page).status_code == 302
    now = datetime.now(UTC)
    with runtime.sessions.begin() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        referral = session.scalars(select(Referral)).one()
        answer_referral(session, runtime.vault, referral, False, now=now, reason=DECLINE)
        hold_follow_up(session, case, until=HELD_UNTIL, reason="quiet_hours", now=now)
    return reference


def timeline_of(page: str) -> str:
    return html.unescape(page[page.index('<ol class="timeline">') : page.index("</ol>")])


@pytest.mark.parametrize("language", ["sw", "fr", "ar", "pt"])
def test_every_line_of_the_timeline_is_in_the_readers_language(worked_case, console, language):
    browser = console()
    browser.sign_in("daudi")
    choose_language(browser, language)
    shown = timeline_of(browser.get(f"/staff/cases/{worked_case}").get_data(as_text=True))
    words = Translations.load(str(LOCALES_DIR), [language], DOMAIN)

    def said(message: str, **values: str) -> str:
        translated = words.gettext(message)
        return translated % values if values else translated

    status = said("Status")
    assert said("Consent to services: %(answer)s", answer=said("Agreed")) in shown
    assert said("Note") in shown and "Spoke to the head teacher" in shown
    assert (
        said(
            "%(field)s: %(before)s → %(after)s",
            field=said("Level"),
            before=said("Low"),
            after=said("High"),
        )
        in shown
    )
    assert (
        said(
            "%(field)s: %(before)s → %(after)s",
            field=status,
            before=said("Open"),
            after=said("Closed"),
        )
        in shown
    )
    assert said("Reason for closing") in shown and said("Resolved") in shown
    referral = re.search(r"\b([A-Z0-9]{6})\b \(", shown)
    assert referral is not None
    health = said("Health")
    assert (
        said(
            "Referral %(code)s (%(service)s) sent to %(provider)s",
            code=referral.group(1),
            service=health,
            provider="Coast Clinic",
        )
        in shown
    )
    assert (
        said(
            "Referral %(code)s (%(service)s) declined: %(reason)s",
            code=referral.group(1),
            service=health,
            reason=DECLINE,
        )
        in shown
    )
    assert said("Quiet hours") in shown
    # A recorded time, in Nairobi's time, as the reader's locale writes it.
    assert format_datetime(HELD_UNTIL, "short", tzinfo=NAIROBI, locale=language) in shown
    assert said("Reporter") in shown and said("Automatic") in shown
    for english in ENGLISH:
        assert english not in shown, english


def test_the_command_line_prints_the_same_timeline_in_english(worked_case, runner):
    result = runner.invoke(cases_group, ["show", worked_case])

    assert result.exit_code == 0, result.output
    text = result.output
    assert "level_changed: risk_level low → high" in text
    assert "consent to services: agreed" in text and "(was" not in text
    assert "closed: status open → closed" in text
    assert f"declined: {DECLINE}" in text
    assert "follow_up_held: follow_up_due_at 2031-03-02 21:00, reason quiet_hours" in text
    assert "ussd contact: case_opened" in text


# A long timeline.

NOTES = 250
MESSAGES = 100
REVEALS = 60
LONG_NOTE = "ملاحظة طويلة " * 300  # about 4,000 characters, two bytes each


@pytest.fixture
def long_case(app, make_case, make_staff):
    """A case with 250 notes (some as long as a note may be, in Arabic), 100 messages and
    60 audited views: over 660 timeline entries."""
    runtime = app.extensions["kinga"]
    make_staff("daudi", "supervisor")
    reference = make_case(MOMBASA)
    start = datetime.now(UTC) - timedelta(days=30)
    with runtime.sessions.begin() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        author = session.scalars(select(User).where(User.username == "daudi")).one()
        for n in range(NOTES):
            text = f"note {n:03} " + (LONG_NOTE[:3990] if n % 25 == 0 else "seen at school")
            add_note(
                session, runtime.vault, case, text, actor=author, now=start + timedelta(hours=n)
            )
        for n in range(MESSAGES):
            queue_sms(
                session,
                runtime.vault,
                phone="+254711000111",
                text="Kinga: update",
                purpose=MessagePurpose.ALERT,
                max_segments=2,
                now=start + timedelta(hours=n, minutes=30),
                case=case,
            )
        for n in range(REVEALS):
            record_reveal(
                session, case, ["notes"], now=start + timedelta(hours=n, minutes=45), actor=author
            )
    return reference


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_long_timeline_comes_in_light_pages_each_entry_on_one(long_case, console, language):
    browser = console()
    browser.sign_in("daudi")
    choose_language(browser, language)
    stylesheet = len(browser.get("/staff/static/console.css").data)
    address: str | None = f"/staff/cases/{long_case}"
    notes: list[str] = []
    entries = 0
    pages = 0
    total = None
    while address is not None:
        answer = browser.get(address)
        assert answer.status_code == 200, address
        assert len(answer.data) + stylesheet < LIMIT, (address, len(answer.data))
        page = answer.get_data(as_text=True)
        if total is None:
            # The first page: the view just audited is its newest entry.
            counted = re.search(r'<h2 id="timeline">[^<]*</h2>\n<p>[^<]*?(\d+)[^<]*</p>', page)
            total = int(counted.group(1))
        else:
            assert 'rel="prev"' in page  # back towards the newest
        shown = timeline_of(page)
        entries += shown.count("<li>")
        notes += re.findall(r"note (\d{3})", shown)
        older = re.search(r'<a href="([^"]+)" rel="next">', page)
        address = html.unescape(older.group(1)) if older else None
        pages += 1

    assert total is not None and total > NOTES * 2 + MESSAGES + REVEALS
    assert entries == total
    assert sorted(notes) == [f"{n:03}" for n in range(NOTES)]  # each note once
    assert pages > 10
