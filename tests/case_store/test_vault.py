"""The vault: Fernet encryption with key rotation, sealed records, and keyed phone hashes."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet

from case_store.crypto import Vault, VaultError

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
PHONE = "+254712345321"
NARRATIVE = "Amina Otieno, 9, is beaten by her uncle."


def test_encrypt_round_trips_and_hides_the_text() -> None:
    vault = Vault([OLD_KEY], "hash-key")
    token = vault.encrypt(NARRATIVE)
    assert vault.decrypt(token) == NARRATIVE
    assert b"Amina" not in token and b"uncle" not in token
    assert vault.encrypt(NARRATIVE) != token  # random IV: equal texts do not look equal


def test_first_key_encrypts_all_keys_decrypt() -> None:
    old_token = Vault([OLD_KEY], "k").encrypt(NARRATIVE)
    rotated_vault = Vault([NEW_KEY, OLD_KEY], "k")
    assert rotated_vault.decrypt(old_token) == NARRATIVE
    new_token = rotated_vault.encrypt(NARRATIVE)
    assert Vault([NEW_KEY], "k").decrypt(new_token) == NARRATIVE
    with pytest.raises(VaultError):
        Vault([OLD_KEY], "k").decrypt(new_token)


def test_rotate_re_encrypts_under_the_current_key() -> None:
    old_token = Vault([OLD_KEY], "k").encrypt(NARRATIVE)
    rotated = Vault([NEW_KEY, OLD_KEY], "k").rotate(old_token)
    assert Vault([NEW_KEY], "k").decrypt(rotated) == NARRATIVE
    with pytest.raises(VaultError):
        Vault([OLD_KEY], "k").decrypt(rotated)


def test_garbage_ciphertext_is_a_vault_error() -> None:
    with pytest.raises(VaultError):
        Vault([OLD_KEY], "k").decrypt(b"not a token")


def test_phone_hash_is_keyed_hmac_sha256() -> None:
    digest = Vault([OLD_KEY], "key-one").phone_hash(PHONE)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest == Vault([NEW_KEY], "key-one").phone_hash(PHONE)  # independent of Fernet keys
    assert digest != Vault([OLD_KEY], "key-two").phone_hash(PHONE)
    assert digest != hashlib.sha256(PHONE.encode()).hexdigest()
    assert "712345321" not in digest
    assert digest != Vault([OLD_KEY], "key-one").phone_hash("+254712345322")


@pytest.mark.parametrize("phone", ["254712345321", "+0712345321", "+2547 1234 5321", "", "+1"])
def test_phone_hash_refuses_non_e164_without_echoing_it(phone: str) -> None:
    with pytest.raises(VaultError) as raised:
        Vault([OLD_KEY], "k").phone_hash(phone)
    assert phone == "" or phone not in str(raised.value)


@pytest.mark.parametrize(
    ("keys", "hash_key"),
    [([], "k"), (["not-a-fernet-key"], "k"), ([OLD_KEY], ""), (OLD_KEY, "k")],
)
def test_bad_configuration_is_refused(keys: list[str] | str, hash_key: str) -> None:
    with pytest.raises(VaultError):
        Vault(keys, hash_key)


def test_repr_shows_no_key() -> None:
    vault = Vault([OLD_KEY], "secret-hash-key")
    assert OLD_KEY not in repr(vault) and "secret-hash-key" not in repr(vault)


# Sealed records: what Redis keeps of a live conversation.
RECORD = '{"s":{"answers":{"place":"Kibera, behind the church","narrative":"Amina is beaten"}}}'
CONTEXT = b"kinga:ussd:africastalking:ATUid_1"


def test_seal_round_trips_and_hides_the_text() -> None:
    vault = Vault([OLD_KEY], "k")
    token = vault.seal(RECORD.encode(), context=CONTEXT)
    assert vault.unseal(token, context=CONTEXT) == RECORD.encode()
    for text in (b"Kibera", b"church", b"Amina", b"beaten", b"answers"):
        assert text not in token
    assert vault.seal(RECORD.encode(), context=CONTEXT) != token  # a fresh nonce each time


def test_a_sealed_record_costs_29_bytes_over_its_deflated_form() -> None:
    vault = Vault([OLD_KEY], "k")
    incompressible = bytes(range(256))
    overhead = len(vault.seal(incompressible, context=CONTEXT)) - len(incompressible)
    assert 29 <= overhead <= 29 + 8  # version, nonce, tag; deflate stores it almost as is
    repeated = RECORD.encode() * 4  # a screen repeats the answers it summarises
    assert len(vault.seal(repeated, context=CONTEXT)) < len(repeated) // 2


def test_first_key_seals_all_keys_unseal() -> None:
    old_token = Vault([OLD_KEY], "k").seal(RECORD.encode(), context=CONTEXT)
    rotated_vault = Vault([NEW_KEY, OLD_KEY], "k")
    assert rotated_vault.unseal(old_token, context=CONTEXT) == RECORD.encode()
    new_token = rotated_vault.seal(RECORD.encode(), context=CONTEXT)
    assert Vault([NEW_KEY], "k").unseal(new_token, context=CONTEXT) == RECORD.encode()
    with pytest.raises(VaultError):
        Vault([OLD_KEY], "k").unseal(new_token, context=CONTEXT)


def test_the_sealing_key_is_derived_not_the_fernet_key_itself() -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    token = Vault([OLD_KEY], "k").seal(RECORD.encode(), context=CONTEXT)
    raw = AESGCM(base64.urlsafe_b64decode(OLD_KEY))
    with pytest.raises(InvalidTag):
        raw.decrypt(token[1:13], token[13:], token[:1] + CONTEXT)


def test_a_record_opens_only_where_it_was_stored() -> None:
    vault = Vault([OLD_KEY], "k")
    token = vault.seal(RECORD.encode(), context=CONTEXT)
    with pytest.raises(VaultError):
        vault.unseal(token, context=b"kinga:ussd:africastalking:ATUid_2")


@pytest.mark.parametrize("position", [0, 1, 12, 13, -1])
def test_a_tampered_record_does_not_open(position: int) -> None:
    vault = Vault([OLD_KEY], "k")
    token = bytearray(vault.seal(RECORD.encode(), context=CONTEXT))
    token[position] ^= 0x01
    with pytest.raises(VaultError) as raised:
        vault.unseal(bytes(token), context=CONTEXT)
    assert "Kibera" not in str(raised.value)


@pytest.mark.parametrize(
    "token", [b"", b"\x01", b"\x01" + bytes(12), b"\x01" + bytes(40), RECORD.encode()]
)
def test_garbage_and_plain_records_do_not_open(token: bytes) -> None:
    with pytest.raises(VaultError):
        Vault([OLD_KEY], "k").unseal(token, context=CONTEXT)
