"""USSD and SMS session records in Redis are sealed by the vault; one that no configured key
opens is treated as absent (and logged without its content), never an error."""

from __future__ import annotations

import json
import logging

import pytest
from cryptography.fernet import Fernet
from ussd_client import Caller

from case_store.crypto import Vault
from gateway.channels.sms.sessions import SmsSession, SmsSessionStore
from gateway.channels.ussd.sessions import UssdSession, UssdSessionStore

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
PLACE = "Kibera, behind the blue church"
NARRATIVE = "Amina is locked in at night"
STATE = {
    "node": "report_summary",
    "answers": {"place": PLACE, "narrative": NARRATIVE},
    "page": 0,
    "invalid": 0,
    "steps": 9,
}
PHONE_HASH = "ab" * 32


def ussd_store(redis_client, *keys: str) -> UssdSessionStore:
    return UssdSessionStore(redis_client, Vault(list(keys), "k"), 300, 120)


def sms_store(redis_client, *keys: str) -> SmsSessionStore:
    return SmsSessionStore(redis_client, Vault(list(keys), "k"), 3600)


def resumable(store: UssdSessionStore, session_id: str = "ATUid_2") -> UssdSession | None:
    """The caller's session that a new session (``session_id``) would offer back."""
    return store.resumable(store.lookup("africastalking", session_id, PHONE_HASH))


def ussd_record() -> UssdSession:
    return UssdSession.after("1*2*3", STATE, f"Summary: {PLACE}", False, "en", 1767225600.0)


def test_a_ussd_record_is_sealed_and_opens_again(redis_client) -> None:
    store = ussd_store(redis_client, OLD_KEY)
    store.save("africastalking", "ATUid_1", PHONE_HASH, ussd_record(), resumable=True)
    raw = redis_client.get(store.key("africastalking", "ATUid_1"))
    for text in (PLACE, NARRATIVE, "Summary", "answers"):
        assert text.encode() not in raw
    assert store.load("africastalking", "ATUid_1") == ussd_record()
    assert resumable(store) == ussd_record()


def test_a_rotated_key_still_opens_live_sessions_until_it_is_removed(redis_client, caplog) -> None:
    ussd_store(redis_client, OLD_KEY).save(
        "africastalking", "ATUid_1", PHONE_HASH, ussd_record(), resumable=True
    )
    sms_store(redis_client, OLD_KEY).save(PHONE_HASH, SmsSession(STATE, "sw", 1767225600.0))

    rotated_ussd = ussd_store(redis_client, NEW_KEY, OLD_KEY)
    rotated_sms = sms_store(redis_client, NEW_KEY, OLD_KEY)
    assert rotated_ussd.load("africastalking", "ATUid_1") == ussd_record()
    assert rotated_sms.load(PHONE_HASH) == SmsSession(STATE, "sw", 1767225600.0)

    with caplog.at_level(logging.WARNING):
        assert ussd_store(redis_client, NEW_KEY).load("africastalking", "ATUid_1") is None
        assert resumable(ussd_store(redis_client, NEW_KEY)) is None
        assert sms_store(redis_client, NEW_KEY).load(PHONE_HASH) is None
    assert len(caplog.records) == 3
    assert "treated as absent" in caplog.text
    assert PLACE not in caplog.text and NARRATIVE not in caplog.text
    assert PHONE_HASH not in caplog.text


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[:-1] + bytes([raw[-1] ^ 1]),  # one bit of the tag
        lambda raw: raw[:20] + bytes([raw[20] ^ 1]) + raw[21:],  # one bit of the data
        lambda raw: raw[:10],  # cut short
        lambda raw: json.dumps({"s": STATE, "l": "en", "b": 1.0}).encode(),  # plain, as before
    ],
)
def test_an_altered_record_is_absent(redis_client, damage) -> None:
    ussd, sms = ussd_store(redis_client, OLD_KEY), sms_store(redis_client, OLD_KEY)
    ussd.save("africastalking", "ATUid_1", PHONE_HASH, ussd_record(), resumable=True)
    sms.save(PHONE_HASH, SmsSession(STATE, "en", 1.0))
    for key in (ussd.key("africastalking", "ATUid_1"), sms.key(PHONE_HASH)):
        redis_client.set(key, damage(redis_client.get(key)))
    assert ussd.load("africastalking", "ATUid_1") is None
    assert sms.load(PHONE_HASH) is None


def test_a_record_copied_under_another_session_does_not_open(redis_client) -> None:
    store = ussd_store(redis_client, OLD_KEY)
    store.save("africastalking", "ATUid_1", PHONE_HASH, ussd_record(), resumable=True)
    copied = redis_client.get(store.key("africastalking", "ATUid_1"))
    redis_client.set(store.key("africastalking", "ATUid_2"), copied)
    assert store.load("africastalking", "ATUid_2") is None


def test_a_caller_whose_record_cannot_be_opened_starts_afresh(client, app, redis_client) -> None:
    caller = Caller(client)
    caller.dial()
    caller.answer("1")
    key = app.extensions["kinga"].ussd_sessions.key("africastalking", caller.session_id)
    other = ussd_store(redis_client, NEW_KEY)  # sealed under a key this app does not hold
    other.save("africastalking", caller.session_id, PHONE_HASH, ussd_record(), resumable=True)
    assert redis_client.exists(key)
    assert caller.answer("2").startswith("CON Welcome to Kinga")


def test_resume_turned_off_keeps_sessions_and_offers_nothing_back(redis_client) -> None:
    """``resume_minutes: 0`` in the profile: sessions work, no pointer offers a report back."""
    store = UssdSessionStore(redis_client, Vault([NEW_KEY], "k"), 300, 0)
    store.save("africastalking", "ATUid_1", PHONE_HASH, ussd_record(), resumable=True)
    assert store.load("africastalking", "ATUid_1") == ussd_record()
    assert resumable(store) is None


def test_the_callers_pointer_lasts_while_the_session_could_be_resumed(redis_client) -> None:
    """A session that moves to where nothing is left to resume (an end, the main menu) takes
    its caller's pointer away: the caller's next session then reads nothing more."""
    store = ussd_store(redis_client, NEW_KEY)
    store.save("africastalking", "ATUid_1", PHONE_HASH, ussd_record(), resumable=True)
    assert resumable(store) == ussd_record()
    store.save("africastalking", "ATUid_1", PHONE_HASH, ussd_record(), resumable=False)
    assert not redis_client.exists(store.latest_key("africastalking", PHONE_HASH))
    assert resumable(store) is None
    assert store.load("africastalking", "ATUid_1") == ussd_record()
