"""Administrators manage accounts and supervisors the on-call roster, in the console: each
change is the roster's own operation, audited under the staff member who made it."""

from __future__ import annotations

from console_client import PASSWORD
from console_records import counts, kinds, trail, user_row
from sqlalchemy import select

from case_store.models import RosterEvent, User
from case_store.passwords import MAX_FAILED_LOGINS

NEW = {
    "username": "wanjiru",
    "role": "caseworker",
    "phone": "+254711000111",
    "areas": "Mombasa, 047",
    "language": "sw",
    "password": "a long enough password",
    "confirm": "a long enough password",
}


def signed_in(make_staff, console, role: str = "admin", name: str = "admin"):
    make_staff(name, role)
    browser = console()
    browser.sign_in(name)
    return browser


def actor_of(db, username: str) -> list[tuple[str, str, str | None]]:
    with db() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        events = session.scalars(
            select(RosterEvent).where(RosterEvent.user_id == user.id).order_by(RosterEvent.id)
        )
        return [
            (e.kind.value, e.actor, e.actor_user.username if e.actor_user else None) for e in events
        ]


def test_an_administrator_creates_an_account_that_can_sign_in(make_staff, console, db, app):
    admin = signed_in(make_staff, console)
    answer = admin.submit("/staff/users/new", NEW)

    assert answer.status_code == 302
    user = user_row(db, "wanjiru")
    assert (user.role.value, user.areas, user.languages) == ("caseworker", ["001", "047"], ["sw"])
    assert app.extensions["kinga"].vault.decrypt(user.phone_encrypted) == "+254711000111"
    assert actor_of(db, "wanjiru") == [
        ("created", "user", "admin"),
        ("password_set", "user", "admin"),
    ]
    listing = admin.get("/staff/users").get_data(as_text=True)
    assert "+2547•••••111" in listing and "+254711000111" not in listing
    assert console().sign_in("wanjiru", NEW["password"]).status_code == 302


def test_a_refused_account_is_not_created_and_the_errors_are_on_their_fields(
    make_staff, console, db
):
    admin = signed_in(make_staff, console)
    make_staff("wanjiru", "caseworker")
    before = counts(db)
    cases = [
        ({}, "username", "This username or phone number belongs to another account."),
        ({"username": "new one"}, "username", "A username has 1 to 64 characters"),
        ({"username": "other", "areas": "Atlantis"}, "areas", "An area is not known"),
        ({"username": "other", "phone": "0711"}, "phone", "with its country code"),
        ({"username": "other", "password": "short", "confirm": "short"}, "password", "10 to 128"),
        ({"username": "other", "confirm": "different"}, "confirm", "The two passwords differ."),
    ]
    for changes, field, message in cases:
        answer = admin.submit("/staff/users/new", NEW | changes)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422, changes
        assert f'id="{field}-error"' in page and message in page, (changes, page)
    assert counts(db) == before


def test_an_administrator_changes_resets_unlocks_and_deactivates(make_staff, console, db):
    admin = signed_in(make_staff, console)
    target = make_staff("wanjiru", "caseworker")
    for n in range(MAX_FAILED_LOGINS):
        console().sign_in("wanjiru", f"wrong {n}")
    page = f"/staff/users/{target}"
    assert "Unlock the account" in admin.get(page).get_data(as_text=True)

    admin.submit(page, {"role": "supervisor", "areas": "", "language": "fr", "phone": ""})
    admin.submit(f"{page}/unlock", {}, page=page)
    assert console().sign_in("wanjiru").status_code == 302
    admin.submit(
        f"{page}/password",
        {"password": "a brand new password", "confirm": "a brand new password"},
        page=page,
    )
    assert console().sign_in("wanjiru", "a brand new password").status_code == 302
    admin.submit(f"{page}/deactivate", {}, page=page)

    user = user_row(db, "wanjiru")
    assert (user.role.value, user.languages, user.active) == ("supervisor", ["fr"], False)
    assert kinds(db, "wanjiru")[-6:] == [
        "updated",
        "unlocked",
        "logged_in",
        "password_set",
        "logged_in",
        "deactivated",
    ]
    assert console().sign_in("wanjiru", "a brand new password").status_code == 200


def test_a_supervisor_sets_who_is_on_call(make_staff, console, db):
    supervisor = signed_in(make_staff, console, "supervisor", "daudi")
    target = make_staff("wanjiru", "caseworker", areas=["001"])
    make_staff("amina", "hotline_agent")
    roster = supervisor.get("/staff/roster").get_data(as_text=True)
    assert "wanjiru" in roster and "amina" not in roster  # agents answer no alert

    answer = supervisor.submit(
        f"/staff/roster/{target}",
        {"on_call": "no", "windows": "Mon-Fri 08:00-17:00\nSat 22:00-06:00"},
    )

    assert answer.status_code == 302
    kind, after = trail(db, "wanjiru")[-1]
    assert kind == "on_call_changed" and len(after["windows"]) == 6
    assert actor_of(db, "wanjiru")[-1] == ("on_call_changed", "user", "daudi")
    bad = supervisor.submit(f"/staff/roster/{target}", {"on_call": "yes", "windows": "weekdays"})
    assert bad.status_code == 422
    assert "Write each window like Mon-Fri 08:00-17:00." in bad.get_data(as_text=True)
    assert kinds(db, "wanjiru")[-1] == "on_call_changed" and len(trail(db, "wanjiru")) == 2


def test_the_first_administrator_comes_from_the_command_line(runner, console, db):
    created = runner.invoke(
        args=["users", "create", "root", "--role", "admin", "--password-prompt"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert created.exit_code == 0, created.output
    assert PASSWORD not in created.output
    assert actor_of(db, "root") == [
        ("created", "admin_cli", None),
        ("password_set", "admin_cli", None),
    ]
    browser = console()
    assert browser.sign_in("root").status_code == 302
    assert browser.get("/staff/users").status_code == 200
