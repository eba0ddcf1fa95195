"""Phone numbers at the edge: every number entering Kinga is checked and put in E.164 form."""

from __future__ import annotations

import phonenumbers

from case_store.crypto import E164


class InvalidPhoneNumber(ValueError):
    pass


def to_e164(value: str) -> str:
    """``value`` in E.164 (``+2547…``), or ``InvalidPhoneNumber``. The message never echoes it."""
    value = value.strip()
    if not value.startswith("+"):
        raise InvalidPhoneNumber("phone number must be in E.164 form, starting with +")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber("phone number is not a valid E.164 number") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumber("phone number is not a possible number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # phonenumbers calls some 16-digit and some 5-digit numbers possible; E.164 allows at most
    # 15 digits, and the vault hashes nothing shorter than a subscriber number (7).
    if not E164.fullmatch(e164):
        raise InvalidPhoneNumber("phone number is not a possible number")
    return e164
