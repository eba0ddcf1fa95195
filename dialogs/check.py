"""Checks that need the catalogs: every message translated, every screen within the budget,
every question answered in few hops.

``check_dialogs`` is what ``kinga dialogs check`` prints (after ``load_tree`` has validated the
graph) and what the app runs at start (``check_tree``: its problems). Screens are rendered
through the real engine and renderer, in every language, with the longest answers and the
longest values the webhook may fill in, and with each error a re-prompt can show (one that
fits neither above nor in place of the question is an overflow too); once as USSD screens and
once as SMS replies (``sms_segments`` segments), where every keyword reply and every
focal-point error is rendered through ``sms_step`` too.

Each question is walked as a caller who cannot type letters would: from its first screen,
pressing every number the rendered screen shows (More, Back, a group of areas), breadth first,
until each answer is reached. The fewest presses for the farthest answer is the question's
worst case, checked against the profile's hop limit; the walk visits every page and every
group screen, which are checked against the budget on the way.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from babel.messages.pofile import read_po

from dialogs.encoding import SMS_SEGMENTS, analyse, non_gsm_characters, ussd_capacity
from dialogs.engine import (
    EXIT_KEY,
    SMS,
    Area,
    Context,
    Step,
    advance,
    ended,
    error_message,
    screen_fits,
    show,
    text_fits,
    with_error,
)
from dialogs.keywords import COMMANDS, START, STOP
from dialogs.normalise import fold_word
from dialogs.paging import measure_params
from dialogs.reference import damm_digit
from dialogs.render import DOMAIN, LOCALES_DIR, language_chain, load_translations, render
from dialogs.screen import Screen
from dialogs.staff_keywords import staff_language_problems
from dialogs.tree import CHOICE_KINDS, Node, Tree, placeholders
from dialogs.words import word_problems

SOURCE_LANGUAGE = "en"
_INPUT_ERRORS = ("required", "too_long", "digits", "reference")
SAMPLE_REFERENCE = "48217730" + damm_digit("48217730")
QUESTION_KINDS: Final = CHOICE_KINDS | {"list"}
# A walk deeper than this is not worth following: no limit a profile may set is near it.
MAX_WALK: Final = 12
_KEY_LINE: Final = re.compile(r"^(\d+)\. ", re.MULTILINE)


@dataclass(frozen=True)
class CheckResult:
    """``problems`` as ``file: node …, language …: what`` lines; ``hops`` per
    ``(channel, language)``: each question's worst case, in numbers pressed."""

    problems: list[str]
    hops: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)


def check_tree(
    tree: Tree,
    languages: Sequence[str],
    areas: Sequence[Area],
    budget: int,
    fold_languages: Collection[str] = (),
    locales_dir: Path = LOCALES_DIR,
    sms_segments: int = SMS_SEGMENTS,
    emergency_numbers: Mapping[str, str] | None = None,
    most_used: Sequence[str] = (),
    max_hops: int | None = None,
) -> list[str]:
    """Every problem ``check_dialogs`` finds."""
    return check_dialogs(
        tree,
        languages,
        areas,
        budget,
        fold_languages,
        locales_dir,
        sms_segments,
        emergency_numbers,
        most_used,
        max_hops,
    ).problems


def check_dialogs(
    tree: Tree,
    languages: Sequence[str],
    areas: Sequence[Area],
    budget: int,
    fold_languages: Collection[str] = (),
    locales_dir: Path = LOCALES_DIR,
    sms_segments: int = SMS_SEGMENTS,
    emergency_numbers: Mapping[str, str] | None = None,
    most_used: Sequence[str] = (),
    max_hops: int | None = None,
) -> CheckResult:
    """Translations, budgets and hops in every language, over USSD and over SMS.

    ``fold_languages`` are those the deployment renders with accents folded to GSM-7.
    ``emergency_numbers`` (default: the tree's helpline alone) are measured on help screens.
    ``most_used`` are the area codes an areas list shows first; ``max_hops`` (none: no limit)
    the most numbers a caller may have to press to answer any question.
    """
    problems: list[str] = []
    hops: dict[tuple[str, str], dict[str, int]] = {}
    for language in languages:
        if language != SOURCE_LANGUAGE:
            problems.extend(_translation_problems(tree, language, locales_dir))
            problems.extend(
                f"{tree.path}: {problem}"
                for problem in staff_language_problems(tree.sms.staff, language)
            )
        context = Context(
            areas=tuple(areas),
            language=language,
            languages=tuple(languages),
            budget=budget,
            fold_accents=language in fold_languages,
            emergency_numbers=emergency_numbers,
            most_used=tuple(most_used),
        )
        sms = replace(context, channel=SMS, sms_segments=sms_segments)
        for channel_context in (context, sms):
            found = hops.setdefault((channel_context.channel, language), {})
            problems.extend(_budget_problems(tree, channel_context, found, max_hops))
        problems.extend(_sms_reply_problems(tree, sms))
        problems.extend(word_problems(tree, language, load_translations(language, locales_dir)))
    return CheckResult(problems, hops)


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


def _budget_problems(
    tree: Tree, context: Context, hops: dict[str, int], max_hops: int | None
) -> Iterator[str]:
    """Overflowing screens of every node; each question's worst case into ``hops``."""
    answer_sets = _worst_answers(tree, context)
    resumed = show(tree, {"node": tree.start, "answers": {"_": "_"}, "resume": True}, context)
    for node_id, label, variant in [
        ("resume", "", resumed),
        ("resume", " (error invalid_choice)", _reprompt(tree, resumed, "invalid_choice", context)),
        ("ended", "", ended(tree)),
    ]:
        if not screen_fits(variant, context):
            yield _overflow(tree, node_id, 0, label, variant, context)
    for node in tree.nodes.values():
        if node.kind == "router":
            continue
        errors = ["invalid_choice"] if node.kind in QUESTION_KINDS else []
        if node.kind == "input":
            errors = [e for e in _INPUT_ERRORS if _can_fail(node, e)]
        shown = {name for option in node.options for name, _values in option.when}
        shown.update(placeholders(node.text or ""))
        shows_answers = any(name in answer_sets[0] for name in shown)
        for number, answers in enumerate(answer_sets if shows_answers else answer_sets[:1]):
            walk = _walk(tree, node, _at(tree, node.id) | {"answers": dict(answers)}, context)
            screens = list(walk.screens)
            if number == 0 and node.kind in QUESTION_KINDS:
                yield from _hop_problems(tree, node, walk.hops, context, hops, max_hops)
                screens.extend(_typed_screens(tree, node, answers, context))
            problem = _first_overflow(tree, node, screens, errors, context)
            if problem is not None:
                yield problem
                break


def _first_overflow(
    tree: Tree,
    node: Node,
    screens: list[tuple[str, Screen]],
    errors: list[str],
    context: Context,
) -> str | None:
    for page, (how, screen) in enumerate(screens):
        shown = list(errors)
        if node.kind == "list" and node.source == "areas" and screen.text.msgid == node.text:
            shown.append("no_match")  # letters that start no name: said on the first screen
        variants = [("", screen)]
        variants.extend((f" (error {e})", _reprompt(tree, screen, e, context)) for e in shown)
        for label, variant in variants:
            if not screen_fits(variant, context):
                return _overflow(tree, node.id, page, how + label, variant, context)
    return None


def _reprompt(tree: Tree, screen: Screen, error: str, context: Context) -> Screen:
    """The re-prompt a wrong answer gets; where the error fits neither above nor in place of
    the question (``with_error`` then shows the screen without it), the error in place, so
    that the overflow is reported."""
    message = error_message(tree, error, context)
    shown = with_error(screen, message, context)
    return replace(screen, text=message, error=None) if shown is screen else shown


@dataclass(frozen=True)
class _Walked:
    screens: list[tuple[str, Screen]]  # (how it was reached, as " (keys 5*2)"; the screen)
    hops: dict[str, int]  # what a press answers (a value, a language, a node) → fewest presses


def _walk(tree: Tree, node: Node, state: dict[str, Any], context: Context) -> _Walked:
    """Every screen of ``node`` reachable from ``state`` by the numbers its rendered screens
    show, breadth first; and for each answer, the fewest numbers that give it."""
    screens: list[tuple[str, Screen]] = []
    hops: dict[str, int] = {}
    translations = load_translations(context.language)
    queue: deque[tuple[dict[str, Any], tuple[str, ...]]] = deque([(state, ())])
    seen: set[str] = set()
    while queue:
        current, keys = queue.popleft()
        where = repr([current.get(name) for name in ("page", "path", "find")])
        if where in seen:
            continue
        seen.add(where)
        screen = show(tree, current, context)
        screens.append((f" (keys {'*'.join(keys)})" if keys else "", screen))
        if node.kind not in QUESTION_KINDS or len(keys) >= MAX_WALK:
            continue
        params = measure_params(screen, context.language)
        text = render(screen, translations, params, context.fold_accents)
        for key in _KEY_LINE.findall(text):
            if key == EXIT_KEY:
                continue
            step = advance(tree, current, key, context)
            if step.state["node"] == node.id and not step.screen.end:
                queue.append((step.state, (*keys, key)))
            else:
                hops.setdefault(_answered(node, step), len(keys) + 1)
    return _Walked(screens, hops)


def _answered(node: Node, step: Step) -> str:
    """What a press that left ``node`` answered: a language, a value, or where it led."""
    for effect in step.effects:
        if effect.kind == "set_language":
            return str(effect.data["language"])
    if node.answer is not None and node.answer in step.state["answers"]:
        return str(step.state["answers"][node.answer])
    return str(step.state["node"])


def _hop_problems(
    tree: Tree,
    node: Node,
    found: dict[str, int],
    context: Context,
    hops: dict[str, int],
    max_hops: int | None,
) -> Iterator[str]:
    where = f"{tree.path}: {'sms, ' if context.channel == SMS else ''}node {node.id}, " + (
        f"language {context.language}"
    )
    wanted: list[str] = []
    if node.kind == "list" and node.source == "areas":
        wanted = [area.code for area in context.areas]
    elif node.kind == "list":
        wanted = list(context.languages)
    missing = [value for value in wanted if value not in found]
    if missing:
        yield f"{where}: {', '.join(missing)} cannot be reached by numbers"
    if not found:
        return
    worst = max(found, key=lambda value: found[value])
    hops[node.id] = found[worst]
    if max_hops is not None and found[worst] > max_hops:
        yield (
            f"{where}: {found[worst]} hops to answer ({worst!r}), more than the profile's "
            f"limit of {max_hops}"
        )


def _typed_screens(
    tree: Tree, node: Node, answers: dict[str, str], context: Context
) -> Iterator[tuple[str, Screen]]:
    """On an areas list, the screen of matches for the first letter of every area's name (the
    screens behind its groups are cut by the same rules as those the walk visits)."""
    if not (node.kind == "list" and node.source == "areas"):
        return
    letters = dict.fromkeys(fold_word(area.label(context.language))[:1] for area in context.areas)
    state = _at(tree, node.id) | {"answers": dict(answers)}
    for letter in filter(None, letters):
        step = advance(tree, state, letter, context)
        if step.state["node"] == node.id and not step.screen.end:
            yield f" (typed {letter!r})", step.screen


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
            values.update((area.code, area.label(context.language)) for area in context.areas)
        elif node.kind == "list":
            values.update((code, tree.language_names.get(code, code)) for code in context.languages)
        elif node.check == "reference":
            values[SAMPLE_REFERENCE] = SAMPLE_REFERENCE
        else:
            values["x" * (node.max_length or 160)] = "x" * (node.max_length or 160)
    for name, texts in tree.choices.items():  # filled by the webhook (engine ``fill``)
        shown[name] = {code: translations.gettext(text) for code, text in texts.items()}
    longest = {
        name: max(values, key=lambda value: len(values[value]))
        for name, values in shown.items()
        if values
    }
    sets = [longest]
    sets.extend(  # each value of a filled placeholder: options may depend on it (``when``)
        {**longest, name: code}
        for name, texts in tree.choices.items()
        for code in texts
        if code != longest.get(name)
    )
    for name, values in shown.items():
        wide = [value for value, wording in values.items() if non_gsm_characters(wording)]
        if wide and longest.get(name) not in wide:
            sets.append({**longest, name: max(wide, key=lambda value: len(values[value]))})
    return sets
