"""Checks that need the catalogs: every message translated, every screen within the budget.

``check_tree`` is what ``kinga dialogs check`` prints (after ``load_tree`` has validated the
graph) and what the app runs at start. Screens are rendered through the real engine and
renderer, in every language, on every page, with the longest answers and the longest values
the webhook may fill in, and with each error a re-prompt can show; once as USSD screens and
once as SMS replies (``sms_segments`` segments), where every keyword reply and every
focal-point error is rendered through ``sms_step`` too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from dialogs.encoding import SMS_SEGMENTS, analyse, non_gsm_characters, ussd_capacity
from dialogs.engine import (
    EXIT_KEY,
    MORE_KEY,
    SMS,
    Area,
    Context,
    ended,
    error_message,
    screen_fits,
    show,
    text_fits,
    with_error,
)
from dialogs.keywords import COMMANDS, START, STOP
from dialogs.paging import measure_params
from dialogs.reference import damm_digit
from dialogs.render import DOMAIN, LOCALES_DIR, language_chain, load_translations, render
from dialogs.screen import Screen
from dialogs.tree import CHOICE_KINDS, Node, Tree, placeholders
from dialogs.words import word_problems

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
    sms_segments: int = SMS_SEGMENTS,
    emergency_numbers: Mapping[str, str] | None = None,
) -> list[str]:
    """Every problem found, as ``file: node …, language …: what`` lines.

    ``fold_languages`` are those the deployment renders with accents folded to GSM-7.
    ``emergency_numbers`` (default: the tree's helpline alone) are measured on help screens.
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
            emergency_numbers=emergency_numbers,
        )
        problems.extend(_budget_problems(tree, context))
        sms = replace(context, channel=SMS, sms_segments=sms_segments)
        problems.extend(_budget_problems(tree, sms))
        problems.extend(_sms_reply_problems(tree, sms))
        problems.extend(word_problems(tree, language, load_translations(language, locales_dir)))
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
    for node_id, label, variant in [
        ("resume", "", resumed),
        (
            "resume",
            " (error invalid_choice)",
            with_error(resumed, error_message(tree, "invalid_choice", context), context),
        ),
        ("ended", "", ended(tree)),
    ]:
        if not screen_fits(variant, context):
            yield _overflow(tree, node_id, 0, label, variant, context)
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
            (f" (error {e})", with_error(screen, error_message(tree, e, context), context))
            for e in errors
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
    if context.channel == SMS:
        analysis = analyse(text)
        return (
            f"{tree.path}: sms, node {node_id}, language {context.language}, page {page + 1}"
            f"{label}: {analysis.segments}/{context.sms_segments} segments "
            f"({analysis.units} {analysis.encoding} units{why}): {text!r}"
        )
    return (
        f"{tree.path}: node {node_id}, language {context.language}, page {page + 1}{label}: "
        f"{capacity.used}/{capacity.limit} {capacity.encoding}{why}: {text!r}"
    )


def _sms_reply_problems(tree: Tree, context: Context) -> Iterator[str]:
    """Every reply only SMS sends (keywords, focal-point errors, the SMS give-up and unsent
    texts), produced by ``sms_step`` itself in this language."""
    from dialogs.sms import sms_step  # sms imports the engine, as this module does

    spec = tree.sms
    words = spec.keyword_params(context.language)
    probes: list[tuple[str, dict[str, Any] | None, str, bool]] = [
        (f"keyword {command}", None, words[command], False) for command in COMMANDS
    ]
    probes.append(("keyword start, opted out", None, words[START], True))
    probes.append(("keyword stop mid-dialog", _at(tree, tree.start), words[STOP], False))
    drafted = {**_at(tree, spec.report or tree.start), "answers": {"_": "_"}}
    probes.append(("keyword start mid-report, opted out", drafted, words[START], True))
    give_up = {**_at(tree, tree.start), "invalid": tree.max_invalid - 1}
    probes.append(("three wrong answers", give_up, "wrong", False))
    probes.extend(
        (f"0 on summary {node.id}", {**_at(tree, node.id), "answers": {"_": "_"}}, EXIT_KEY, False)
        for node in tree.nodes.values()
        if node.kind == "summary"
    )
    if spec.focal is not None and context.areas:
        prefix, area = words["prefix"], context.areas[-1].code
        count = len(spec.focal.fields)
        ones = " ".join("1" for _ in spec.focal.fields)
        probes.extend(
            (f"focal point, field {n + 1} wrong", None, f"{prefix} {'1 ' * n}99 "
             f"{'1 ' * (count - n - 1)}{area} x", False)
            for n in range(count)
        )  # fmt: skip
        probes.append(("focal point, area wrong", None, f"{prefix} {ones} x", False))
        probes.append(("focal point, no text", None, f"{prefix} {ones} {area}", False))
        long_text = "x" * (spec.focal.max_text + 1)
        probes.append(("focal point, too long", None, f"{prefix} {ones} {area} {long_text}", False))
        probes.append(("focal point, valid", None, f"{prefix}! {ones} {area} x", False))
    translations = load_translations(context.language)
    for label, state, text, opted_out in probes:
        step = sms_step(tree, state, text, context, opted_out=opted_out)
        for reply in step.replies:
            params = measure_params(reply, context.language)
            rendered = render(reply, translations, params, context.fold_accents)
            if not text_fits(rendered, context):
                yield _overflow(tree, reply.node, 0, f" ({label})", reply, context)


def _at(tree: Tree, node_id: str) -> dict[str, Any]:
    return {"node": node_id, "answers": {}, "page": 0, "invalid": 0, "steps": 0}


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
