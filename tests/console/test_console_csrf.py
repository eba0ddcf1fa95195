"""Every console POST carries the session's CSRF token, or is refused and changes nothing."""

from __future__ import annotations

import pytest
from console_call_data import HIGH_CASE
from console_client import PASSWORD, hidden_fields
from console_records import counts, trail

POSTS = [
    "/staff/calls/new",
    "/staff/users/new",
    "/staff/users/{id}",
    "/staff/users/{id}/password",
    "/staff/users/{id}/unlock",
    "/staff/users/{id}/deactivate",
    "/staff/roster/{id}",
    "/staff/supervisor/retry",
    "/staff/language",
    "/staff/logout",
]


@pytest.fixture
def admin(make_staff, console):
    make_staff("admin", "admin")
    browser = console()
    browser.sign_in("admin")
    return browser


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("token", [None, "forged", "from another session"])
def test_a_post_without_the_session_s_token_is_refused_and_changes_nothing(
    admin, make_staff, console, db, path, token
):
    target = make_staff("target", "caseworker")
    url = path.format(id=target)
    page = admin.get("/staff/calls/new").get_data(as_text=True)
    fields = (
        hidden_fields(page)
        | HIGH_CASE
        | {
            "username": "newcomer",
            "role": "caseworker",
            "password": "a long enough password",
            "confirm": "a long enough password",
            "lang-language": "sw",
            "on_call": "yes",
        }
    )
    if token is None:
        fields = {k: v for k, v in fields.items() if not k.endswith("csrf_token")}
    elif token == "forged":
        fields |= {k: "forged" for k in fields if k.endswith("csrf_token")}
    else:
        other = console()
        other_tokens = hidden_fields(other.get("/staff/login").get_data(as_text=True))
        fields |= {k: other_tokens["csrf_token"] for k in fields if k.endswith("csrf_token")}
    before = counts(db)

    answer = admin.client.post(url, data=fields)

    assert answer.status_code == 400
    assert "This form has expired or did not come from this page." in answer.get_data(as_text=True)
    # Nothing changed but the refusal, on the account's trail.
    assert counts(db) == before | {"roster_event": before["roster_event"] + 1}
    kind, after = trail(db, "admin")[-1]
    assert (kind, after["action"]) == ("refused", "csrf_token")
    assert admin.get("/staff/").status_code == 200  # still signed in


def test_the_sign_in_form_needs_its_token_too(make_staff, console, db):
    make_staff("amina", "hotline_agent")
    browser = console()
    answer = browser.client.post("/staff/login", data={"username": "amina", "password": PASSWORD})

    assert answer.status_code == 400
    assert browser.get("/staff/").status_code == 302


def test_webhooks_need_no_console_token(client):
    answer = client.post("/ussd/africastalking?key=wrong", data={"sessionId": "x"})
    assert answer.status_code == 403  # the webhook's own key check, not a CSRF refusal
