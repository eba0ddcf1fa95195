"""Choosing an area in few hops: the most used areas first, the first letters of any spelling,
and alphabetical groups that reach every area by digits alone.

A flat list of 47 counties in code order put Nairobi 5 screens away in English and 12 in Arabic.
Here the first screen of an area question shows the profile's most used areas (as many as fit,
in the profile's order) and then every area, either itself or inside a group ("Ka-Ki"). A group
opens a screen of areas or of smaller groups. Groups are packed from the real rendered screens
(the caller's language, encoding and budget), so no screen overflows and the number of levels is
the smallest the budget allows; ``dialogs.check`` walks the screens and fails a profile whose
worst case is above its hop limit.

Typed letters find areas from any screen: case, accents, Arabic hamza and vowel marks,
spaces and punctuation do not matter, and every spelling counts (the name, its spelling per
language, its aliases), from the start of the name or of any word in it ("pokot" finds West
Pokot). Areas are shown in the caller's language where the profile spells them for it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

from dialogs.normalise import fold_word
from dialogs.render import language_chain

_WORD_BREAKS: Final = re.compile(r"[\s\-/]+")


@dataclass(frozen=True)
class Area:
    """One area of the profile: its stable code, its name, and other spellings.

    ``names`` holds ``(language, spelling)`` pairs for languages that write the name
    differently (Arabic script); ``aliases`` are other names callers use (a main town).
    """

    code: str
    name: str
    names: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = ()

    def label(self, language: str) -> str:
        """The name as a reader of ``language`` knows it."""
        spelled = dict(self.names)
        for code in language_chain(language):
            if code in spelled:
                return spelled[code]
        return self.name

    def spellings(self) -> Iterator[str]:
        """Its name in every language written for it."""
        yield self.name
        yield from (spelling for _language, spelling in self.names)


@dataclass(frozen=True)
class Group:
    """Consecutive areas (in the reader's alphabetical order) behind one choice."""

    label: str
    entries: tuple[Entry, ...]


Entry: TypeAlias = Area | Group
Fits = Callable[[Sequence[Entry]], bool]


def entry_label(entry: Entry, language: str) -> str:
    return entry.label(language) if isinstance(entry, Area) else entry.label


@functools.lru_cache(maxsize=4096)
def _keys(names: tuple[str, ...]) -> frozenset[str]:
    """Each name folded from each word on: ``West Pokot`` → ``westpokot``, ``pokot``."""
    keys: set[str] = set()
    for name in names:
        words = [fold_word(word) for word in _WORD_BREAKS.split(name)]
        words = [word for word in words if word]
        keys.update("".join(words[start:]) for start in range(len(words)))
    return frozenset(keys)


def find_areas(areas: Sequence[Area], typed: str) -> list[Area]:
    """The areas whose name (in any language) starts with the letters typed, in the given
    order; only when no name does, those with such an alias ("nai" is Nairobi, not also
    Nakuru for its town Naivasha; "eldo" is Uasin Gishu, for Eldoret). A whole name typed is
    that area, even when it starts another name too ("Meru", not also "Meru South")."""
    query = fold_word(typed)
    if not query:
        return []
    for spellings in (Area.spellings, lambda area: iter(area.aliases)):
        found = [area for area in areas if _starts(_keys(tuple(spellings(area))), query)]
        whole = [area for area in found if query in map(fold_word, spellings(area))]
        if found:
            return whole or found
    return []


def is_area_name(areas: Sequence[Area], typed: str) -> bool:
    """Whether ``typed`` is some area's whole name, in any language, or one of its aliases."""
    query = fold_word(typed)
    return bool(query) and any(
        query == fold_word(name) for area in areas for name in (*area.spellings(), *area.aliases)
    )


def _starts(keys: frozenset[str], query: str) -> bool:
    return any(key.startswith(query) for key in keys)


def arrange(
    areas: Sequence[Area],
    language: str,
    fits_root: Fits,
    fits_group: Fits,
    most_used: Sequence[Area] = (),
) -> tuple[Entry, ...]:
    """The entries of the first screen: ``most_used`` first, then every area or its group.

    ``fits_root`` and ``fits_group`` say whether a first screen, or a screen behind a group,
    with these entries fits the budget (with every error a re-prompt may show). When every area
    fits on the first screen there are no groups: the most used come first, then the others.
    Otherwise areas are packed into as few groups as fit, those groups into groups, and so on,
    until the first screen holds them all; the most used areas then take the room left.
    """
    ordered = sorted(areas, key=lambda area: (fold_word(area.label(language)), area.code))
    entries: list[Entry] = list(ordered)
    while len(entries) > 1 and not fits_root(entries):
        runs = _pack(entries, fits_group, language)
        if len(runs) >= len(entries):
            break  # not even two entries fit together: the check reports the overflow
        entries = [run[0] if len(run) == 1 else _group(run, ordered, language) for run in runs]
    wanted = [area for area in dict.fromkeys(most_used) if area in ordered]
    if entries == ordered:
        return (*wanted, *(area for area in ordered if area not in wanted))
    first: list[Area] = []
    for area in wanted:
        if not fits_root([*first, area, *entries]):
            break
        first.append(area)
    return (*first, *entries)


def _pack(entries: Sequence[Entry], fits_group: Fits, language: str) -> list[Sequence[Entry]]:
    """Consecutive runs that each fit one screen, as few as filling screens greedily makes:
    cut between initial letters when that costs no run ("K", "L-M" read like a phone book),
    else evened out (no group of one left at the end)."""
    initials = [fold_word(_first_area(entry).label(language))[:1] for entry in entries]
    letters = {i for i in range(1, len(entries)) if initials[i] != initials[i - 1]}
    greedy = _greedy(entries, fits_group, set())
    aligned = _greedy(entries, fits_group, letters | {len(entries)})
    if len(aligned) <= len(greedy):
        return aligned
    even: list[Sequence[Entry]] = []
    start = 0
    for left in range(len(greedy), 0, -1):
        end = start + -(-(len(entries) - start) // left)  # the rest shared among the runs left
        while end > start + 1 and not fits_group(entries[start:end]):
            end -= 1
        even.append(entries[start:end])
        start = end
    return even if start == len(entries) else greedy


def _greedy(entries: Sequence[Entry], fits_group: Fits, cuts: set[int]) -> list[Sequence[Entry]]:
    """Each run as long as a screen holds, ending at the last of ``cuts`` within it if any."""
    runs: list[Sequence[Entry]] = []
    start = 0
    while start < len(entries):
        end = start + 1
        while end < len(entries) and fits_group(entries[start : end + 1]):
            end += 1
        end = max((cut for cut in cuts if start < cut <= end), default=end)
        runs.append(entries[start:end])
        start = end
    return runs


def _group(run: Sequence[Entry], ordered: Sequence[Area], language: str) -> Group:
    """A group labelled with the first letters that set it apart from its neighbours
    (``Ki-Kis``), like the tabs of a phone book."""
    first, last = _first_area(run[0]), _last_area(run[-1])
    at, to = ordered.index(first), ordered.index(last)
    low = _prefix(first, ordered[at - 1] if at > 0 else None, language)
    high = _prefix(last, ordered[to + 1] if to + 1 < len(ordered) else None, language)
    return Group(low if low == high else f"{low}-{high}", tuple(run))


def _first_area(entry: Entry) -> Area:
    while isinstance(entry, Group):
        entry = entry.entries[0]
    return entry


def _last_area(entry: Entry) -> Area:
    while isinstance(entry, Group):
        entry = entry.entries[-1]
    return entry


def _prefix(area: Area, neighbour: Area | None, language: str) -> str:
    """The shortest start of ``area``'s folded name that its neighbour does not share."""
    name = fold_word(area.label(language)) or area.code
    other = fold_word(neighbour.label(language)) if neighbour is not None else ""
    shared = 0
    while shared < min(len(name), len(other)) and name[shared] == other[shared]:
        shared += 1
    prefix = name[: shared + 1]
    return prefix[:1].upper() + prefix[1:]
