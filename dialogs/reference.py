"""Case references as a caller types them: any usual spelling, checked before any lookup.

The reference scheme itself (8 random digits and a Damm check digit, shown as ``482-177-302``)
lives in ``case_store.references``, a pure module with no database import; this adds what the
dialogs accept on top of it: Arabic-Indic and full-width digits and direction marks.
"""

from __future__ import annotations

from case_store.references import damm_digit, format_reference, is_valid_reference
from dialogs.normalise import normalise_input

__all__ = ["damm_digit", "format_reference", "parse_reference"]


def parse_reference(text: str) -> str | None:
    """The 9 digits of a valid reference typed any usual way, or None.

    Accepts separators (spaces, dashes, dots), Arabic-Indic and full-width digits.
    """
    digits = "".join(char for char in normalise_input(text) if char not in " -./")
    return digits if is_valid_reference(digits) else None
