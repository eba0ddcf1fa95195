"""Signing in and out: sessions, lock-outs, throttling, and the account's trail."""

from __future__ import annotations

import re

import pytest
from console_client import PASSWORD
from console_records import kinds, trail, user_row

from case_store.passwords import MAX_FAILED_LOGINS
from gateway.web.console.throttle import ADDRESS_FAILURES

WRONG = "Wrong username or password."
LOCKED = "this account is locked for 15 minutes"


def test_a_page_asks_to_sign_in_first_then_opens(make_staff, console):
    make_staff("amina", "hotline_agent")
    browser = console()

    asked = browser.get("/staff/calls/new")
    assert asked.status_code == 302
    assert asked.headers["Location"].startswith("/staff/login?next=")

    page = browser.get(asked.headers["Location"])
    signed_in = browser.submit(
        "/staff/login", {"username": "amina", "password": PASSWORD}, page=asked.headers["Location"]
    )
    assert page.status_code == 200
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/staff/calls/new"
    assert browser.get("/staff/calls/new").status_code == 200


def test_sign_in_and_out_are_on_the_account_s_trail(make_staff, console, db):
    make_staff("amina", "hotline_agent")
    browser = console()
    browser.sign_in("amina")
    signed_out = browser.submit("/staff/logout", {}, page="/staff/")

    assert signed_out.status_code == 302
    assert kinds(db, "amina") == ["created", "logged_in", "logged_out"]
    assert trail(db, "amina")[1][1]["address"] == "127.0.0.1"
    assert browser.get("/staff/").status_code == 302  # signed out
    assert user_row(db, "amina").last_login_at is not None


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(make_staff, console, db):
    make_staff("amina", "hotline_agent")
    make_staff("baraka", "hotline_agent", with_password=False)
    browser = console()

    answers = [
        browser.sign_in("amina", "not the password"),
        browser.sign_in("nobody-here"),
        browser.sign_in("baraka", PASSWORD),
    ]

    for answer in answers:
        assert answer.status_code == 200
        assert WRONG in answer.get_data(as_text=True)
    assert kinds(db, "amina") == ["created", "login_failed"]
    assert trail(db, "amina")[1][1]["reason"] == "wrong_password"
    assert trail(db, "baraka")[1][1]["reason"] == "no_access"
    assert browser.get("/staff/").status_code == 302


def test_the_last_wrong_password_locks_the_account_even_against_the_right_one(
    make_staff, console, db
):
    make_staff("amina", "hotline_agent")
    browser = console()
    answers = [browser.sign_in("amina", f"wrong {n}") for n in range(MAX_FAILED_LOGINS)]

    assert all(WRONG in a.get_data(as_text=True) for a in answers[:-1])
    assert LOCKED in answers[-1].get_data(as_text=True)
    right = browser.sign_in("amina")
    assert LOCKED in right.get_data(as_text=True)
    assert browser.get("/staff/").status_code == 302
    assert kinds(db, "amina") == [
        "created",
        *["login_failed"] * MAX_FAILED_LOGINS,
        "locked",
        "login_failed",
    ]
    assert trail(db, "amina")[-1][1]["reason"] == "locked"
    assert user_row(db, "amina").locked_until is not None


def test_a_name_without_an_account_locks_alike(make_staff, console):
    browser = console()
    answers = [browser.sign_in("ghost", f"wrong {n}") for n in range(MAX_FAILED_LOGINS + 1)]

    assert all(WRONG in a.get_data(as_text=True) for a in answers[: MAX_FAILED_LOGINS - 1])
    assert all(LOCKED in a.get_data(as_text=True) for a in answers[MAX_FAILED_LOGINS - 1 :])


def test_too_many_failures_from_one_address_refuse_every_sign_in_from_it(make_staff, console):
    make_staff("amina", "hotline_agent")
    guesser = console()
    for n in range(ADDRESS_FAILURES):
        guesser.sign_in(f"guess-{n}")

    refused = console().sign_in("amina")  # a colleague behind the same address
    assert refused.status_code == 429
    assert "Too many failed attempts from this network" in refused.get_data(as_text=True)


def test_the_session_cookie_is_http_only_and_same_site(make_staff, console):
    make_staff("amina", "hotline_agent")
    answer = console().sign_in("amina")
    cookie = answer.headers["Set-Cookie"]

    assert cookie.startswith("kinga_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert "Secure" not in cookie  # development over http; production sets it (below)


def test_production_cookies_are_secure(settings):
    from dataclasses import replace

    from gateway import create_app

    app = create_app(replace(settings, env="production"))
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/staff", "/elsewhere", "/staff\\@evil"]
)
def test_after_sign_in_only_a_console_page_is_followed(make_staff, console, target):
    make_staff("amina", "hotline_agent")
    browser = console()
    answer = browser.submit(
        "/staff/login",
        {"username": "amina", "password": PASSWORD, "next": target},
    )
    assert answer.headers["Location"] == "/staff/"


def test_a_new_password_signs_out_the_browsers_of_the_old_one(make_staff, console, runner):
    make_staff("amina", "hotline_agent")
    browser = console()
    browser.sign_in("amina")
    assert browser.get("/staff/").status_code == 200

    reset = runner.invoke(args=["users", "password", "amina"], input="another long one\n" * 2)
    assert reset.exit_code == 0, reset.output

    assert browser.get("/staff/").status_code == 302
    assert console().sign_in("amina", "another long one").status_code == 302


def test_a_deactivated_account_is_signed_out_at_once(make_staff, console, runner):
    make_staff("amina", "hotline_agent")
    browser = console()
    browser.sign_in("amina")
    assert runner.invoke(args=["users", "deactivate", "amina"]).exit_code == 0

    assert browser.get("/staff/").status_code == 302
    assert WRONG in console().sign_in("amina").get_data(as_text=True)


def test_the_sign_in_page_is_in_the_language_chosen_on_it(make_staff, console):
    browser = console()
    page = browser.get("/staff/login?lang=sw").get_data(as_text=True)

    assert re.search(r'<html lang="sw" dir="ltr">', page)
    assert "Sign in to the Kinga console" not in page


@pytest.mark.parametrize(("proxies", "address"), [(0, "127.0.0.1"), (1, "203.0.113.5")])
def test_the_client_address_comes_from_the_proxy_only_when_it_is_trusted(
    settings, make_staff, db, proxies, address
):
    from dataclasses import replace

    from console_client import Console, hidden_fields

    from gateway import create_app

    make_staff("amina", "hotline_agent")
    app = create_app(replace(settings, trusted_proxies=proxies))
    browser = Console(app.test_client())
    fields = hidden_fields(browser.get("/staff/login").get_data(as_text=True))
    browser.client.post(
        "/staff/login",
        data=fields | {"username": "amina", "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.5"},
    )
    kind, after = trail(db, "amina")[-1]
    assert kind == "logged_in" and after["address"] == address


def test_trusted_proxies_must_be_a_small_number(tmp_path):
    from gateway.config.settings import Settings, SettingsError

    environ = {"KINGA_ENV": "test", "KINGA_TRUSTED_PROXIES": "9", "KINGA_VAR_DIR": str(tmp_path)}
    with pytest.raises(SettingsError, match="KINGA_TRUSTED_PROXIES must be from 0 to 5"):
        Settings.from_env(environ)


def test_a_webhook_gets_no_session_cookie_even_with_one_sent(app, client) -> None:
    """Cookie sessions are the console's: a provider's webhook neither reads nor sets one."""
    key = app.extensions["kinga"].settings.at_webhook_key
    client.set_cookie("kinga_session", "forged")
    response = client.post(
        f"/ussd/africastalking?key={key}",
        data={
            "sessionId": "ATUid_cookie",
            "serviceCode": "*384*116#",
            "phoneNumber": "+254712345678",
            "text": "",
        },
    )
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert app.session_interface.open_session(app, _request(app, "/ussd/africastalking")) is None


def _request(app, path: str):
    with app.test_request_context(path) as context:
        return context.request
