"""``kinga users create|list``: the work phone is stored hashed and encrypted, shown masked."""

from __future__ import annotations

import json

from sqlalchemy import select

from case_store.models import User

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
