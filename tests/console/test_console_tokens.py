"""The API tokens page: a person makes a token (its secret shown once, on the answer to the
form), sees and revokes their own; an administrator revokes anyone's; nobody else can."""

from __future__ import annotations

import re

from console_records import counts, kinds, trail
from sqlalchemy import select

from case_store.api_tokens import secret_hash
from case_store.models import ApiToken

SECRET = re.compile(r"kinga_[A-Za-z0-9_-]{43}")


def make_token(browser, name: str = "Primero sync", expires: str = "90"):
    return browser.submit("/staff/tokens", {"name": name, "expires": expires})


def revoke_buttons(page: str) -> list[str]:
    return re.findall(r'action="(/staff/tokens/\d+/revoke)"', page)


def test_a_token_made_on_the_page_opens_the_api_and_is_shown_once(make_staff, console, db, app):
    make_staff("wanjiru", "caseworker")
    browser = console()
    browser.sign_in("wanjiru")
    made = make_token(browser)
    assert made.status_code == 201
    assert made.headers["Cache-Control"] == "no-store"
    secret = SECRET.search(made.get_data(as_text=True)).group(0)
    with db() as session:
        token = session.scalars(select(ApiToken)).one()
        assert token.secret_hash == secret_hash(secret) and token.expires_at is not None
    listed = browser.get("/staff/tokens").get_data(as_text=True)
    assert "Primero sync" in listed and secret not in listed
    api = app.test_client().get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    assert kinds(db, "wanjiru")[-1] == "token_created"


def test_a_token_needs_a_name_and_nothing_is_made_without_one(make_staff, console, db):
    make_staff("wanjiru", "caseworker")
    browser = console()
    browser.sign_in("wanjiru")
    before = counts(db)
    assert make_token(browser, name="   ").status_code == 422
    assert make_token(browser, expires="forever").status_code == 422
    assert counts(db) == before


def test_a_person_revokes_their_own_token(make_staff, console, db, app):
    make_staff("wanjiru", "caseworker")
    browser = console()
    browser.sign_in("wanjiru")
    secret = SECRET.search(make_token(browser).get_data(as_text=True)).group(0)
    page = browser.get("/staff/tokens").get_data(as_text=True)
    [button] = revoke_buttons(page)
    revoked = browser.submit(button, {}, page="/staff/tokens")
    assert revoked.status_code == 302
    page = browser.get("/staff/tokens").get_data(as_text=True)
    assert revoke_buttons(page) == [] and "Revoked" in page
    api = app.test_client().get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401
    assert trail(db, "wanjiru")[-1][0] == "token_revoked"


def test_an_administrator_revokes_anyone_s_and_others_cannot(make_staff, console, db):
    make_staff("wanjiru", "caseworker")
    make_staff("neema", "supervisor")
    make_staff("amina", "admin")
    owner = console()
    owner.sign_in("wanjiru")
    make_token(owner)
    with db() as session:
        token_id = session.scalars(select(ApiToken)).one().id
    button = f"/staff/tokens/{token_id}/revoke"

    supervisor = console()
    supervisor.sign_in("neema")
    assert button not in supervisor.get("/staff/tokens").get_data(as_text=True)
    before = counts(db)
    assert supervisor.submit(button, {}, page="/staff/tokens").status_code == 403
    kind, after = trail(db, "neema")[-1]
    assert (kind, after["action"]) == ("refused", "manage_users")
    assert counts(db) == before | {"roster_event": before["roster_event"] + 1}

    admin = console()
    admin.sign_in("amina")
    page = admin.get("/staff/tokens").get_data(as_text=True)
    assert "wanjiru" in page and button in page
    assert admin.submit(button, {}, page="/staff/tokens").status_code == 302
    with db() as session:
        assert session.scalars(select(ApiToken)).one().revoked_at is not None
    assert button not in admin.get("/staff/tokens").get_data(as_text=True)


def test_revoking_needs_the_form_s_token(make_staff, console, db):
    make_staff("wanjiru", "caseworker")
    browser = console()
    browser.sign_in("wanjiru")
    make_token(browser)
    with db() as session:
        token_id = session.scalars(select(ApiToken)).one().id
    assert browser.client.post(f"/staff/tokens/{token_id}/revoke").status_code == 400
    with db() as session:
        assert session.scalars(select(ApiToken)).one().revoked_at is None
