"""The dialog engine: ``(tree, state, input, context) → Step(new state, screen, effects)``.

Pure: it reads the tree, the state and the context and returns new values; it stores nothing
and talks to nothing. The state is a small JSON-serialisable dict (node id, answers, page,
counters) that the webhook keeps per session; it never holds the phone number.

Rules every screen follows:
- ``0`` leaves with the tree's ``exit`` text (harmless, and no thank-you: only a committed case
  earns one). On a summary it answers the tree's ``unsent`` text instead, which says plainly
  that the report was NOT sent, and the report is kept for ``resume`` exactly as after a drop.
  On an optional free-text screen ("Tell us more (optional text, 0 to skip)") ``0`` skips the
  question instead; the next screen is a menu, where ``0`` exits again.
- Input after an end screen changes nothing and gets ``ended`` ("This session has ended").
- A numbered choice may also be answered in words: the option's own label, a yes/no word of
  the session's language, ``1.`` or ``1)`` (``dialogs/words.py``).
- An invalid answer shows the same screen with a short error line (in place of the question
  when both do not fit; over SMS the tree's SMS wording, which says how to answer);
  ``tree.max_invalid`` invalid answers in a row, or more than ``tree.max_steps`` hops, end the
  session at ``tree.give_up``.
- An answer given before its question (an SMS that opened the report with the reporter's own
  words, ``start(answers=…)``) is kept when the question comes: ``0`` skips leaving it, and
  free text typed there is added after it (a reference or number typed again replaces it).
- A dropped session can be offered back (``can_resume``, ``resume``): "1 Continue where you
  stopped · 2 Start again".
- Options that do not fit the screen budget in the caller's language are split into pages
  with "More" (98) and "Back" (99). Pages are cut so that the error a re-prompt shows there
  (over SMS the SMS wording) always fits.
- An areas list is answered in few hops instead (``dialogs.places``): the most used areas and
  alphabetical groups by number ("Back" (99) leaves a group), or the first letters of a name;
  letters that start no area's name are an invalid answer (``ui.no_match``), said on the first
  screen. There letters are a place: no yes/no word applies ("n", "لا" start area names), and
  "Exit" or "Back" typed in words is that control only when no area has that name.
- Choosing from a languages list emits ``set_language`` and goes on to the list's ``next``,
  built in the new language (``Step.language``): the webhook renders it in that language.
- Effects are data for the webhook. Changes (``open_case``, ``add_note``, ``request_callback``)
  sit on end nodes only, so each is emitted at most once per session; ``lookup_case`` is a
  read, emitted each time its screen is shown, and the webhook answers it with render
  parameters (``status``), which it hands back through ``fill``: options that depend on the
  status (``when``) then show or not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from dialogs.effects import Effect, EffectKind
from dialogs.encoding import SMS_SEGMENTS, USSD_BUDGET, ussd_fits, within_segments
from dialogs.normalise import clean_free_text, fold_word, normalise_input
from dialogs.paging import CACHE_LIMIT, Item, measure_params, paginate
from dialogs.places import (
    Area,
    Entry,
    Group,
    arrange,
    entry_label,
    find_areas,
    is_area_name,
)
from dialogs.reference import format_reference, parse_reference
from dialogs.render import load_translations, render
from dialogs.screen import Choice, Line, Message, Screen, Text
from dialogs.tree import CHOICE_KINDS, CONTEXT_PLACEHOLDERS, Node, Tree, placeholders
from dialogs.words import Candidate, numbered, pick, shown, words_in

__all__ = [
    "Area",
    "Context",
    "Effect",
    "Screen",
    "Step",
    "advance",
    "can_resume",
    "ended",
    "error_message",
    "fill",
    "helpline",
    "leave",
    "resume",
    "show",
    "start",
]

USSD: Final = "ussd"
SMS: Final = "sms"
EXIT_KEY: Final = "0"
MORE_KEY: Final = "98"
BACK_KEY: Final = "99"
RESUME: Final = "resume"  # the node id of the resume screen ("1 Continue · 2 Start again")
DEFAULT_LANGUAGES: Final = ("en", "sw", "fr", "ar", "pt")
# How deep a stored state may say it is inside an areas list's groups, and how many folded
# letters it may keep as typed: a stored state is input like any other.
MAX_GROUP_DEPTH: Final = 8
MAX_FIND: Final = 60
_PICK_KEYS: Final = ("path", "find")


@dataclass(frozen=True)
class Context:
    """What the webhook knows about this caller and deployment, passed in on every hop.

    ``emergency_numbers`` are the numbers for the caller's area, keyed by service
    (``child_helpline``, ``police``, …; labels for known keys come from the tree).
    ``budget`` is the USSD screen budget in GSM-7 septets (UCS-2 screens hold half, at most 80).
    ``fold_accents`` is the deployment's choice for this language: render with
    ``render(..., fold=True)`` too, so pages are cut for the text the caller will see.
    ``channel`` is ``"ussd"`` (one screen within ``budget``) or ``"sms"`` (one message of at
    most ``sms_segments`` segments, see ``dialogs.sms``). ``country`` is the deployment's
    ISO 3166 alpha-2 code, accepted before area codes in focal-point SMS (``KE-047``).
    ``most_used`` are area codes an areas list shows first, in this order, as room allows.
    """

    areas: tuple[Area, ...]
    emergency_numbers: Mapping[str, str] | None = None
    language: str = "en"
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    budget: int = USSD_BUDGET
    fold_accents: bool = False
    channel: str = USSD
    sms_segments: int = SMS_SEGMENTS
    country: str = ""
    most_used: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """``language``: set when this step chose a new language, which ``screen`` is built in."""

    state: dict[str, Any]
    screen: Screen
    effects: tuple[Effect, ...] = ()
    language: str | None = None


def start(
    tree: Tree,
    context: Context,
    at: str | None = None,
    answers: Mapping[str, str] | None = None,
) -> Step:
    """The first screen of a new session: the tree's start, or node ``at`` with ``answers``
    already given (an SMS keyword or a one-message report enters the tree part way)."""
    node = tree.start if at is None else at
    state = {"node": node, "answers": dict(answers or {}), "page": 0, "invalid": 0, "steps": 0}
    return _enter(tree, state, node, context)


def show(tree: Tree, state: Mapping[str, Any], context: Context) -> Screen:
    """The current screen again, without effects (a repeated request, a resumed session)."""
    clean = _checked_state(tree, state)
    if clean is None:
        return start(tree, context).screen
    if clean.get("resume"):
        return _resume_screen(tree)
    return _screen(tree, clean, context)


def can_resume(tree: Tree, state: Mapping[str, Any]) -> bool:
    """Whether a dropped session is worth offering back: answers given, not finished."""
    current = _checked_state(tree, state)
    return (
        current is not None
        and bool(current["answers"])
        and tree.nodes[current["node"]].kind != "end"
    )


def resume(tree: Tree, state: Mapping[str, Any], context: Context) -> Step:
    """First screen of a redial after a dropped session: "1 Continue your report 2 Start again".

    The webhook calls this instead of ``start`` when the same phone redials within its resume
    window and ``can_resume`` holds; the next ``advance`` answers this screen.
    """
    current = _checked_state(tree, state)
    if current is None or not can_resume(tree, current):
        return start(tree, context)
    current["resume"] = True
    current["invalid"] = 0
    return Step(current, _resume_screen(tree))


def _resume_screen(tree: Tree) -> Screen:
    return Screen(
        node=RESUME,
        end=False,
        text=Message(tree.ui["resume"]),
        options=(
            Choice("1", Message(tree.ui["resume_continue"])),
            Choice("2", Message(tree.ui["restart"])),
            Choice(EXIT_KEY, Message(tree.ui["exit"])),
        ),
    )


def _answer_resume(tree: Tree, state: dict[str, Any], typed: str, context: Context) -> Step:
    choice = numbered(typed) or _by_label(_resume_screen(tree).options, typed, context) or typed
    if choice == "1":
        del state["resume"]
        state["invalid"] = 0
        node = tree.nodes[state["node"]]
        return Step(state, _screen(tree, state, context), _effects(node, state))
    if choice == "2":
        return start(tree, context)
    if choice == EXIT_KEY:
        return _leave(tree, state, context)
    state["invalid"] += 1
    if state["invalid"] >= tree.max_invalid:
        del state["resume"]
        return _enter(tree, state, tree.give_up, context)
    error = error_message(tree, "invalid_choice", context)
    return Step(state, with_error(_resume_screen(tree), error, context))


def advance(tree: Tree, state: Mapping[str, Any], user_input: str, context: Context) -> Step:
    """One hop: ``user_input`` is the new answer only (not Africa's Talking's whole ``text``)."""
    current = _checked_state(tree, state)
    if current is None:
        return start(tree, context)
    if current.get("resume"):
        return _answer_resume(tree, current, user_input, context)
    node = tree.nodes[current["node"]]
    if node.kind == "end":
        return Step(current, ended(tree))
    current["steps"] += 1
    if current["steps"] > tree.max_steps:
        return _enter(tree, current, tree.give_up, context)
    if node.kind == "input":
        return _answer_input(tree, current, node, user_input, context)
    if _is_areas(node):
        return _answer_area(tree, current, node, user_input, context)
    return _answer_choice(tree, current, node, user_input, context)


def fill(
    tree: Tree,
    state: Mapping[str, Any],
    screen: Screen,
    params: Mapping[str, str],
    context: Context,
) -> tuple[dict[str, Any], Screen]:
    """The state and screen after the webhook applied a step's effects.

    The values it supplies for ``choices`` placeholders (``status`` after ``lookup_case``) are
    kept as answers, and a screen whose options depend on them (``when``) is built again, so
    that the options shown and the options the next answer picks from are the same. Nothing is
    emitted again.
    """
    answers: Mapping[str, str] = state.get("answers") or {}
    values = {
        name: str(params[name])
        for name, texts in tree.choices.items()
        if name in params and str(params[name]) in texts
    }
    if screen.end or all(answers.get(name) == value for name, value in values.items()):
        return dict(state), screen
    filled = {**state, "answers": {**answers, **values}}
    if filled.get("resume") or filled.get("node") != screen.node:
        return filled, screen
    rebuilt = _screen(tree, filled, context)
    if screen.error is not None:
        rebuilt = with_error(rebuilt, screen.error, context)
    return filled, rebuilt


def _answer_choice(
    tree: Tree, state: dict[str, Any], node: Node, typed: str, context: Context
) -> Step:
    items = _items(tree, node, state, context)
    pages = _pages(tree, node, state, items, context)
    page = min(state["page"], len(pages) - 1)
    first, last = pages[page]
    choice = numbered(typed)
    if choice is None:
        controls = [Choice(EXIT_KEY, Message(tree.ui["exit"]))]
        if page < len(pages) - 1:
            controls.append(Choice(MORE_KEY, Message(tree.ui["more"])))
        if page > 0:
            controls.append(Choice(BACK_KEY, Message(tree.ui["back"])))
        named = _by_words(tree, node, items, controls, typed, context)
        if isinstance(named, Item):
            return _choose(tree, state, node, named, context)
        choice = named or normalise_input(typed)
    if choice == EXIT_KEY:
        return _leave(tree, state, context)
    if choice == MORE_KEY and page < len(pages) - 1:
        return _stay(tree, state, context, page=page + 1)
    if choice == BACK_KEY and page > 0:
        return _stay(tree, state, context, page=page - 1)
    if choice.isascii() and choice.isdigit() and 1 <= int(choice) <= last - first:
        return _choose(tree, state, node, items[first + int(choice) - 1], context)
    return _invalid(tree, state, "invalid_choice", context)


def _choose(tree: Tree, state: dict[str, Any], node: Node, item: Item, context: Context) -> Step:
    if item.clear:
        state["answers"] = {}
    if node.answer is not None and item.value is not None:
        state["answers"][node.answer] = item.value
    if node.source == "languages" and item.value is not None:
        return _choose_language(tree, state, item, context)
    return _enter(tree, state, item.next, context)


def _choose_language(tree: Tree, state: dict[str, Any], item: Item, context: Context) -> Step:
    """The next screen in the chosen language. Its pages are cut without folding accents: the
    deployment's folding choice is per language, and unfolded text is the longer."""
    assert item.value is not None
    chosen = replace(context, language=item.value, fold_accents=False)
    step = _enter(tree, state, item.next, chosen)
    effects = (Effect(EffectKind.SET_LANGUAGE, {"language": item.value}), *step.effects)
    return replace(step, effects=effects, language=item.value)


def _is_areas(node: Node) -> bool:
    return node.kind == "list" and node.source == "areas"


def _answer_area(
    tree: Tree, state: dict[str, Any], node: Node, typed: str, context: Context
) -> Step:
    """A number picks an area or opens a group; 99 goes back up; letters find areas.

    Letters here are a place first: no yes/no word applies, and "Exit" or "Back" typed in
    words is that control only when it is no area's whole name."""
    levels = _area_levels(tree, node, state, context)
    entries = levels[-1]
    first_screen = _first_area_screen(state, levels)
    choice = numbered(typed)
    if choice is None:
        controls = [Choice(EXIT_KEY, Message(tree.ui["exit"]))]
        if not first_screen:
            controls.append(Choice(BACK_KEY, Message(tree.ui["back"])))
        named = _by_label(tuple(controls), typed, context)
        if named is not None and is_area_name(context.areas, typed):
            named = None  # a place called "Retour" is that place
        choice = named or normalise_input(typed)
    if choice == EXIT_KEY:
        return _leave(tree, state, context)
    if choice == BACK_KEY and not first_screen:
        if len(levels) > 1:
            _set_path(state, state["path"][: len(levels) - 2])
        else:
            state.pop("find", None)
        return _stay(tree, state, context, page=0)
    if choice.isascii() and choice.isdigit():
        if not 1 <= int(choice) <= len(entries):
            return _invalid(tree, state, "invalid_choice", context)
        entry = entries[int(choice) - 1]
        if isinstance(entry, Area):
            return _choose_area(tree, state, node, entry, context)
        _set_path(state, [*state.get("path", [])[: len(levels) - 1], int(choice) - 1])
        return _stay(tree, state, context, page=0)
    if not any(char.isalpha() for char in choice):
        return _invalid(tree, state, "invalid_choice", context)
    matches = find_areas(context.areas, choice)
    if not matches:  # said on the first screen, whose long question leaves the error room
        state.pop("find", None)
        _set_path(state, [])
        return _invalid(tree, state, "no_match", context)
    if len(matches) == 1:
        return _choose_area(tree, state, node, matches[0], context)
    state["find"] = fold_word(choice)
    _set_path(state, [])
    return _stay(tree, state, context, page=0)


def _choose_area(
    tree: Tree, state: dict[str, Any], node: Node, area: Area, context: Context
) -> Step:
    assert node.answer is not None and node.next is not None
    state["answers"][node.answer] = area.code
    return _enter(tree, state, node.next, context)


def _set_path(state: dict[str, Any], path: list[int]) -> None:
    if path:
        state["path"] = path
    else:
        state.pop("path", None)


def _first_area_screen(state: Mapping[str, Any], levels: list[tuple[Entry, ...]]) -> bool:
    return len(levels) == 1 and not state.get("find")


def _area_levels(
    tree: Tree, node: Node, state: Mapping[str, Any], context: Context
) -> list[tuple[Entry, ...]]:
    """The entries of each screen from the first to the one the state is on. A path that no
    longer leads to a group (the profile's areas changed) stops where it stops leading."""
    levels = [_area_root(tree, node, state.get("find"), context)]
    for index in state.get("path", ()):
        entry = levels[-1][index] if index < len(levels[-1]) else None
        if not isinstance(entry, Group):
            break
        levels.append(entry.entries)
    return levels


def _area_root(tree: Tree, node: Node, find: str | None, context: Context) -> tuple[Entry, ...]:
    """The first screen's entries, or with ``find`` the first screen of the areas it matches.
    Arranged on the real rendered screens (see ``dialogs.places.arrange``), cached on the tree
    per areas tuple by identity (the webhook passes the same one on every hop; hashing all the
    areas on every screen would cost more than the lookup saves)."""
    key = (
        "areas",
        node.id,
        context.language,
        context.channel,
        context.budget,
        context.sms_segments,
        context.fold_accents,
        find,
        id(context.areas),
        context.most_used,
    )
    cached = tree.page_cache.get(key)
    if cached is not None and cached[0] is context.areas:
        return cached[1]  # type: ignore[no-any-return]
    areas = find_areas(context.areas, find) if find else list(context.areas)
    by_code = {area.code: area for area in context.areas}
    most_used = [] if find else [by_code[c] for c in context.most_used if c in by_code]

    def fits(first: bool) -> Callable[[Sequence[Entry]], bool]:
        errors = [error_message(tree, "invalid_choice", context)]
        if first:
            errors.append(error_message(tree, "no_match", context))
        return lambda entries: all(
            screen_fits(variant, context)
            for screen in [_area_screen(tree, node, tuple(entries), first, context)]
            for variant in (screen, *(replace(screen, text=error) for error in errors))
        )

    root = arrange(areas, context.language, fits(not find), fits(False), most_used)
    if len(tree.page_cache) >= CACHE_LIMIT:
        tree.page_cache.clear()
    tree.page_cache[key] = (context.areas, root)  # the tuple kept alive: its id stays its own
    return root


def _area_screen(
    tree: Tree, node: Node, entries: tuple[Entry, ...], first: bool, context: Context
) -> Screen:
    """The first screen asks the question with the hint to type letters; the screens behind a
    group or of matches ask it shortly and offer Back."""
    options = [
        Choice(str(number), entry_label(entry, context.language))
        for number, entry in enumerate(entries, start=1)
    ]
    if not first:
        options.append(Choice(BACK_KEY, Message(tree.ui["back"])))
    text = node.text if first else node.group_text or node.text
    return _base_screen(tree, node, {"answers": {}}, context, tuple(options), text)


def _by_words(
    tree: Tree,
    node: Node,
    items: list[Item],
    controls: list[Choice],
    typed: str,
    context: Context,
) -> Item | str | None:
    """The item (on any page) or the control key (0, 98, 99) that ``typed`` names in words."""
    translations = load_translations(context.language)
    menu = node.kind in CHOICE_KINDS
    candidates = [
        Candidate(shown(item.label, translations), item.value if menu else None) for item in items
    ]
    candidates.extend(Candidate(shown(control.label, translations)) for control in controls)
    index = pick(typed, candidates, words_in(tree.words, context.language) if menu else {})
    if index is None:
        return None
    return items[index] if index < len(items) else controls[index - len(items)].key


def _by_label(options: tuple[Choice, ...], typed: str, context: Context) -> str | None:
    translations = load_translations(context.language)
    candidates = [Candidate(shown(option.label, translations)) for option in options]
    index = pick(typed, candidates, {})
    return None if index is None else options[index].key


def _answer_input(
    tree: Tree, state: dict[str, Any], node: Node, raw: str, context: Context
) -> Step:
    assert node.answer is not None and node.next is not None
    if normalise_input(raw) == EXIT_KEY:
        if not node.optional:
            return _leave(tree, state, context)
        return _enter(tree, state, node.next, context)  # skipped: an earlier answer stays
    value = clean_free_text(raw)
    if not value:
        return _invalid(tree, state, "required", context)
    if node.max_length is not None and len(value) > node.max_length:
        return _invalid(tree, state, "too_long", context)
    if node.check == "digits":
        value = normalise_input(value).replace(" ", "")
        if not (value.isascii() and value.isdigit()):
            return _invalid(tree, state, "digits", context)
    elif node.check == "reference":
        reference = parse_reference(value)
        if reference is None:
            return _invalid(tree, state, "reference", context)
        value = reference
    # Free text given before (an SMS's own words) is added to; a number or reference typed
    # again (a reference not found, "Try again") replaces the one before.
    earlier = state["answers"].get(node.answer) if node.check is None else None
    state["answers"][node.answer] = f"{earlier}\n{value}" if earlier else value
    return _enter(tree, state, node.next, context)


def leave(tree: Tree, state: Mapping[str, Any], context: Context) -> Step:
    """What ``0`` does on a menu, from any screen (an SMS exit word): see ``_leave``."""
    current = _checked_state(tree, state)
    if current is None:
        return start(tree, context, at=tree.exit)
    return _leave(tree, current, context)


def _leave(tree: Tree, state: dict[str, Any], context: Context) -> Step:
    """``0``: the harmless ``tree.exit`` text. On a summary, where leaving could pass for
    sending, ``tree.unsent`` says the report was NOT sent, and the state stays on the summary
    marked ``resume``: the webhook keeps it as it keeps a dropped session, and the next dial
    offers it back."""
    if tree.nodes[state["node"]].kind != "summary":
        state.pop("resume", None)
        return _enter(tree, state, tree.exit, context)
    kept = {**state, "resume": True, "invalid": 0}
    return Step(kept, _screen(tree, {**kept, "node": tree.unsent}, context))


def ended(tree: Tree) -> Screen:
    """The answer to input for a session that already ended: nothing happens, dial again."""
    return Screen(node="ended", end=True, text=Message(tree.ui["ended"]))


def _invalid(tree: Tree, state: dict[str, Any], error: str, context: Context) -> Step:
    state["invalid"] += 1
    if state["invalid"] >= tree.max_invalid:
        return _enter(tree, state, tree.give_up, context)
    node = tree.nodes[state["node"]]
    screen = with_error(_screen(tree, state, context), error_message(tree, error, context), context)
    return Step(state, screen, _effects(node, state))


def error_message(tree: Tree, error: str, context: Context) -> Message:
    """A re-prompt's error line (``ui`` name): over SMS the tree's SMS wording when it has one.
    A USSD screen shows its keypad; an SMS reader must be told to reply with the number."""
    wording = tree.sms.messages.get(error) if context.channel == SMS else None
    return Message(wording or tree.ui[error])


def with_error(screen: Screen, error: Message, context: Context) -> Screen:
    """The re-prompt: the error line above the question; if that overflows, the error in place
    of the question (pages are cut so that this fits); failing both, the screen unchanged."""
    for candidate in (replace(screen, error=error), replace(screen, text=error, error=None)):
        if screen_fits(candidate, context):
            return candidate
    return screen


def screen_fits(screen: Screen, context: Context) -> bool:
    """Whether ``screen`` fits the budget in the caller's language (worst-case parameters)."""
    params = measure_params(screen, context.language)
    text = render(screen, load_translations(context.language), params, context.fold_accents)
    return text_fits(text, context)


def text_fits(text: str, context: Context) -> bool:
    """One USSD screen within ``budget``, or one SMS within ``sms_segments`` segments."""
    if context.channel == SMS:
        return within_segments(text, context.sms_segments)
    return ussd_fits(text, context.budget)


def _stay(tree: Tree, state: dict[str, Any], context: Context, page: int) -> Step:
    state["page"] = page
    state["invalid"] = 0
    return Step(state, _screen(tree, state, context))


def _enter(tree: Tree, state: dict[str, Any], node_id: str, context: Context) -> Step:
    node = tree.nodes[node_id]
    for _hop in range(len(tree.nodes)):
        if node.kind != "router":
            break
        value = state["answers"].get(node.answer)
        node = tree.nodes[dict(node.routes).get(str(value), node.default or tree.give_up)]
    state["node"] = node.id
    state["page"] = 0
    state["invalid"] = 0
    for key in _PICK_KEYS:
        state.pop(key, None)
    return Step(state, _screen(tree, state, context), _effects(node, state))


def _effects(node: Node, state: Mapping[str, Any]) -> tuple[Effect, ...]:
    spec = node.effect
    if spec is None:
        return ()
    answers: Mapping[str, str] = state["answers"]
    data: dict[str, Any] = {}
    if spec.answers:
        data["answers"] = {name: answers[name] for name in spec.answers if name in answers}
    data.update((key, answers[name]) for key, name in spec.fields if name in answers)
    return (Effect(EffectKind(spec.kind), data),)


def _screen(tree: Tree, state: Mapping[str, Any], context: Context) -> Screen:
    node = tree.nodes[state["node"]]
    if _is_areas(node):
        levels = _area_levels(tree, node, state, context)
        return _area_screen(tree, node, levels[-1], _first_area_screen(state, levels), context)
    if node.kind in CHOICE_KINDS or node.kind == "list":
        items = _items(tree, node, state, context)
        pages = _pages(tree, node, state, items, context)
        page = min(state["page"], len(pages) - 1)
        return choice_screen(tree, node, state, items, pages, page, context)
    return _base_screen(tree, node, state, context, ())


def choice_screen(
    tree: Tree,
    node: Node,
    state: Mapping[str, Any],
    items: list[Item],
    pages: list[tuple[int, int]],
    page: int,
    context: Context,
) -> Screen:
    first, last = pages[page]
    options = [Choice(str(n), item.label) for n, item in enumerate(items[first:last], start=1)]
    if page < len(pages) - 1:
        options.append(Choice(MORE_KEY, Message(tree.ui["more"])))
    if page > 0:
        options.append(Choice(BACK_KEY, Message(tree.ui["back"])))
    return _base_screen(tree, node, state, context, tuple(options))


def _base_screen(
    tree: Tree,
    node: Node,
    state: Mapping[str, Any],
    context: Context,
    options: tuple[Choice, ...],
    text: str | None = None,
) -> Screen:
    text = text or node.text
    assert text is not None
    end = node.kind == "end"
    if not end:
        zero = "skip" if node.kind == "input" and node.optional else "exit"
        options = (*options, Choice(EXIT_KEY, Message(tree.ui[zero])))
    names = placeholders(text)
    return Screen(
        node=node.id,
        end=end,
        text=Message(text, _params(tree, names, state["answers"], context)),
        options=options,
        lines=emergency_lines(tree, context) if node.emergency_lines else (),
        choices={name: tree.choices[name] for name in names if name in tree.choices},
    )


def _params(
    tree: Tree, names: list[str], answers: Mapping[str, str], context: Context
) -> dict[str, Text]:
    params: dict[str, Text] = {}
    for name in names:
        if name == "helpline":
            params[name] = helpline(tree, context)
        elif name in answers:
            params[name] = _display(tree, name, answers[name], context)
        elif name not in CONTEXT_PLACEHOLDERS:
            params[name] = "-"  # a state from before a tree change: show a gap, never fail
    return params


def _display(tree: Tree, name: str, value: str, context: Context) -> Text:
    """How an earlier answer reads on a later screen (a summary, a confirmation)."""
    if value in tree.choices.get(name, {}):
        return Message(tree.choices[name][value])
    for node in tree.nodes.values():
        if node.answer != name or node.kind == "router":
            continue
        if _is_areas(node):
            area = next((area for area in context.areas if area.code == value), None)
            return value if area is None else area.label(context.language)
        if node.kind in CHOICE_KINDS:
            for option in node.options:
                if option.value == value:
                    return Message(option.short or option.label)
        if node.kind == "list":
            for item in _items(tree, node, {"answers": {}}, context):
                if item.value == value:
                    return item.label
        if node.kind == "input" and node.check == "reference":
            return format_reference(value)
    return value


def _items(tree: Tree, node: Node, state: Mapping[str, Any], context: Context) -> list[Item]:
    """A menu's options shown in this state, or a languages list's languages."""
    if node.kind != "list":
        return [
            Item(Message(option.label), option.value, option.next, option.clear)
            for option in node.options
            if option.shown(state["answers"])
        ]
    assert node.next is not None
    return [
        Item(tree.language_names.get(code, code), code, node.next) for code in context.languages
    ]


def _pages(
    tree: Tree, node: Node, state: Mapping[str, Any], items: list[Item], context: Context
) -> list[tuple[int, int]]:
    return paginate(
        tree,
        items,
        lambda pages, page: choice_screen(tree, node, state, items, pages, page, context),
        context.language,
        context.budget,
        error_message(tree, "invalid_choice", context),
        context.fold_accents,
        context.sms_segments if context.channel == SMS else None,
    )


def helpline(tree: Tree, context: Context) -> str:
    """The child helpline of the caller's area (the profile's), else the tree's default."""
    numbers = context.emergency_numbers or {}
    return numbers.get(tree.helpline_key) or tree.helpline_default


def emergency_lines(tree: Tree, context: Context) -> tuple[Line, ...]:
    """ "Child helpline: 116", "Police: 999": the numbers for the caller's area."""
    numbers = dict(context.emergency_numbers or {tree.helpline_key: tree.helpline_default})
    return tuple(
        Line(Message(tree.emergency_labels[key]) if key in tree.emergency_labels else key, number)
        for key, number in numbers.items()
    )


def _checked_state(tree: Tree, state: Mapping[str, Any]) -> dict[str, Any] | None:
    """A fresh copy of a stored state, or None if it does not fit this tree any more."""
    if not isinstance(state, Mapping) or state.get("node") not in tree.nodes:
        return None
    answers = state.get("answers")
    if not isinstance(answers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in answers.items()
    ):
        return None
    counters = {name: state.get(name, 0) for name in ("page", "invalid", "steps")}
    if not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counters.values()
    ):
        return None
    clean = {"node": state["node"], "answers": dict(answers), **counters}
    if state.get("resume") is True:
        clean["resume"] = True
    # Where an areas list is: kept only when well formed, else the list starts again at its top.
    path, find = state.get("path"), state.get("find")
    if (
        isinstance(path, list)
        and 0 < len(path) <= MAX_GROUP_DEPTH
        and all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < 100 for i in path)
    ):
        clean["path"] = list(path)
    if isinstance(find, str) and 0 < len(find) <= MAX_FIND:
        clean["find"] = find
    return clean
