"""What a caller types, made comparable: digits in any script, stray marks, spaces.

Phones in Arabic locales send Arabic-Indic (٠-٩) or Eastern Arabic-Indic (۰-۹) digits, some
keyboards full-width digits (０-９), and right-to-left text often carries invisible direction
marks. Choices and references are compared after this; free text is only trimmed and cleaned
of the invisible marks at its edges, never rewritten inside. Words (SMS keywords, answers in
words, an option's own label) are compared folded: case, accents, Arabic hamza and vowel
marks, tatweel, spaces and punctuation do not matter, because basic phones and hurried
thumbs drop them.
"""

from __future__ import annotations

import unicodedata
from typing import Final

_DIGITS: Final = str.maketrans(
    {
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
        **{chr(0xFF10 + i): str(i) for i in range(10)},
    }
)
# Direction marks, embeddings, isolates, zero-width characters and the byte order mark.
_INVISIBLE: Final = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)
_SPACES: Final = str.maketrans(dict.fromkeys("\u00a0\u2007\u202f\u3000\t", " "))
# Arabic letters written either way: taa marbuta as haa, alif maqsura as yaa, no tatweel.
_ARABIC: Final = str.maketrans({"\u0629": "\u0647", "\u0649": "\u064a", "\u0640": None})


def normalise_input(text: str) -> str:
    """ASCII digits, no invisible marks, ordinary spaces, trimmed: for choices and numbers."""
    cleaned = "".join(char for char in text if char not in _INVISIBLE)
    return " ".join(cleaned.translate(_DIGITS).translate(_SPACES).split())


def clean_free_text(text: str) -> str:
    """Free text as typed, minus surrounding spaces and invisible marks at either edge."""
    edges = "".join(_INVISIBLE) + " \t\u00a0\u3000"
    return text.strip(edges)


def fold_word(text: str) -> str:
    """``Arrêt!`` → ``arret``; ``إيقاف`` → ``ايقاف``: letters and digits, no marks, lower case."""
    decomposed = unicodedata.normalize("NFKD", normalise_input(text).translate(_ARABIC))
    return "".join(
        char
        for char in decomposed.casefold()
        if char.isalnum() and not unicodedata.category(char).startswith("M")
    )
