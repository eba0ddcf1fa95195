"""The deployment's PIN for shared staff phones (``KINGA_STAFF_SMS_PIN``): every command
carries it after its verb; a missing or wrong one reveals nothing and changes nothing; wrong
ones are rate limited per phone; it is never logged, and the message log keeps it masked."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sms_client import Texter, inbound
from staff import CASEWORKER_PHONE, MOMBASA, OTHER_CASEWORKER_PHONE, add_staff, open_report
from staff import replies_to as replies

from case_store.enums import EventKind
from case_store.queries.cases import find_case_by_reference
from case_store.references import format_reference
from dialogs.render import fold_to_gsm7, load_translations
from gateway.channels.sms.staff import replies as staff_replies
from gateway.channels.sms.staff.pin import MAX_PIN_MISSES
from gateway.config.settings import Settings, SettingsError

PIN = "73915084"
REFUSED = (
    "Kinga: PIN missing or wrong. Put it after the command: ACK PIN 482177302. Nothing changed."
)
LIMITED = "Kinga: too many wrong PINs from this phone. Try again later. Nothing changed."


@pytest.fixture
def app(settings, db, redis_client):
    from gateway import create_app

    application = create_app(replace(settings, staff_sms_pin=PIN))
    application.config["TESTING"] = True
    return application


@pytest.fixture
def reference(app) -> str:
    return open_report(app, 1, now=datetime.now(UTC) - timedelta(minutes=5))


@pytest.fixture
def phone(app) -> Texter:
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    return Texter(app.test_client(), phone=CASEWORKER_PHONE)


def kinds(db, reference: str) -> list[EventKind]:
    with db() as session:
        case = find_case_by_reference(session, reference)
        assert case is not None
        return [event.kind for event in case.events]


def misses(redis_client) -> int:
    keys = redis_client.keys("kinga:pinmiss:*")
    return int(redis_client.get(keys[0])) if keys else 0


def test_commands_run_with_the_pin_after_the_verb(app, db, reference, phone):
    shown = format_reference(reference)
    phone.send(f"ACK {PIN} {reference}")
    assert replies(db, app, phone.phone)[-1] == (
        f"Kinga: case {shown} acknowledged. First contact is yours."
    )
    phone.send(f"called{PIN} {shown}")
    phone.send(f"NOTE: {PIN}, {shown} Visited the school")
    assert kinds(db, reference)[-4:] == [
        EventKind.ASSIGNED,
        EventKind.ACKNOWLEDGED,
        EventKind.FIRST_CONTACT_MADE,
        EventKind.NOTE_ADDED,
    ]
    # Examples in replies show where the PIN goes.
    phone.send(f"LEVEL {PIN} {reference} purple")
    assert f"e.g. LEVEL PIN {shown} HIGH." in replies(db, app, phone.phone)[-1]
    phone.send(f"CALLED {PIN} {reference} maybe")
    answer = replies(db, app, phone.phone)[-1]
    assert answer.startswith(f"Kinga: send CALLED PIN {shown} alone, or followed by CONSENT")
    phone.send(f"CALLED {PIN} {reference} consent")
    assert kinds(db, reference)[-1] is EventKind.CONSENT_RECORDED


def test_a_missing_or_wrong_pin_reveals_nothing_and_changes_nothing(
    app, db, reference, phone, redis_client
):
    before = kinds(db, reference)
    unknown = "482177302" if reference != "482177302" else "069875189"
    for typed in (
        f"ACK {reference}",
        f"ACK {unknown}",
        "ACK 482 177 302",
        f"ACK 1111 {reference}",
        f"ACK 1111 {unknown}",
        f"CLOSE 12345 {reference} RESOLVED",
        "ACK",
        "CASES",
        "HELP",
    ):
        phone.send(typed)
        assert replies(db, app, phone.phone)[-1] == REFUSED, typed
    assert kinds(db, reference) == before
    # Only PIN-shaped guesses count (1111 twice, 12345): a forgotten PIN is not a guess.
    assert misses(redis_client) == 3


def test_wrong_pins_are_rate_limited_per_phone(app, db, reference, phone, redis_client):
    for n in range(MAX_PIN_MISSES):
        phone.send(f"ACK {1000 + n} {reference}")
    assert misses(redis_client) == MAX_PIN_MISSES
    # Now even the right PIN is refused from this phone, whatever the reference.
    phone.send(f"ACK {PIN} {reference}")
    assert replies(db, app, phone.phone)[-1] == LIMITED
    phone.send(f"HELP {PIN}")
    assert replies(db, app, phone.phone)[-1] == LIMITED
    assert EventKind.ACKNOWLEDGED not in kinds(db, reference)
    # Another phone is not limited by this one's guesses.
    add_staff(app, "baraka", "caseworker", OTHER_CASEWORKER_PHONE, areas=[MOMBASA])
    other = Texter(app.test_client(), phone=OTHER_CASEWORKER_PHONE)
    other.send(f"ACK {PIN} {reference}")
    assert replies(db, app, other.phone)[-1].endswith("acknowledged. First contact is yours.")


def test_a_replayed_wrong_pin_counts_once(app, db, reference, phone, redis_client):
    phone.send(f"ACK 1111 {reference}", provider_id="SM" + "5" * 32)
    phone.send(f"ACK 1111 {reference}", provider_id="SM" + "5" * 32)
    assert misses(redis_client) == 1
    assert replies(db, app, phone.phone) == [REFUSED]


def test_help_with_the_pin_says_where_it_goes(app, db, phone):
    phone.send(f"HELP {PIN}")
    text = replies(db, app, phone.phone)[-1]
    assert text.startswith("Kinga commands: ACK ref = take the case.")
    assert text.endswith("Put your PIN after each command: ACK PIN 482177302.")


def test_the_pin_is_never_logged_nor_stored_in_clear(app, db, reference, phone, caplog):
    caplog.set_level(logging.DEBUG)
    for typed in (
        f"ACK {PIN} {reference}",
        f"NOTE {PIN} {reference} seen",
        f"ACK 4444 {reference}",
    ):
        phone.send(typed)
    phone.send(f"CASES {PIN}")
    logged = caplog.text
    assert "staff command ack by user" in logged
    assert PIN not in logged and "4444" not in logged
    assert CASEWORKER_PHONE not in logged and CASEWORKER_PHONE[4:] not in logged
    vault = app.extensions["kinga"].vault
    stored = [vault.decrypt(message.body_encrypted) for message in inbound(db)]
    assert stored == [
        f"ACK **** {reference}",
        f"NOTE **** {reference} seen",
        f"ACK **** {reference}",
        "CASES ****",
    ]
    assert not any(PIN in text for text in replies(db, app, phone.phone))


def test_the_setting_is_4_to_8_digits_and_never_shown(tmp_path):
    env = {"KINGA_VAR_DIR": str(tmp_path)}
    assert Settings.from_env(env).staff_sms_pin == ""
    settings = Settings.from_env(env | {"KINGA_STAFF_SMS_PIN": "0042"})
    assert settings.staff_sms_pin == "0042" and "0042" not in repr(settings)
    for bad in ("123", "123456789", "12a4", "١٢٣٤", "12 34"):
        with pytest.raises(SettingsError) as error:
            Settings.from_env(env | {"KINGA_STAFF_SMS_PIN": bad})
        assert str(error.value) == "KINGA_STAFF_SMS_PIN must be 4 to 8 digits (0-9), or unset"


@pytest.mark.parametrize("language", ["sw", "fr", "ar", "pt"])
def test_the_pin_in_every_language(app, db, reference, language):
    rt = app.extensions["kinga"]
    staff = rt.tree.sms.staff
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], languages=[language])
    phone = Texter(app.test_client(), phone=CASEWORKER_PHONE)
    ack = staff.display(staff.verbs, "ack", language)
    refused = load_translations(language).gettext(staff_replies.PIN_REFUSED).format(ACK=ack)
    if language in rt.profile.fold_accents:
        refused = fold_to_gsm7(refused)
    phone.send(f"{ack} {reference}")
    phone.send(f"{ack} 1111 {reference}")
    assert replies(db, app, phone.phone) == [refused, refused]
    assert EventKind.ACKNOWLEDGED not in kinds(db, reference)
    phone.send(f"{ack} {PIN} {reference}")
    assert EventKind.ACKNOWLEDGED in kinds(db, reference)
