"""Staff command keywords: what caseworkers text from a work phone, in every language.

The tree's ``sms.staff`` section is data like the reporters' keywords (``dialogs.keywords``),
and compared the same way (folded: ``dialogs.normalise.fold_word``):

- ``keywords`` maps ``any`` or a language to ``{verb: [words]}``: the verbs the gateway runs
  (``gateway/channels/sms/staff/``). ``any`` holds the English words, accepted from every
  staff phone whatever its language; each other language lists its own word for every verb.
- ``levels`` and ``reasons`` map ``any`` or a language to ``{level: [words]}`` and
  ``{closure reason: [words]}``: what ``LEVEL`` and ``CLOSE`` take after the reference (one
  or a few words: ``HARAKA SANA``, ``SANS SUITE``), the first of each shown in replies.
- ``consent`` maps ``any`` or a language to ``{"yes": [words], "no": [words]}``: what
  ``CALLED`` may take after the reference, the reporter's answer to being referred to
  services (``CALLED 482177302 CONSENT``, ``NOCONSENT``), read and shown like a level.

Only a phone that belongs to a staff user is read for these, so a staff word may be a
reporters' HELP word (a staff phone texting HELP gets the staff help), but never another
reporters' keyword: STOP, START, a report or a follow-up from a staff phone keep their meaning.
A verb is one word of letters (``ACK482177302`` is read as ACK and a reference).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from dialogs.normalise import fold_word

ANY_LANGUAGE: Final = "any"
REPORTER_HELP: Final = "help"
# The keys of the consent table: the reporter agreed to services, or refused.
CONSENT_ANSWERS: Final = ("yes", "no")
# A level or a reason is named in at most this many words (``HARAKA SANA``).
MAX_PHRASE_WORDS: Final = 3

Table = Mapping[str, Mapping[str, tuple[str, ...]]]  # group → key → words


@dataclass(frozen=True)
class StaffKeywords:
    verbs: Table = field(default_factory=dict)
    levels: Table = field(default_factory=dict)
    reasons: Table = field(default_factory=dict)
    consent: Table = field(default_factory=dict)
    # Folded look-ups per (table, languages), built once (``_lookup``).
    _folded: dict[tuple[int, tuple[str, ...]], dict[str, str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def verb(self, word: str, languages: Sequence[str]) -> str | None:
        """The verb ``word`` names in ``languages`` or ``any``, or None."""
        return self._lookup(self.verbs, languages).get(fold_word(word))

    def leading(self, table: Table, text: str, languages: Sequence[str]) -> tuple[str, str] | None:
        """The key of ``table`` (a level, a reason) the first words of ``text`` name, and the
        rest as typed; None when they name none."""
        found = self._lookup(table, languages)
        words = list(re.finditer(r"\S+", text))
        for count in range(min(MAX_PHRASE_WORDS, len(words)), 0, -1):
            end = words[count - 1].end()
            key = found.get(fold_word(text[:end]))
            if key is not None:
                return key, text[end:].strip()
        return None

    def _lookup(self, table: Table, languages: Sequence[str]) -> dict[str, str]:
        """Folded word → key, for ``any`` and ``languages`` (validation keeps one key per
        word); ``table`` is one of this object's own, so its id names it while it lives."""
        cache_key = (id(table), tuple(languages))
        found = self._folded.get(cache_key)
        if found is None:
            found = self._folded[cache_key] = {}
            for group in (ANY_LANGUAGE, *languages):
                for key, words in table.get(group, {}).items():
                    found.update((fold_word(word), key) for word in words)
        return found

    def display(self, table: Table, key: str, language: str) -> str:
        """The word shown for ``key`` of ``table`` to a reader of ``language``: the first of
        their language, else the first of ``any``."""
        for group in (language, ANY_LANGUAGE):
            words = table.get(group, {}).get(key)
            if words:
                return words[0]
        return key.upper()


def validate_staff_keywords(
    staff: StaffKeywords,
    reporter_keywords: Table,
    focal_prefixes: Sequence[str],
) -> Iterator[str]:
    """Verbs are one word each, no reporters' keyword but HELP is one; a word means one thing
    in each table; every key a language lists is in ``any``."""
    reporters: dict[str, set[str]] = {}
    for commands in reporter_keywords.values():
        for command, words in commands.items():
            for word in words:
                reporters.setdefault(fold_word(word), set()).add(command)
    for group, verbs in staff.verbs.items():
        for verb, words in verbs.items():
            where = f"sms.staff.keywords.{group}.{verb}"
            for word in words:
                folded = fold_word(word)
                if not word.isalpha():
                    yield f"{where}: {word!r} must be one word of letters"
                clashes = reporters.get(folded, set()) - ({REPORTER_HELP} & {verb})
                if clashes:
                    yield f"{where}: {word!r} is also the reporters' {sorted(clashes)[0]} keyword"
                if folded in focal_prefixes:
                    yield f"{where}: {word!r} is also the focal-point prefix"
    for name, table in _tables(staff):
        yield from _one_meaning(f"sms.staff.{name}", table)
        known = set(table.get(ANY_LANGUAGE, {}))
        for group, keys in table.items():
            yield from (
                f"sms.staff.{name}.{group}: {key!r} is not listed under {ANY_LANGUAGE}"
                for key in keys
                if key not in known
            )


def staff_language_problems(staff: StaffKeywords, language: str) -> Iterator[str]:
    """Verbs, levels, reasons and consent answers ``language`` has no word of its own for
    (``any`` is English)."""
    for name, table in _tables(staff):
        own = table.get(language, {})
        yield from (
            f"sms.staff.{name}: language {language} has no word for {key!r}"
            for key in table.get(ANY_LANGUAGE, {})
            if not own.get(key)
        )


def _tables(staff: StaffKeywords) -> tuple[tuple[str, Table], ...]:
    return (
        ("keywords", staff.verbs),
        ("levels", staff.levels),
        ("reasons", staff.reasons),
        ("consent", staff.consent),
    )


def _one_meaning(where: str, table: Table) -> Iterator[str]:
    meanings: dict[str, set[str]] = {}
    for group, keys in table.items():
        for key, words in keys.items():
            for word in words:
                folded = fold_word(word)
                if not folded or folded.isdigit():
                    yield f"{where}.{group}.{key}: {word!r} cannot be a keyword"
                meanings.setdefault(folded, set()).add(key)
    for folded, meant in sorted(meanings.items()):
        if len(meant) > 1:
            yield f"{where}: {folded!r} means {' and '.join(sorted(meant))}"
