"""The vault: Fernet encryption with key rotation, and keyed phone hashes."""

from __future__ import annotations

import hashlib

import pytest
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
