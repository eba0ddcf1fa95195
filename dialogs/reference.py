"""Case references: 8 random digits and a Damm check digit, shown as ``482-177-305``.

The Damm algorithm catches every single mistyped digit and every swap of two adjacent digits,
so a typo is caught here, before any lookup, without telling the caller anything about which
references exist. The case store creates references with the same ``damm_digit``.
"""

from __future__ import annotations

from typing import Final

from dialogs.normalise import normalise_input

LENGTH: Final = 9

# The totally anti-symmetric quasigroup of order 10 from Damm (2004).
_TABLE: Final = (
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
    """The check digit to append to ``digits`` (ASCII digits only)."""
    interim = 0
    for char in digits:
        interim = _TABLE[interim][int(char)]
    return str(interim)


def parse_reference(text: str) -> str | None:
    """The 9 digits of a valid reference typed any usual way, or None.

    Accepts separators (spaces, dashes, dots), Arabic-Indic and full-width digits.
    """
    digits = "".join(char for char in normalise_input(text) if char not in " -./")
    if len(digits) != LENGTH or not digits.isascii() or not digits.isdigit():
        return None
    return digits if damm_digit(digits) == "0" else None


def format_reference(digits: str) -> str:
    """``482177305`` → ``482-177-305``."""
    return "-".join(digits[i : i + 3] for i in range(0, len(digits), 3))
