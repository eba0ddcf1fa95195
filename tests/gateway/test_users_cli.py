"""``kinga users``: the work phone is stored hashed and encrypted, shown masked; every change
to the roster is audited; ``list`` shows who is on call now and next."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from case_store.models import RosterEvent, User
from case_store.on_call import DAY_NAMES

PHONE = "+254712000111"


def create(runner, *args: str):
    return runner.invoke(args=["users", "create", *args])


def test_create_stores_the_phone_hashed_and_encrypted(app, db, runner):
    result = create(
        runner, "amina", "--role", "caseworker", "--phone", PHONE,
        "--area", "047", "--area", "001", "--language", "sw", "--on-call",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["phone"] == "+2547•••••111" and PHONE not in result.output
    vault = app.extensions["kinga"].vault
    with db() as session:
        user = session.scalars(select(User)).one()
        assert user.phone_hash == vault.phone_hash(PHONE)
        assert user.phone_encrypted is not None and PHONE.encode() not in user.phone_encrypted
        assert vault.decrypt(user.phone_encrypted) == PHONE
        assert (user.role.value, user.areas, user.languages, user.on_call) == (
            "caseworker",
            ["001", "047"],
            ["sw"],
            True,
        )


def test_duplicates_are_refused_with_a_clear_error(runner, db):
    assert create(runner, "amina", "--role", "caseworker", "--phone", PHONE).exit_code == 0
    same_name = create(runner, "amina", "--role", "supervisor", "--phone", "+254712000222")
    assert same_name.exit_code != 0 and "a user named 'amina' exists already" in same_name.output
    same_phone = create(runner, "baraka", "--role", "supervisor", "--phone", "+254 712 000 111")
    assert same_phone.exit_code != 0
    assert "that phone number belongs to another user" in same_phone.output
    assert PHONE not in same_phone.output
    with db() as session:
        assert len(session.scalars(select(User)).all()) == 1


def test_bad_input_is_refused(runner, db):
    bad_phone = create(runner, "amina", "--role", "caseworker", "--phone", "0712000111")
    assert bad_phone.exit_code != 0 and "--phone" in bad_phone.output
    bad_area = create(runner, "amina", "--role", "caseworker", "--area", "999")
    assert bad_area.exit_code != 0 and "unknown area '999'" in bad_area.output
    bad_language = create(runner, "amina", "--role", "caseworker", "--language", "de")
    assert bad_language.exit_code != 0 and "not enabled" in bad_language.output
    bad_role = create(runner, "amina", "--role", "boss")
    assert bad_role.exit_code != 0
    with db() as session:
        assert session.scalars(select(User)).all() == []


def test_list_json_masks_phones(runner, db):
    create(runner, "amina", "--role", "caseworker", "--phone", PHONE)
    create(runner, "daudi", "--role", "supervisor")
    result = runner.invoke(args=["users", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["username"], r["role"], r["phone"]) for r in rows] == [
        ("amina", "caseworker", "+2547•••••111"),
        ("daudi", "supervisor", None),
    ]
    assert rows[0]["languages"] == ["en"] and rows[0]["areas"] == []
    assert PHONE not in result.output


def invoke(runner, *args: str, input: str | None = None):
    return runner.invoke(args=["users", *args], input=input)


def roster_events(db, username: str) -> list[tuple[str, str]]:
    with db() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        query = select(RosterEvent).where(RosterEvent.user_id == user.id).order_by(RosterEvent.id)
        return [(event.kind.value, event.actor) for event in session.scalars(query)]


def test_update_changes_phone_areas_languages_and_role(app, db, runner):
    create(runner, "amina", "--role", "caseworker", "--phone", PHONE, "--area", "047")
    result = invoke(
        runner, "update", "amina", "--phone", "+254 712 000 222", "--area", "mombasa",
        "--area", "47", "--language", "sw", "--role", "supervisor",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert (shown["phone"], shown["areas"], shown["languages"], shown["role"]) == (
        "+2547•••••222",
        ["001", "047"],
        ["sw"],
        "supervisor",
    )
    every_area = invoke(runner, "update", "amina", "--all-areas")
    assert json.loads(every_area.output)["areas"] == []
    assert roster_events(db, "amina") == [
        ("created", "admin_cli"),
        ("updated", "admin_cli"),
        ("updated", "admin_cli"),
    ]
    assert "nothing changed" in invoke(runner, "update", "amina", "--all-areas").output


def test_bad_updates_are_refused_and_change_nothing(db, runner):
    create(runner, "amina", "--role", "caseworker", "--phone", PHONE)
    create(runner, "baraka", "--role", "caseworker", "--phone", "+254712000222")
    for args, expected in (
        (["update", "nobody", "--role", "admin"], "no user named 'nobody'"),
        (["update", "amina"], "nothing to change"),
        (["update", "amina", "--phone", "+254712000222"], "belongs to another user"),
        (["update", "amina", "--area", "Nairobbi"], "did you mean 047 Nairobi?"),
        (["update", "amina", "--area", "047", "--all-areas"], "not both"),
        (["update", "amina", "--language", "de"], "not enabled"),
    ):
        result = invoke(runner, *args)
        assert result.exit_code != 0 and expected in result.output, (args, result.output)
        assert "712000222" not in result.output
    assert roster_events(db, "amina") == [("created", "admin_cli")]


def test_deactivate_is_at_once_and_audited(db, runner):
    create(runner, "amina", "--role", "caseworker", "--phone", PHONE, "--on-call")
    result = invoke(runner, "deactivate", "amina")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert (shown["active"], shown["on_call"], shown["on_call_now"]) == (False, False, False)
    assert roster_events(db, "amina")[-1] == ("deactivated", "admin_cli")
    again = invoke(runner, "deactivate", "amina")
    assert again.exit_code != 0 and "already deactivated" in again.output
    assert invoke(runner, "on-call", "amina", "--on").exit_code != 0


def test_on_call_flag_and_windows(app, db, runner):
    create(runner, "amina", "--role", "caseworker")
    on = invoke(runner, "on-call", "amina", "--on")
    assert on.exit_code == 0, on.output
    assert json.loads(on.output)["on_call_now"] is True
    windows = invoke(
        runner, "on-call", "amina", "--off", "--window", "Mon-Fri 08:00-17:00",
        "--window", "sat 22:00-06:00",
    )  # fmt: skip
    assert windows.exit_code == 0, windows.output
    shown = json.loads(windows.output)
    assert shown["on_call"] is False
    assert shown["windows"] == [
        *(f"{day} 08:00-17:00" for day in ("Mon", "Tue", "Wed", "Thu", "Fri")),
        "Sat 22:00-06:00",
    ]
    cleared = invoke(runner, "on-call", "amina", "--no-windows")
    assert json.loads(cleared.output)["windows"] == []
    for args, expected in (
        (["on-call", "amina"], "nothing to change"),
        (["on-call", "amina", "--window", "weekdays 8-5"], "Mon-Fri 08:00-17:00"),
        (["on-call", "amina", "--window", "Mon 08:00-09:00", "--no-windows"], "not both"),
    ):
        result = invoke(runner, *args)
        assert result.exit_code != 0 and expected in result.output, (args, result.output)
    assert [kind for kind, _ in roster_events(db, "amina")] == [
        "created", "on_call_changed", "on_call_changed", "on_call_changed",
    ]  # fmt: skip


def test_list_shows_who_is_on_call_now_and_next(app, runner):
    zone = app.extensions["kinga"].profile.time_zone
    in_two_days = datetime.now(zone).date() + timedelta(days=2)
    day = DAY_NAMES[in_two_days.weekday()]
    create(runner, "amina", "--role", "caseworker")
    invoke(runner, "on-call", "amina", "--window", "Mon-Sun 00:00-24:00")
    create(runner, "baraka", "--role", "caseworker")
    invoke(runner, "on-call", "baraka", "--window", f"{day} 10:30-12:00")
    create(runner, "chebet", "--role", "supervisor")
    result = invoke(runner, "list", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["username"]: row for row in json.loads(result.output)}
    assert (rows["amina"]["on_call_now"], rows["amina"]["next_on_call"]) == (True, None)
    assert rows["baraka"]["on_call_now"] is False
    expected = datetime.combine(in_two_days, time(10, 30), tzinfo=zone)
    assert datetime.fromisoformat(rows["baraka"]["next_on_call"]) == expected
    assert (rows["chebet"]["on_call_now"], rows["chebet"]["next_on_call"]) == (False, None)


def test_a_console_password_is_asked_at_a_hidden_prompt_until_the_rules_take_it(db, runner):
    good = "a long enough password"
    result = runner.invoke(
        args=["users", "create", "root", "--role", "admin", "--password-prompt"],
        input=f"short\nshort\n{good}\n{good}\n",
    )

    assert result.exit_code == 0, result.output
    assert "a password has 10 to 128 characters" in result.output
    assert good not in result.output and "short\n" not in result.output
    document = json.loads(result.output.splitlines()[-1])
    assert document["console"] is True and document["locked"] is False
    assert roster_events(db, "root") == [("created", "admin_cli"), ("password_set", "admin_cli")]


def test_users_password_resets_and_unlocks_and_refuses_an_unknown_name(db, runner):
    create(runner, "amina", "--role", "hotline_agent")
    with db.begin() as session:
        user = session.scalars(select(User).where(User.username == "amina")).one()
        user.locked_until = datetime.now(UTC) + timedelta(minutes=10)

    reset = invoke(runner, "password", "amina", input="another long one\nanother long one\n")
    unknown = invoke(runner, "password", "nobody", input="another long one\n" * 2)

    assert reset.exit_code == 0, reset.output
    assert json.loads(reset.output.splitlines()[-1])["locked"] is False
    assert roster_events(db, "amina")[-1] == ("password_set", "admin_cli")
    assert unknown.exit_code != 0 and "no user named 'nobody'" in unknown.output
    assert "Console password" not in unknown.output  # refused before asking
