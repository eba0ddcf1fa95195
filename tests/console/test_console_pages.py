"""Every console page: its weight on a slow link, its language and direction, and what its
markup may not hold (inline script or style, an outside resource)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from console_call_data import HIGH_CASE
from console_client import PASSWORD
from console_records import user_row
from sqlalchemy import select

from case_store.enums import Role
from case_store.models import Case

CONSOLE = Path(__file__).resolve().parents[2] / "gateway" / "web" / "console"
LIMIT = 60 * 1024
LANGUAGES = ("en", "sw", "fr", "ar", "pt")


@pytest.fixture
def busy_console(make_staff, make_provider, console):
    """An administrator signed in to a console with a full roster, the service providers of a
    county, and a day of calls."""
    make_staff("admin", "admin")
    for n in range(40):
        role = (Role.CASEWORKER, Role.SUPERVISOR, Role.HOTLINE_AGENT)[n % 3]
        make_staff(f"staff{n:02}", role, phone=f"+2547001110{n:02}", areas=["001", "047"])
    for n in range(30):
        services = ("health", "psychosocial", "shelter", "legal", "police")[: n % 5 + 1]
        make_provider(
            f"Provider {n:02} of the county's children",
            phone=f"+2547002220{n:02}",
            services=services,
            areas=("001", "047"),
        )
    browser = console()
    browser.sign_in("admin")
    for _ in range(12):
        browser.submit("/staff/calls/new", HIGH_CASE)
    return browser


def console_pages(browser) -> list[str]:
    """Every page, a user's and a roster entry's found by their links (row ids differ between
    databases: PostgreSQL does not reuse them)."""
    users = browser.get("/staff/users").get_data(as_text=True)
    roster = browser.get("/staff/roster").get_data(as_text=True)
    user_page = re.search(r'href="(/staff/users/\d+)"', users).group(1)
    roster_page = re.search(r'href="(/staff/roster/\d+)"', roster).group(1)
    cases = browser.get("/staff/cases").get_data(as_text=True)
    case_page = re.search(r'href="(/staff/cases/\d{9})"', cases).group(1)
    services = browser.get("/staff/services").get_data(as_text=True)
    provider_page = re.search(r'href="(/staff/services/\d+)"', services).group(1)
    return [
        "/staff/",
        "/staff/calls/new",
        "/staff/cases",
        case_page,
        "/staff/users",
        "/staff/users/new",
        user_page,
        "/staff/roster",
        roster_page,
        "/staff/supervisor",
        "/staff/counts",
        "/staff/services",
        "/staff/services/new",
        provider_page,
        "/staff/tokens",
    ]


def test_every_page_weighs_under_60_kb_with_its_stylesheet(busy_console, console):
    stylesheet = busy_console.get("/staff/static/console.css")
    assert stylesheet.status_code == 200
    pages = {path: busy_console.get(path) for path in console_pages(busy_console)}
    pages["/staff/login"] = console().get("/staff/login")

    for path, page in pages.items():
        assert page.status_code == 200, path
        weight = len(page.data) + len(stylesheet.data)
        assert weight < LIMIT, f"{path}: {weight} bytes"


def test_pages_use_only_files_of_their_own(busy_console):
    for path in console_pages(busy_console):
        page = busy_console.get(path).get_data(as_text=True)
        assert "<script" not in page and "style=" not in page and "<style" not in page
        for url in re.findall(r'(?:href|src|action)="([^"]*)"', page):
            assert url.startswith(("/staff/", "#")), (path, url)


def test_the_stylesheet_is_kept_a_year_under_its_hashed_address(busy_console):
    page = busy_console.get("/staff/").get_data(as_text=True)
    href = re.search(r'<link rel="stylesheet" href="([^"]+)">', page).group(1)

    hashed = busy_console.get(href)
    plain = busy_console.get("/staff/static/console.css")
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000"
    assert "max-age=31536000" not in plain.headers.get("Cache-Control", "")


def test_the_stylesheet_lays_out_both_directions_with_logical_properties_only():
    css = (CONSOLE / "static" / "console.css").read_text()
    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)|(?<![-\w])(?:left|right)\s*:|"
        r"text-align:\s*(?:left|right)|float:\s*(?:left|right)",
        css,
    )
    assert physical == []


def test_templates_hold_no_inline_script_or_style():
    for template in (CONSOLE / "templates").rglob("*.html"):
        text = template.read_text()
        assert "<script" not in text and "style=" not in text and "<style" not in text, template


def choose_language(browser, language: str, page: str = "/staff/"):
    return browser.submit(
        "/staff/language", {"lang-language": language, "lang-next": page}, page=page
    )


def test_the_language_chosen_is_saved_on_the_account_and_followed_everywhere(
    make_staff, console, db
):
    make_staff("amina", "hotline_agent")
    browser = console()
    browser.sign_in("amina")

    answer = choose_language(browser, "sw", "/staff/calls/new")

    assert answer.status_code == 302 and answer.headers["Location"] == "/staff/calls/new"
    assert user_row(db, "amina").console_language == "sw"
    later = console()  # another browser, the next day
    later.sign_in("amina")
    page = later.get("/staff/calls/new").get_data(as_text=True)
    assert '<html lang="sw" dir="ltr">' in page
    assert "Rekodi simu" in page and "Log a call" not in page


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_is_in_the_chosen_language(busy_console, language):
    choose_language(busy_console, language)
    english = {
        "Log a call",
        "Users",
        "On call",
        "Sign out",
        "Save call",
        "Username",
        "Service providers",
        "Services it offers",
    }
    for path in console_pages(busy_console):
        page = busy_console.get(path).get_data(as_text=True)
        assert f'<html lang="{language}"' in page
        shown = set(re.findall(r">([^<>]+)<", page))
        if language != "en":
            assert not english & shown, (path, english & shown)


def test_arabic_pages_are_laid_out_right_to_left(make_staff, console):
    make_staff("amina", "hotline_agent")
    browser = console()
    browser.sign_in("amina")
    choose_language(browser, "ar")

    page = browser.get("/staff/calls/new").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "تسجيل مكالمة" in page
    assert '<option value="مومباسا">001</option>' in page  # the areas as Arabic readers write them


def test_an_area_typed_in_arabic_is_found(make_staff, console, db):
    make_staff("amina", "hotline_agent")
    browser = console()
    browser.sign_in("amina")
    choose_language(browser, "ar")

    answer = browser.submit("/staff/calls/new", HIGH_CASE | {"area": "مومباسا", "language": "ar"})

    assert answer.status_code == 302
    with db() as session:
        case = session.scalars(select(Case)).one()
        assert case.location_code == "001" and case.reporter.language == "ar"


def test_labels_belong_to_their_fields_and_focus_is_visible(busy_console):
    page = busy_console.get("/staff/calls/new").get_data(as_text=True)
    for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page):
        if field_id.startswith(
            (
                "outcome-",
                "direction-",
                "danger-",
                "category-",
                "age_band-",
                "sex-",
                "relationship-",
                "consent_",
                "callback-",
            )
        ):
            continue  # radio buttons sit inside their label
        if field_id in ("token", "lang-next", "lang-submit", "out-submit", "submit"):
            continue
        assert f'for="{field_id}"' in page, field_id
    css = (CONSOLE / "static" / "console.css").read_text()
    assert ":focus-visible{outline:3px solid" in css


def test_the_sign_in_page_signs_in_in_every_language(make_staff, console):
    make_staff("amina", "hotline_agent")
    for language in LANGUAGES:
        browser = console()
        page = browser.get(f"/staff/login?lang={language}").get_data(as_text=True)
        assert f'<html lang="{language}"' in page
        assert browser.sign_in("amina", PASSWORD).status_code == 302


def test_pages_are_not_kept_by_the_browser_but_the_stylesheet_is(busy_console):
    for path in console_pages(busy_console):
        assert busy_console.get(path).headers["Cache-Control"] == "no-store", path


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_full_case_list_and_a_long_case_page_weigh_under_60_kb(busy_console, make_case, language):
    """A list page of 50 cases, and a case with a long history of notes, in every language."""
    for _ in range(50):
        make_case("047", danger="yes")
    choose_language(busy_console, language)
    stylesheet = busy_console.get("/staff/static/console.css")
    cases = busy_console.get("/staff/cases").get_data(as_text=True)
    case_page = re.search(r'href="(/staff/cases/\d{9})"', cases).group(1)
    for n in range(25):
        note = f"Visit {n}: spoke with the aunt and the class teacher; " + "all well. " * 12
        assert (
            busy_console.submit(f"{case_page}/note", {"note": note}, page=case_page).status_code
            == 302
        )

    for path in ("/staff/cases", case_page):
        page = busy_console.get(path)
        assert page.status_code == 200, path
        weight = len(page.data) + len(stylesheet.data)
        assert weight < LIMIT, f"{language} {path}: {weight} bytes"


def test_a_caseworkers_full_list_with_a_take_button_on_each_case_weighs_under_60_kb(
    make_staff, make_case, console
):
    make_staff("wanjiru", "caseworker", areas=["047"])
    for _ in range(50):
        make_case("047", danger="yes")
    browser = console()
    browser.sign_in("wanjiru")
    stylesheet = browser.get("/staff/static/console.css")

    for language in LANGUAGES:
        choose_language(browser, language)
        page = browser.get("/staff/cases")
        assert page.get_data(as_text=True).count('/take" class="inline">') == 50
        weight = len(page.data) + len(stylesheet.data)
        assert weight < LIMIT, f"{language}: {weight} bytes"
