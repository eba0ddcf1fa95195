"""Answers in words: what a caller may type instead of an option's number.

Wherever a numbered choice is asked (menus, summaries, lists, the resume screen), over USSD
and SMS alike, the engine also accepts:
- the number with the punctuation habits add: ``1.``, ``1)``, ``(1)``, ``1-``;
- the option's own label as the caller reads it, compared folded
  (``dialogs.normalise.fold_word``: case, accents, Arabic hamza do not matter), so ``nao``
  picks ``2. Não`` and ``Sair`` picks ``0. Sair``;
- on menus, a word of the tree's ``words:`` section in the session's language, which picks
  the option whose ``value`` is the word's key: ``ndiyo`` picks the option with value ``yes``
  whether it reads "Ndiyo" or "Ndiyo, nipigieni".

The place question (an areas list) takes letters instead (``dialogs.places``): a name typed
there is a place, never a yes/no word, and only "Exit" and "Back" are also taken by their
labels, unless an area bears that name.

A word that names two options picks neither and the caller is asked again. The lists are data
in the tree, checked twice: when the tree loads, that each word has one meaning per language,
means an option value, and is no SMS keyword, a staff one included (``validate_words``); with
the catalogs, that no word or label names two options of one question in any language
(``word_problems``, run by ``dialogs.check``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from babel.support import Translations

from dialogs.normalise import fold_word, normalise_input
from dialogs.screen import Message, Text

if TYPE_CHECKING:
    from dialogs.tree import Tree

# value → language → folded words
Words = Mapping[str, Mapping[str, frozenset[str]]]
_NUMBERED: Final = re.compile(r"\(?\s*(\d+)\s*[.)-]?\s*\)?")


@dataclass(frozen=True)
class Candidate:
    """An option as the caller sees it: its label in their language, and its value if words
    may name it (menus only: a list's values are area or language codes)."""

    label: str
    value: str | None = None


def numbered(typed: str) -> str | None:
    """``1.``, ``1)``, ``(1)``, ``١.`` → ``1``; None when ``typed`` is not a number."""
    found = _NUMBERED.fullmatch(normalise_input(typed))
    return found.group(1) if found is not None else None


def shown(label: Text, translations: Translations) -> str:
    """An option's label as the caller reads it (an area name is shown as it is)."""
    return label if isinstance(label, str) else translations.gettext(label.msgid)


def words_in(words: Words, language: str) -> dict[str, frozenset[str]]:
    """value → folded words, for ``language`` (``pt_BR`` falls back to ``pt``)."""
    base = re.split(r"[-_]", language, maxsplit=1)[0]
    found: dict[str, frozenset[str]] = {}
    for value, by_language in words.items():
        listed = by_language.get(language) or by_language.get(base)
        if listed:
            found[value] = listed
    return found


def pick(
    typed: str, candidates: Sequence[Candidate], words: Mapping[str, frozenset[str]]
) -> int | None:
    """The index of the one candidate ``typed`` names, by label or word; None if none or two."""
    folded = fold_word(typed)
    if not folded:
        return None
    hits = [
        index
        for index, candidate in enumerate(candidates)
        if fold_word(candidate.label) == folded
        or (candidate.value is not None and folded in words.get(candidate.value, ()))
    ]
    return hits[0] if len(hits) == 1 else None


def parse_words(raw: Any, problems: list[str]) -> dict[str, dict[str, frozenset[str]]]:
    """The ``words:`` section: ``{value: {language: [word, …]}}`` (absent: labels only)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append("words: must map an option value to {language: [words]}")
        return {}
    parsed: dict[str, dict[str, frozenset[str]]] = {}
    for value, by_language in raw.items():
        if not isinstance(by_language, dict):
            problems.append(f"words.{value}: must map a language to a list of words")
            continue
        parsed[str(value)] = {}
        for language, words in by_language.items():
            if not isinstance(words, list) or not words:
                problems.append(f"words.{value}.{language}: a list of words is required")
                continue
            if not all(isinstance(word, str) for word in words):
                # YAML reads a bare YES or NO as a boolean: the word would silently be "true".
                problems.append(f"words.{value}.{language}: quote every word ({words!r})")
            folded = {fold_word(str(word)) for word in words}
            if "" in folded or any(word.isdigit() for word in folded):
                problems.append(f"words.{value}.{language}: a word needs letters")
            parsed[str(value)][str(language)] = frozenset(folded - {""})
    return parsed


def validate_words(tree: Tree) -> Iterator[str]:
    """One meaning per word and language, an option value behind each, and no SMS keyword."""
    from dialogs.tree import CHOICE_KINDS

    values = {
        option.value
        for node in tree.nodes.values()
        if node.kind in CHOICE_KINDS
        for option in node.options
    }
    keywords = {
        fold_word(word)
        for tables in (tree.sms.keywords, tree.sms.staff.verbs)
        for table in tables.values()
        for words in table.values()
        for word in words
    }
    meanings: dict[tuple[str, str], set[str]] = {}
    for value, by_language in tree.words.items():
        if value not in values:
            yield f"words.{value}: no option has the value {value!r}"
        for language, words in by_language.items():
            for word in sorted(words):
                meanings.setdefault((word, language), set()).add(value)
                if word in keywords:
                    yield f"words.{value}.{language}: {word!r} is also an SMS keyword"
    for (word, language), meant in sorted(meanings.items()):
        if len(meant) > 1:
            yield f"words: {word!r} ({language}) means {' and '.join(sorted(meant))}"


def word_problems(tree: Tree, language: str, translations: Translations) -> Iterator[str]:
    """Questions where one word or label names two options in ``language`` (catalogs needed)."""
    from dialogs.tree import CHOICE_KINDS

    words = words_in(tree.words, language)
    exit_label = fold_word(shown(Message(tree.ui["exit"]), translations))
    for node in tree.nodes.values():
        if node.kind not in CHOICE_KINDS:
            continue
        names: dict[str, set[str]] = {exit_label: {"0"}}
        for number, option in enumerate(node.options, start=1):
            label = fold_word(shown(Message(option.label), translations))
            for word in {label, *words.get(option.value or "", ())}:
                names.setdefault(word, set()).add(str(number))
        for word, keys in sorted(names.items()):
            if len(keys) > 1:
                listed = " and ".join(sorted(keys))
                yield (
                    f"{tree.path}: node {node.id}, language {language}: {word!r} names "
                    f"options {listed}"
                )
