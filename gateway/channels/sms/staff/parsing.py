"""What a staff SMS says: its verb, the PIN when the deployment asks for one, the reference and
the rest, forgiving what keypads and hurried thumbs do.

``Ack: 482-177-302.``, ``ack482177302`` and ``ACK 482 177 302`` are one command; digits may be
typed in Arabic-Indic or full-width forms. The verb is a word of the tree's staff keywords
(``dialogs.staff_keywords``) in any enabled language. A verb that takes no reference (HELP,
CASES) must be the whole message, PIN aside: "Cases of neglect at the school…" from a staff
phone is a report, not a command.

The PIN is the first run of digits after the verb, when 4 to 8 digits long; anything else there
(a reference typed without the PIN) is no PIN at all. Where it was typed is kept so that the
message log stores the text without it (``masked``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from dialogs.normalise import normalise_input
from dialogs.staff_keywords import StaffKeywords

PIN_MASK = "****"
PIN_LENGTHS = range(4, 9)
# The verb: the first letters (and the marks Arabic or accented text may carry on them), after
# anything that is no letter or digit (spaces, direction marks).
_HEAD = re.compile(r"[^\w]*((?:[^\W\d_]|[\u0300-\u036f\u064b-\u065f\u0670])+)", re.DOTALL)
_GAP = r"[\s:.,;#*!-]*"
_PIN = re.compile(_GAP + r"(\d+)(?!\d)")
# Nine digits, grouped or not (482-177-302, 482 177 302, 482.177.305), then punctuation.
_REFERENCE = re.compile(r"((?:\d[\s.\-]*){8}\d)(?!\d)[\s.,;:!-]*(.*)", re.DOTALL)


@dataclass(frozen=True)
class StaffCommand:
    verb: str  # a verb of the staff keywords: ack, note, close…
    reference: str | None  # nine digits as typed, None when missing or malformed
    rest: str = field(repr=False)  # the note, the level and reason, the closure reason and note
    pin: str | None = field(default=None, repr=False)  # as typed; None: none, or not asked for
    pin_span: tuple[int, int] | None = field(default=None, repr=False)

    def masked(self, text: str) -> str:
        """``text`` (the message this command was read from) without the PIN typed in it."""
        if self.pin_span is None:
            return text
        start, end = self.pin_span
        return text[:start] + PIN_MASK + text[end:]


def parse_staff_command(
    text: str,
    keywords: StaffKeywords,
    languages: Sequence[str],
    *,
    alone: Collection[str],
    pin: bool = False,
) -> StaffCommand | None:
    """The command in ``text``, or None when it is none (an ordinary conversation).

    ``alone``: the verbs that take no reference and are the whole message; ``pin``: whether a
    PIN is read after the verb.
    """
    head = _HEAD.match(text)
    if head is None:
        return None
    verb = keywords.verb(head.group(1), languages)
    if verb is None:
        return None
    at = head.end()
    typed_pin, pin_span = None, None
    found = _PIN.match(text, at) if pin else None
    if found is not None and len(found.group(1)) in PIN_LENGTHS:
        typed_pin, pin_span = normalise_input(found.group(1)), found.span(1)
        at = found.end()
    tail = re.sub(f"^{_GAP}", "", text[at:]).strip()
    if verb in alone:
        return None if tail else StaffCommand(verb, None, "", typed_pin, pin_span)
    reference = _REFERENCE.fullmatch(tail)
    if reference is None:
        return StaffCommand(verb, None, tail, typed_pin, pin_span)
    digits = re.sub(r"\D", "", normalise_input(reference.group(1)))
    return StaffCommand(verb, digits, (reference.group(2) or "").strip(), typed_pin, pin_span)
