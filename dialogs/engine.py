"""The dialog engine: ``(tree, state, input, context) → Step(new state, screen, effects)``.

Pure: it reads the tree, the state and the context and returns new values; it stores nothing
and talks to nothing. The state is a small JSON-serialisable dict (node id, answers, page,
counters) that the webhook keeps per session; it never holds the phone number.

Rules every screen follows:
- ``0`` leaves with the tree's ``exit`` text (harmless, and no thank-you: only a committed case
  earns one). On a summary it answers the tree's ``unsent`` text instead, which says plainly
  that the report was NOT sent, and the report is kept for ``resume`` exactly as after a drop.
  On an optional free-text screen ``0`` skips the question instead (DESIGN §4 "Tell us more
  (optional text, 0 to skip)"); the next screen is a menu, where ``0`` exits again.
- Input after an end screen changes nothing and gets ``ended`` ("This session has ended").
- A numbered choice may also be answered in words: the option's own label, a yes/no word of
  the session's language, ``1.`` or ``1)`` (``dialogs/words.py``).
- An invalid answer shows the same screen with a short error line (in place of the question
  when both do not fit; over SMS the tree's SMS wording, which says how to answer);
  ``tree.max_invalid`` invalid answers in a row, or more than ``tree.max_steps`` hops, end the
  session at ``tree.give_up``.
- An answer given before its question (an SMS that opened the report with the reporter's own
  words, ``start(answers=…)``) is kept when the question comes: ``0`` skips leaving it, and
  text typed there is added after it.
- A dropped session can be offered back (``can_resume``, ``resume``): "1 Continue where you
  stopped · 2 Start again".
- Options that do not fit the screen budget in the caller's language are split into pages
  with "More" (98) and "Back" (99).
- Effects are data for the webhook. Changes (``open_case``, ``add_note``, ``request_callback``,
  ``set_language``) sit on end nodes only, so each is emitted at most once per session;
  ``lookup_case`` is a read, emitted each time its screen is shown, and the webhook answers it
  with render parameters (``status``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from dialogs.encoding import SMS_SEGMENTS, USSD_BUDGET, ussd_fits, within_segments
from dialogs.normalise import clean_free_text, normalise_input
from dialogs.paging import Item, measure_params, paginate
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


@dataclass(frozen=True)
class Area:
    code: str
    name: str


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


@dataclass(frozen=True)
class Effect:
    kind: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Step:
    state: dict[str, Any]
    screen: Screen
    effects: tuple[Effect, ...] = ()


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
    return _answer_choice(tree, current, node, user_input, context)


def _answer_choice(
    tree: Tree, state: dict[str, Any], node: Node, typed: str, context: Context
) -> Step:
    items = _items(tree, node, context)
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
    return _enter(tree, state, item.next, context)


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
    earlier = state["answers"].get(node.answer)
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
    return (Effect(spec.kind, data),)


def _screen(tree: Tree, state: Mapping[str, Any], context: Context) -> Screen:
    node = tree.nodes[state["node"]]
    if node.kind in CHOICE_KINDS or node.kind == "list":
        items = _items(tree, node, context)
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
) -> Screen:
    assert node.text is not None
    end = node.kind == "end"
    if not end:
        zero = "skip" if node.kind == "input" and node.optional else "exit"
        options = (*options, Choice(EXIT_KEY, Message(tree.ui[zero])))
    names = placeholders(node.text)
    return Screen(
        node=node.id,
        end=end,
        text=Message(node.text, _params(tree, names, state["answers"], context)),
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
    for node in tree.nodes.values():
        if node.answer != name or node.kind == "router":
            continue
        if node.kind in CHOICE_KINDS:
            for option in node.options:
                if option.value == value:
                    return Message(option.short or option.label)
        if node.kind == "list":
            for item in _items(tree, node, context):
                if item.value == value:
                    return item.label
        if node.kind == "input" and node.check == "reference":
            return format_reference(value)
    return value


def _items(tree: Tree, node: Node, context: Context) -> list[Item]:
    if node.kind != "list":
        return [
            Item(Message(option.label), option.value, option.next, option.clear)
            for option in node.options
        ]
    assert node.next is not None
    if node.source == "areas":
        return [Item(area.name, area.code, node.next) for area in context.areas]
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
        Message(tree.ui["invalid_choice"]),
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
    return clean
