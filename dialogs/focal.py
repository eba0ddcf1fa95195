"""The one-message report for trained focal points, over SMS.

Grammar (fields separated by spaces, commas, ``*`` or ``#``; digits in any script)::

    R [!] <category> <age> <sex> <area> <description>
    R 2 3 1 KE-047 Girl kept home from school, works at the market
    R! 1 1 3 047 Baby left alone for two days        (! = the child is in danger now)

- ``R`` is the prefix (``sms.focal_point.prefixes``); a REPORT keyword followed by a number
  works too (``RIPOTI 2 3 1 047 …``).
- ``!`` right after the prefix (``R!`` or ``R !``) answers "Is a child in danger right now?"
  with yes; without it the answer is no. Focal points report what they found; a child in
  danger now is a phone call to the helpline first, and the flag raises the case to immediate.
- The numbers are the option numbers of the USSD menus, in the order of
  ``sms.focal_point.fields`` (category 1-8, age band 1-5, sex 1-3 in the default tree).
- The area is a location code, with or without the country prefix: ``047``, ``47``,
  ``KE-047``, ``ke047``. With ``Context.country`` set, another country's prefix is refused.
- The description is required (at most ``max_text`` characters) and kept as typed.

A message is a one-message report only in its full shape: the prefix, then one number per
field (``has_focal_shape``). Anything else that starts with the prefix or a REPORT word
("Ripoti 2 watoto wanapigwa", a bare "R") is a reporter writing in words: it starts the
ordinary report with that text, never a refusal that reads like an error.

The report carries ``relationship: <sms.focal_point.relationship>`` and ``callback: no``: a
focal point who wants a call back can send STATUS and the reference afterwards. A wrong field
is reported alone, the first one found, with what it allows and the grammar.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from dialogs.keywords import DANGER_FLAG, FocalPoint
from dialogs.normalise import clean_free_text, normalise_input

if TYPE_CHECKING:
    from dialogs.engine import Area
    from dialogs.tree import Tree

_TOKEN: Final = re.compile(r"[\s,;*#]*([^\s,;*#]*)[\s,;*#]*(.*)", re.DOTALL)
_PREFIXED: Final = re.compile(r"([A-Z]{2})-?(.+)")


@dataclass(frozen=True)
class FocalError:
    """Which field is wrong: the SMS message to show and its ``{count}``/``{example}``."""

    message: str
    count: int = 0
    example: str = ""


def has_focal_shape(focal: FocalPoint, argument: str) -> bool:
    """Whether what follows the prefix starts with one number per field (``! 2 3 1 …``)."""
    rest = clean_free_text(argument).removeprefix(DANGER_FLAG)
    for _name in focal.fields:
        token, rest = _next_token(rest)
        number = normalise_input(token)
        if not (number.isascii() and number.isdigit()):
            return False
    return True


def parse_focal(
    tree: Tree,
    focal: FocalPoint,
    argument: str,
    danger: bool,
    areas: Sequence[Area],
    country: str = "",
) -> dict[str, str] | FocalError:
    """The answers of a one-message report (the USSD contract), or the first wrong field."""
    rest = clean_free_text(argument)
    if rest.startswith(DANGER_FLAG):
        danger, rest = True, rest[len(DANGER_FLAG) :]
    answers = {"danger": "yes" if danger else "no"}
    for name in focal.fields:
        token, rest = _next_token(rest)
        values = option_values(tree, name)
        number = normalise_input(token)
        if not (number.isascii() and number.isdigit() and 1 <= int(number) <= len(values)):
            return FocalError(f"focal_{name}", count=len(values))
        answers[name] = values[int(number) - 1]
    token, rest = _next_token(rest)
    area = find_area(token, areas, country)
    if area is None:
        example = areas[-1].code if areas else "047"
        if country:
            example = f"{country.upper()}-{example}"
        return FocalError("focal_area", example=example)
    text = clean_free_text(rest)
    if not text:
        return FocalError("focal_text")
    if len(text) > focal.max_text:
        return FocalError("focal_too_long", count=focal.max_text)
    answers.update(area=area, relationship=focal.relationship, narrative=text, callback="no")
    return answers


def option_values(tree: Tree, answer: str) -> list[str]:
    """The values of the first menu asking ``answer``, in option order (option 1 first)."""
    for node in tree.nodes.values():
        if node.answer == answer and node.options:
            return [option.value for option in node.options if option.value is not None]
    return []


def find_area(token: str, areas: Sequence[Area], country: str = "") -> str | None:
    """The area code ``token`` names: exact (any case), then as a number (``47`` = ``047``),
    then the same after a two-letter country prefix (``KE-047``)."""
    code = normalise_input(token).upper()
    if not code:
        return None
    candidates = [code]
    prefixed = _PREFIXED.fullmatch(code)
    if prefixed is not None and (not country or prefixed.group(1) == country.upper()):
        candidates.append(prefixed.group(2))
    for candidate in candidates:
        for area in areas:
            if area.code.upper() == candidate:
                return area.code
        if candidate.isascii() and candidate.isdigit():
            for area in areas:
                if area.code.isascii() and area.code.isdigit() and int(area.code) == int(candidate):
                    return area.code
    return None


def _next_token(text: str) -> tuple[str, str]:
    found = _TOKEN.fullmatch(text)
    assert found is not None  # the pattern matches any string
    return found.group(1), found.group(2)
