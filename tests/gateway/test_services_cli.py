"""``kinga services``: providers are data, created and changed by audited operations; their
phone is stored hashed and encrypted and shown masked; bad input is one clear line and writes
nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from case_store.enums import ServiceProviderEventKind
from case_store.models import ServiceProvider, ServiceProviderEvent

PHONE = "+254700222001"
OTHER_PHONE = "+254700222002"


def services(runner, *args: str):
    return runner.invoke(args=["services", *args])


def create(runner, *args: str, name: str = "Coast Clinic"):
    return services(runner, "create", name, *args)


def providers(db) -> list[ServiceProvider]:
    with db() as session:
        return list(session.scalars(select(ServiceProvider).order_by(ServiceProvider.id)))


def trail(db) -> list[tuple[int, str, str]]:
    with db() as session:
        rows = session.scalars(select(ServiceProviderEvent).order_by(ServiceProviderEvent.id))
        return [(e.service_provider_id, e.kind.value, e.actor) for e in rows]


def test_create_keeps_the_phone_hashed_and_encrypted_and_shows_it_masked(app, db, runner):
    result = create(
        runner, "--type", "health", "--type", "psychosocial", "--areas", "001, Nairobi",
        "--phone", "+254 700 222 001", "--languages", "sw,en",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown == {
        "id": shown["id"],
        "name": "Coast Clinic",
        "types": ["health", "psychosocial"],
        "areas": ["001", "047"],
        "languages": ["sw", "en"],
        "texts_in": "sw",
        "phone": "+2547•••••001",
        "active": True,
        "waiting_referrals": 0,
    }
    assert PHONE not in result.output
    vault = app.extensions["kinga"].vault
    (provider,) = providers(db)
    assert provider.services == ["medical", "psychosocial"]
    assert provider.phone_hash == vault.phone_hash(PHONE)
    assert PHONE.encode() not in provider.phone_encrypted
    assert vault.decrypt(provider.phone_encrypted) == PHONE
    assert trail(db) == [(provider.id, "created", "admin_cli")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "health", "--areas", "001", "--phone", "0700222001"], "E.164"),
        (["--type", "health", "--areas", "999", "--phone", PHONE], "unknown area '999'"),
        (["--type", "surgery", "--areas", "001", "--phone", PHONE], "Invalid value for '--type'"),
        (["--areas", "001", "--phone", PHONE], "Missing option '--type'"),
        (["--type", "health", "--phone", PHONE], "give --areas or --all-areas"),
        (["--type", "health", "--areas", "001", "--all-areas", "--phone", PHONE], "one of them"),
        (["--type", "health", "--areas", ",", "--phone", PHONE], "name at least one area"),
        (["--type", "health", "--areas", "001", "--phone", PHONE, "--languages", "Swahili"],
         "'Swahili' is not a language code"),
    ],
)  # fmt: skip
def test_bad_input_is_one_clear_line_and_writes_nothing(db, runner, args, message):
    result = create(runner, *args)
    assert result.exit_code != 0 and message in result.output, result.output
    assert "Traceback" not in result.output and "0700222001" not in result.output
    assert providers(db) == [] and trail(db) == []


def test_a_name_too_long_and_a_phone_taken_are_refused(db, runner):
    long_name = create(runner, "--type", "legal", "--all-areas", "--phone", PHONE, name="x" * 61)
    assert long_name.exit_code != 0 and "name has 1 to 60 characters" in long_name.output
    assert create(runner, "--type", "legal", "--all-areas", "--phone", PHONE).exit_code == 0
    taken = create(runner, "--type", "police", "--all-areas", "--phone", PHONE, name="Police desk")
    assert taken.exit_code != 0
    assert "that phone number belongs to another service provider" in taken.output
    assert PHONE not in taken.output and len(providers(db)) == 1


def test_languages_the_deployment_lacks_are_kept_with_a_note(db, runner):
    result = create(
        runner, "--type", "shelter", "--all-areas", "--phone", PHONE, "--languages", "de"
    )
    assert result.exit_code == 0, result.output
    assert "note: none of de is enabled; its texts go in en" in result.stderr
    shown = json.loads(result.stdout)
    assert (shown["languages"], shown["texts_in"], shown["areas"]) == (["de"], "en", [])


def test_list_masks_phones_and_counts_waiting_referrals(db, runner):
    create(runner, "--type", "health", "--areas", "001", "--phone", PHONE)
    create(runner, "--type", "police", "--all-areas", "--phone", OTHER_PHONE, name="Police desk")
    result = services(runner, "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["name"], r["types"], r["phone"], r["waiting_referrals"]) for r in rows] == [
        ("Coast Clinic", ["health"], "+2547•••••001", 0),
        ("Police desk", ["police"], "+2547•••••002", 0),
    ]
    assert PHONE not in result.output and OTHER_PHONE not in result.output
    assert json.loads(services(runner, "list").output) == rows


def test_update_changes_what_is_given_and_is_audited(app, db, runner):
    provider_id = json.loads(
        create(runner, "--type", "health", "--areas", "001", "--phone", PHONE).output
    )["id"]
    result = services(
        runner, "update", str(provider_id), "--type", "shelter", "--areas", "047",
        "--phone", OTHER_PHONE, "--name", "Coast Shelter",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert (shown["name"], shown["types"], shown["areas"], shown["phone"]) == (
        "Coast Shelter",
        ["shelter"],
        ["047"],
        "+2547•••••002",
    )
    (provider,) = providers(db)
    assert provider.phone_hash == app.extensions["kinga"].vault.phone_hash(OTHER_PHONE)
    assert [kind for _, kind, _ in trail(db)] == ["created", "updated"]
    with db() as session:
        event = session.scalars(
            select(ServiceProviderEvent).where(
                ServiceProviderEvent.kind == ServiceProviderEventKind.UPDATED
            )
        ).one()
        assert event.data["before"]["services"] == ["medical"]
        assert event.data["after"]["phone_changed"] is True
        assert OTHER_PHONE not in json.dumps(event.data)
    same = services(runner, "update", str(provider_id), "--areas", "047")
    assert same.exit_code == 0 and "note: nothing changed" in same.stderr
    assert len(trail(db)) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["update", "1"], "nothing to change"),
        (["update", "1", "--areas", "001", "--all-areas"], "not both"),
        (["update", "999", "--name", "X"], "no service provider with id 999"),
        (["update", "1", "--areas", "999"], "unknown area '999'"),
        (["deactivate", "999"], "no service provider with id 999"),
        (["update", "x", "--name", "X"], "'x' is not a valid integer"),
    ],
)
def test_update_and_deactivate_refuse_bad_input(db, runner, args, message):
    create(runner, "--type", "health", "--areas", "001", "--phone", PHONE)
    before = [(p.id, p.name, p.areas) for p in providers(db)]
    args = [str(providers(db)[0].id) if a == "1" else a for a in args]
    result = services(runner, *args)
    assert result.exit_code != 0 and message in result.output, result.output
    assert [(p.id, p.name, p.areas) for p in providers(db)] == before
    assert len(trail(db)) == 1


def test_deactivate_once(db, runner):
    provider_id = str(
        json.loads(create(runner, "--type", "health", "--all-areas", "--phone", PHONE).output)["id"]
    )
    result = services(runner, "deactivate", provider_id)
    assert result.exit_code == 0 and json.loads(result.output)["active"] is False
    again = services(runner, "deactivate", provider_id)
    assert again.exit_code != 0 and "already deactivated" in again.output
    assert [kind for _, kind, _ in trail(db)] == ["created", "deactivated"]


def test_reactivate_once(db, runner):
    provider_id = str(
        json.loads(create(runner, "--type", "health", "--all-areas", "--phone", PHONE).output)["id"]
    )
    services(runner, "deactivate", provider_id)
    result = services(runner, "reactivate", provider_id)
    assert result.exit_code == 0 and json.loads(result.output)["active"] is True
    again = services(runner, "reactivate", provider_id)
    assert again.exit_code != 0 and "is active" in again.output
    assert [kind for _, kind, _ in trail(db)] == ["created", "deactivated", "reactivated"]
