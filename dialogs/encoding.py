"""How a text travels over SMS and USSD: GSM-7 or UCS-2, and how much room it takes.

GSM 03.38 (3GPP TS 23.038) defines the 7-bit default alphabet and its extension table; a text
with any other character is sent as UCS-2 (in practice UTF-16). Segment sizes follow the
concatenated-SMS user data header: 160 septets or 70 units alone, 153 or 67 per part.
Twilio's segment calculator (npm ``sms-segments-calculator``) is the reference we test against.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

Encoding = Literal["GSM-7", "UCS-2"]

GSM7: Final = "GSM-7"
UCS2: Final = "UCS-2"

# The 128 positions of the basic table in order; 0x1B is the escape to the extension table.
GSM7_BASIC_TABLE: Final = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_ESCAPE: Final = "\x1b"
# Characters reached through the escape: each costs two septets.
GSM7_EXTENSION: Final = frozenset("\f^{}\\[~]|€")
GSM7_CHARACTERS: Final = frozenset(GSM7_BASIC_TABLE.replace(GSM7_ESCAPE, "")) | GSM7_EXTENSION

GSM7_SINGLE: Final = 160
GSM7_PART: Final = 153
UCS2_SINGLE: Final = 70
UCS2_PART: Final = 67

# Dialog replies over SMS: at most this many segments (306 GSM-7 septets or 134 UCS-2 units).
SMS_SEGMENTS: Final = 2

# Africa's Talking: 160 octets per screen; many networks cut at 160 characters.
USSD_BUDGET: Final = 160
USSD_UCS2_LIMIT: Final = 80

_SPACES = "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_SPACES += "\u202f\u205f\u3000"
_INVISIBLE = "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
_INVISIBLE += "\u2060\u2066\u2067\u2068\u2069\ufeff"
_LOOKALIKES: Final = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201b\u2032", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        **dict.fromkeys(_SPACES, " "),
        **dict.fromkeys("\u2028\u2029", "\n"),
        **dict.fromkeys(_INVISIBLE, None),
        "\u2026": "...",
    }
)

_ZWJ = "\u200d"
_CONTINUES_CLUSTER = frozenset({"Mn", "Me", "Mc"})


@dataclass(frozen=True)
class Analysis:
    """What a text costs as an SMS.

    ``characters`` counts code points; ``units`` counts septets (GSM-7, extension characters
    twice) or UTF-16 code units (UCS-2, characters outside the BMP twice).
    """

    encoding: Encoding
    characters: int
    units: int
    segments: int


class Capacity(NamedTuple):
    """Room on one USSD screen: the encoding, the units used and the units allowed."""

    encoding: Encoding
    used: int
    limit: int


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_CHARACTERS for char in text)


def non_gsm_characters(text: str) -> tuple[str, ...]:
    """The distinct characters that force ``text`` into UCS-2, in order of appearance."""
    return tuple(dict.fromkeys(char for char in text if char not in GSM7_CHARACTERS))


def normalise(text: str) -> str:
    """Replace typographic look-alikes (quotes, dashes, spaces, ellipsis, invisible marks).

    Replacement only pays when it brings the whole text into GSM-7. When the text needs UCS-2
    anyway it gains nothing and could harm (an ellipsis grows to three units; zero-width joiners
    and direction marks carry meaning in Arabic, Persian and emoji), so the text is returned as is.
    Letters are never touched, in any script.
    """
    replaced = text.translate(_LOOKALIKES)
    return replaced if is_gsm7(replaced) else text


def analyse(text: str) -> Analysis:
    """Encoding, length and number of SMS segments of ``text``, exactly as it would be sent."""
    if is_gsm7(text):
        sizes = [2 if char in GSM7_EXTENSION else 1 for char in text]
        return Analysis(GSM7, len(text), sum(sizes), _pack(sizes, GSM7_SINGLE, GSM7_PART))
    sizes = _ucs2_clusters(text)
    return Analysis(UCS2, len(text), sum(sizes), _pack(sizes, UCS2_SINGLE, UCS2_PART))


def within_segments(text: str, max_segments: int) -> bool:
    return analyse(text).segments <= max_segments


def ussd_capacity(text: str, budget: int = USSD_BUDGET) -> Capacity:
    """Room used and allowed on one USSD screen.

    GSM-7 screens hold ``budget`` septets (extension characters count two). UCS-2 screens hold
    80 UTF-16 units, or ``budget`` if a network cuts shorter than that.
    """
    analysis = analyse(text)
    limit = budget if analysis.encoding == GSM7 else min(budget, USSD_UCS2_LIMIT)
    return Capacity(analysis.encoding, analysis.units, limit)


def ussd_fits(text: str, budget: int = USSD_BUDGET) -> bool:
    capacity = ussd_capacity(text, budget)
    return capacity.used <= capacity.limit


def _pack(sizes: list[int], single: int, part: int) -> int:
    """Count parts by filling them in order; an item never straddles two parts."""
    if sum(sizes) <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used and used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts


def _ucs2_clusters(text: str) -> list[int]:
    """UTF-16 sizes of the pieces a UCS-2 part boundary may not cut.

    Approximates Unicode extended grapheme clusters (UAX #29), which the standard library does
    not provide: marks, emoji modifiers, tags and variation selectors stay with their base,
    ZWJ sequences and flag pairs stay whole. Twilio's calculator and Android keep clusters whole
    too. A cluster too long for one part is cut between code points, never inside a surrogate
    pair. Not modelled (rare in our languages): conjoining Hangul jamo and prepended marks such
    as U+0600, which the calculator keeps with the next character.
    """
    clusters: list[list[int]] = []
    previous = ""
    regional_run = 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        regional = 0x1F1E6 <= ord(char) <= 0x1F1FF
        if clusters and _joins(previous, char, regional and regional_run % 2 == 1):
            clusters[-1].append(size)
        else:
            clusters.append([size])
        regional_run = regional_run + 1 if regional else 0
        previous = char
    return [size for c in clusters for size in (c if sum(c) > UCS2_PART else [sum(c)])]


def _joins(previous: str, char: str, completes_flag: bool) -> bool:
    if unicodedata.category(previous) == "Cc" or unicodedata.category(char) == "Cc":
        return False
    code = ord(char)
    return (
        completes_flag
        or char == _ZWJ
        or unicodedata.category(char) in _CONTINUES_CLUSTER
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # emoji tag sequences
        or (previous == _ZWJ and unicodedata.category(char) == "So")
    )
