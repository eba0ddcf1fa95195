"""Case references: 8 random digits and a Damm check digit, shown as ``482-177-302``.

The Damm algorithm catches every single-digit error and every swap of two adjacent digits,
so a mistyped reference is refused before any lookup.
"""

from __future__ import annotations

import re
import secrets

REFERENCE_LENGTH = 9
_SEPARATORS = re.compile(r"[\s.\-]")

# The totally anti-symmetric quasigroup of order 10 from Damm's thesis (2004).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_digit(digits: str) -> str:
    """The Damm check digit of a string of decimal digits."""
    interim = 0
    for char in digits:
        interim = _DAMM[interim][int(char)]
    return str(interim)


def new_reference() -> str:
    body = f"{secrets.randbelow(10 ** (REFERENCE_LENGTH - 1)):0{REFERENCE_LENGTH - 1}d}"
    return body + damm_digit(body)


def is_valid_reference(reference: str) -> bool:
    """True for exactly 9 ASCII digits whose Damm check is zero (no separators allowed)."""
    return (
        len(reference) == REFERENCE_LENGTH
        and reference.isascii()
        and reference.isdigit()
        and damm_digit(reference) == "0"
    )


def parse_reference(text: str) -> str | None:
    """The 9 digits of ``text`` (spaces, dashes and dots ignored) if the check digit holds."""
    digits = _SEPARATORS.sub("", text)
    return digits if is_valid_reference(digits) else None


def format_reference(reference: str) -> str:
    """``482-177-302`` for ``482177302``: display only, so the check digit is not verified."""
    if not (len(reference) == REFERENCE_LENGTH and reference.isascii() and reference.isdigit()):
        raise ValueError("a case reference is 9 digits")
    return f"{reference[0:3]}-{reference[3:6]}-{reference[6:9]}"
