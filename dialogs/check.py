"""Checks that need the catalogs: every message translated, every screen within the budget.

``check_tree`` is what ``kinga dialogs check`` prints (after ``load_tree`` has validated the
graph) and what the app runs at start. Screens are rendered through the real engine and
renderer, in every language, on every page, with the longest answers and the longest values
the webhook may fill in, and with each error a re-prompt can show.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from dialogs.encoding import non_gsm_characters, ussd_capacity
from dialogs.engine import MORE_KEY, Area, Context, screen_fits, show, with_error
from dialogs.paging import measure_params
from dialogs.reference import damm_digit
from dialogs.render import DOMAIN, LOCALES_DIR, language_chain, load_translations, render
from dialogs.screen import Message, Screen
from dialogs.tree import CHOICE_KINDS, Node, Tree, placeholders

SOURCE_LANGUAGE = "en"
_INPUT_ERRORS = ("required", "too_long", "digits", "reference")
SAMPLE_REFERENCE = "48217730" + damm_digit("48217730")


def check_tree(
    tree: Tree,
    languages: Sequence[str],
    areas: Sequence[Area],
    budget: int,
    fold_languages: Collection[str] = (),
    locales_dir: Path = LOCALES_DIR,
) -> list[str]:
    """Every problem found, as ``file: node …, language …: what`` lines.

    ``fold_languages`` are those the deployment renders with accents folded to GSM-7.
    """
    problems: list[str] = []
    for language in languages:
        if language != SOURCE_LANGUAGE:
            problems.extend(_translation_problems(tree, language, locales_dir))
        context = Context(
            areas=tuple(areas),
            language=language,
            languages=tuple(languages),
            budget=budget,
            fold_accents=language in fold_languages,
        )
        problems.extend(_budget_problems(tree, context))
    return problems


def _translation_problems(tree: Tree, language: str, locales_dir: Path) -> Iterator[str]:
    po_path = locales_dir / language_chain(language)[-1] / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        yield f"{tree.path}: language {language}: no catalog at {po_path}"
        return
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    for msgid in tree.messages():
        message = catalog.get(msgid)
        if message is None or not message.string or message.fuzzy:
            yield f"{tree.path}: language {language}: not translated: {msgid!r}"
            continue
        assert isinstance(message.string, str)
        if sorted(placeholders(message.string)) != sorted(placeholders(msgid)):
            yield (
                f"{tree.path}: language {language}: placeholders differ in {msgid!r}: "
                f"{message.string!r}"
            )


def _budget_problems(tree: Tree, context: Context) -> Iterator[str]:
    answer_sets = _worst_answers(tree, context)
    resumed = show(tree, {"node": tree.start, "answers": {"_": "_"}, "resume": True}, context)
    for label, variant in [
        ("", resumed),
        (
            " (error invalid_choice)",
            with_error(resumed, Message(tree.ui["invalid_choice"]), context),
        ),
    ]:
        if not screen_fits(variant, context):
            yield _overflow(tree, "resume", 0, label, variant, context)
    for node in tree.nodes.values():
        if node.kind == "router":
            continue
        errors = ["invalid_choice"] if node.kind in CHOICE_KINDS | {"list"} else []
        if node.kind == "input":
            errors = [e for e in _INPUT_ERRORS if _can_fail(node, e)]
        shows_answers = any(name in answer_sets[0] for name in placeholders(node.text or ""))
        for answers in answer_sets if shows_answers else answer_sets[:1]:
            problem = _first_overflow(tree, node.id, answers, errors, context)
            if problem is not None:
                yield problem
                break


def _first_overflow(
    tree: Tree, node_id: str, answers: dict[str, str], errors: list[str], context: Context
) -> str | None:
    state: dict[str, Any] = {"node": node_id, "answers": answers, "page": 0, "invalid": 0}
    for page in range(100):
        state["page"] = page
        screen = show(tree, state, context)
        variants = [("", screen)]
        variants.extend(
            (f" (error {e})", with_error(screen, Message(tree.ui[e]), context)) for e in errors
        )
        for label, variant in variants:
            if not screen_fits(variant, context):
                return _overflow(tree, node_id, page, label, variant, context)
        if not any(choice.key == MORE_KEY for choice in screen.options):
            break
    return None


def _can_fail(node: Node, error: str) -> bool:
    if error == "required":
        return not node.optional
    if error == "too_long":
        return node.max_length is not None
    return bool(node.check == error)


def _overflow(
    tree: Tree, node_id: str, page: int, label: str, screen: Screen, context: Context
) -> str:
    translations = load_translations(context.language)
    params = measure_params(screen, context.language)
    text = render(screen, translations, params, context.fold_accents)
    capacity = ussd_capacity(text, context.budget)
    why = ""
    if capacity.encoding == "UCS-2":
        why = f", UCS-2 because of {''.join(non_gsm_characters(text))!r}"
    return (
        f"{tree.path}: node {node_id}, language {context.language}, page {page + 1}{label}: "
        f"{capacity.used}/{capacity.limit} {capacity.encoding}{why}: {text!r}"
    )


def _worst_answers(tree: Tree, context: Context) -> list[dict[str, str]]:
    """Answer sets that make screens longest in this language: first the longest wording of
    every answer, then the same with one answer swapped for its longest non-GSM-7 wording
    (which turns the whole screen into UCS-2)."""
    translations = load_translations(context.language)
    shown: dict[str, dict[str, str]] = {}
    for node in tree.nodes.values():
        if not node.answer or node.kind == "router":
            continue
        values = shown.setdefault(node.answer, {})
        if node.kind in CHOICE_KINDS:
            for option in node.options:
                if option.value is not None:
                    values[option.value] = translations.gettext(option.short or option.label)
        elif node.kind == "list" and node.source == "areas":
            values.update((area.code, area.name) for area in context.areas)
        elif node.kind == "list":
            values.update((code, tree.language_names.get(code, code)) for code in context.languages)
        elif node.check == "reference":
            values[SAMPLE_REFERENCE] = SAMPLE_REFERENCE
        else:
            values["x" * (node.max_length or 160)] = "x" * (node.max_length or 160)
    longest = {
        name: max(values, key=lambda value: len(values[value]))
        for name, values in shown.items()
        if values
    }
    sets = [longest]
    for name, values in shown.items():
        wide = [value for value, wording in values.items() if non_gsm_characters(wording)]
        if wide and longest.get(name) not in wide:
            sets.append({**longest, name: max(wide, key=lambda value: len(values[value]))})
    return sets
