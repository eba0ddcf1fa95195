"""The dialog trees over SMS: one inbound message → ``SmsStep`` (state, replies, effects).

Pure, like the engine it drives: the webhook loads the phone's SMS session (``state``, None
when there is none or it expired), calls ``sms_step`` and then
- applies ``effects`` in order (see below), collecting render parameters;
- renders every reply with ``dialogs.render.render(screen, translations(step.language),
  params, fold=<fold_accents for step.language>)`` and sends them in order;
- stores ``step.state`` with ``step.language`` as the phone's session (idle expiry, default
  24 h, refreshed on every inbound message), or deletes the session when ``step.state`` is None.

The same screens as USSD: a question with its numbered options and ``0. Exit``; the reporter
replies with the number, or in words (the option's label, "yes", "ndiyo": ``dialogs/words.py``),
and a wrong answer is asked again with the SMS wording that says how to answer. ``0`` leaves
with the tree's harmless closing text. On the summary it answers that the report was NOT sent
(the SMS wording ``sms.messages.unsent``) and, as on USSD, the report is kept: the session
stays, marked for resume, and the next message answers "1 Continue where you stopped · 2 Start
again". Lists that do not fit one reply (``Context.sms_segments``, default 2: 306 GSM-7
septets or 134 UCS-2 units) page with 98/99 as on USSD. A report's thank-you, its last SMS, is
the SMS wording ``sms.messages.sent`` (when the tree has one): the reference and the helpline
as on USSD, and that these messages may be deleted if others use the phone.

A first message in words, with no conversation going ("I want to report a child being
beaten"), is the report: it starts the report questions and is kept as the start of the
narrative (``sms.first_message``), never answered with the menu and dropped.

Keywords (``dialogs/keywords.py``, data in the tree's ``sms:`` section):
- STOP: effect ``opt_out`` (data ``{}``), one short neutral confirmation, the session ends.
  STOP is about what we send unasked (alerts, follow-ups, reminders): an opted-out number
  still gets the replies to what it asks, so every keyword and answer below works as ever.
- EXIT (CANCEL, END, QUIT, the "0. Exit" label in every language): what 0 does on a menu, and
  nothing more.
- HELP: two messages, the emergency numbers (``sms.help`` node) then the keywords; the
  session (if any) is kept as it was.
- START: effect ``opt_in`` and the confirmation.
- REPORT: the report questions from the start (``sms.report`` node); REPORT followed by words
  keeps them as the start of the narrative.
- STATUS <reference>: the follow-up status screen (effect ``lookup_case``); a mistyped
  reference gets the tree's reference error. A STATUS word alone gets the keywords message.
- ``R …`` in the full focal-point shape: a one-message report (``dialogs/focal.py``):
  ``open_case`` and the tree's thank-you screen with ``{reference}``, or which field is wrong.
  Anything else after ``R`` is a report in words.
In the middle of a report (a session with answers) START, REPORT and STATUS keep the draft:
they answer "1 Continue where you stopped · 2 Start again" (START also opts back in, with its
confirmation first, for a number that had opted out); a one-message report is filed and the
draft stays. On a free-text question only STOP, START and EXIT are keywords (and STATUS with a
reference on the reference question): anything else is the answer. On the place question,
letters that start an area's name are the answer too ("R" finds Tana River), unless they are
STOP, START, or an exit word that is no area's whole name.

Effects and what the webhook supplies back as render parameters:
``open_case`` {answers} → ``{"reference": "482-177-302"}``; ``lookup_case`` {reference} →
``{"status": received|in_progress|closed|not_found}``; ``add_note`` {reference, text};
``request_callback`` {reference, callback_time}; ``set_language`` {language} (also emitted when
a keyword was written in another enabled language; ``step.language`` is already the new one);
``opt_out`` {} and ``opt_in`` {}.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from dialogs.effects import Effect, EffectKind
from dialogs.engine import (
    EXIT_KEY,
    RESUME,
    SMS,
    Context,
    Step,
    advance,
    can_resume,
    helpline,
    leave,
    resume,
    start,
)
from dialogs.focal import FocalError, has_focal_shape, parse_focal
from dialogs.keywords import (
    EXIT,
    FOCAL,
    HELP,
    REPORT,
    START,
    STATUS,
    STOP,
    Match,
    SmsSpec,
    match_keyword,
)
from dialogs.normalise import clean_free_text, normalise_input
from dialogs.places import find_areas, is_area_name
from dialogs.screen import Message, Screen
from dialogs.tree import Tree, reachable

__all__ = ["SmsStep", "sms_context", "sms_step", "thank_you"]

FOCAL_ERROR: Final = "focal_error"
# The most of a first message kept as the narrative: Twilio's longest inbound body. The case
# store keeps 2,000 characters, and the answer to the narrative question is added after it.
MAX_FIRST_MESSAGE: Final = 1600


@dataclass(frozen=True)
class SmsStep:
    """What one inbound SMS leads to.

    ``state``: the new session (small JSON), or None to end it. ``replies``: the messages to
    send, in order, each within the SMS budget. ``command``: the keyword recognised (``stop``,
    ``start``, ``help``, ``exit``, ``report``, ``status``, ``focal_report``, ``focal_error``)
    or None for an answer in the dialog. ``language``: render the replies and
    keep the session in this language.
    """

    state: dict[str, Any] | None
    replies: tuple[Screen, ...]
    effects: tuple[Effect, ...]
    command: str | None
    language: str


def sms_context(context: Context) -> Context:
    """``context`` with the SMS budget in force (pages and errors cut for one SMS)."""
    return context if context.channel == SMS else replace(context, channel=SMS)


def sms_step(
    tree: Tree,
    state: Mapping[str, Any] | None,
    text: str,
    context: Context,
    opted_out: bool = False,
) -> SmsStep:
    """One inbound SMS; ``context.language`` is the session's (or the reporter's) language.

    ``opted_out``: the number had sent STOP. It changes only what START answers: every
    request is answered as ever (what the number may be sent unasked is the send job's rule).
    """
    context = sms_context(context)
    spec = tree.sms
    current = _live_state(tree, state)
    match = match_keyword(spec, text, context.language, context.languages)
    if (
        match is not None
        and match.command == FOCAL
        and (spec.focal is None or not has_focal_shape(spec.focal, match.argument))
    ):
        match = replace(match, command=REPORT)  # a report written in words
    if (
        match is not None
        and current is not None
        and not _applies(tree, current, match, text, context)
    ):
        match = None
    language_effects: tuple[Effect, ...] = ()
    if match is not None and match.language is not None:
        context = replace(context, language=match.language)
        language_effects = (Effect(EffectKind.SET_LANGUAGE, {"language": match.language}),)
    result = _command(tree, spec, current, match, context, opted_out) if match else None
    if result is None:
        result = _dialog(tree, current, text, context)
    return replace(result, effects=language_effects + result.effects)


def _applies(
    tree: Tree, current: Mapping[str, Any], match: Match, text: str, context: Context
) -> bool:
    """Whether a keyword is one in the middle of a conversation, or just the answer."""
    if match.command == STATUS and not match.argument:
        return False  # "Hali", "حالة" alone: an everyday word, not a question for us
    if current.get("resume") is True:
        return True  # the resume screen is answered with 1, 2 or 0
    node = tree.nodes[current["node"]]
    if node.kind == "list" and node.source == "areas" and find_areas(context.areas, text):
        # Letters that start an area's name answer the place question ("R" finds Tana River,
        # it is no focal-point report); STOP and START always count, and an exit word unless
        # it is an area's whole name, as "0. Exit" typed in words (dialogs.engine).
        keeps = {STOP, START} | (set() if is_area_name(context.areas, text) else {EXIT})
        return match.command in keeps
    if node.kind != "input":
        return True
    # Free text is the answer, even if it looks like a keyword; but STOP, START and EXIT
    # always count, and "STATUS 482-177-302" on the reference question is that reference.
    keeps = {STOP, START, EXIT} | ({STATUS} if node.check == "reference" else set())
    return match.command in keeps


def _command(
    tree: Tree,
    spec: SmsSpec,
    current: dict[str, Any] | None,
    match: Match,
    context: Context,
    opted_out: bool,
) -> SmsStep | None:
    language = context.language
    words = spec.keyword_params(language)
    command = match.command
    if command == STOP:
        reply = _message(spec, "stopped", words)
        return SmsStep(None, (reply,), (Effect(EffectKind.OPT_OUT, {}),), STOP, language)
    if command == HELP:
        # Two messages: the emergency numbers (the tree's "Get help now" screen) first, then
        # the keywords. One message cannot hold both in UCS-2 (Arabic, Portuguese): 134 units.
        replies = [_message(spec, "help", words)]
        if spec.help is not None:
            replies.insert(0, start(tree, context, at=spec.help).screen)
        return SmsStep(current, tuple(replies), (), HELP, language)
    if command == EXIT:
        step = leave(tree, current or {}, context)
        return _from_step(tree, step, EXIT, context)
    if command == FOCAL and spec.focal is not None:
        return _focal(tree, spec, current, match, context)
    if current is not None and _is_draft(tree, current):
        # A draft is never thrown away by a keyword: offer it back instead.
        kept = _from_step(tree, resume(tree, current, context), command, context)
        if command != START or not opted_out:
            return kept
        started = _message(spec, "started", words)
        opt_in = (Effect(EffectKind.OPT_IN, {}),)
        return replace(kept, replies=(started, *kept.replies), effects=opt_in)
    if command == START:
        reply = _message(spec, "started", words)
        return SmsStep(None, (reply,), (Effect(EffectKind.OPT_IN, {}),), START, language)
    if command == REPORT and spec.report is not None:
        answers = _first_message(spec, match.argument)
        return _from_step(
            tree, start(tree, context, at=spec.report, answers=answers), REPORT, context
        )
    if command == STATUS and not match.argument:
        return SmsStep(None, (_message(spec, "help", words),), (), STATUS, language)
    if command == STATUS and spec.status is not None:
        step = advance(tree, start(tree, context, at=spec.status).state, match.argument, context)
        return _from_step(tree, step, STATUS, context)
    return None


def _is_draft(tree: Tree, current: Mapping[str, Any]) -> bool:
    """A report under way: answers given, on one of the report's own questions (a follow-up
    of an earlier report is not one: STATUS again simply looks up the next reference)."""
    report = tree.sms.report
    return (
        report is not None
        and can_resume(tree, current)
        and current["node"] in reachable(tree, [report])
    )


def _focal(
    tree: Tree, spec: SmsSpec, current: dict[str, Any] | None, match: Match, context: Context
) -> SmsStep:
    assert spec.focal is not None
    parsed = parse_focal(
        tree, spec.focal, match.argument, match.danger, context.areas, context.country
    )
    if isinstance(parsed, FocalError):
        params: dict[str, str | Message] = dict(spec.keyword_params(context.language))
        params.update(count=str(parsed.count), example=parsed.example)
        reply = Screen(
            node=FOCAL_ERROR,
            end=True,
            error=Message(spec.messages[parsed.message], params),
            text=Message(spec.messages["focal_usage"], params),
        )
        return SmsStep(current, (reply,), (), FOCAL_ERROR, context.language)
    step = start(tree, context, at=spec.focal.done, answers=parsed)
    # A complete report of its own: a conversation going on (a draft) is left as it was.
    return replace(_from_step(tree, step, FOCAL, context), state=current)


def _dialog(tree: Tree, current: dict[str, Any] | None, text: str, context: Context) -> SmsStep:
    if current is not None:
        return _from_step(tree, advance(tree, current, text, context), None, context)
    if normalise_input(text) == EXIT_KEY:  # a late "0" to a session that already expired
        return _from_step(tree, start(tree, context, at=tree.exit), None, context)
    spec = tree.sms
    if spec.report is not None and _has_words(text):
        # Written unprompted, in words: that is the report (a bare number is not).
        answers = _first_message(spec, text)
        return _from_step(
            tree, start(tree, context, at=spec.report, answers=answers), None, context
        )
    return _from_step(tree, start(tree, context), None, context)


def _first_message(spec: SmsSpec, text: str) -> dict[str, str]:
    """The answers a message in words opens the report with: its text, as the narrative
    (none for a text without words, such as the "." after a REPORT keyword)."""
    kept = clean_free_text(text)[:MAX_FIRST_MESSAGE]
    if spec.first_message is None or not _has_words(kept):
        return {}
    return {spec.first_message: kept}


def _has_words(text: str) -> bool:
    return any(char.isalpha() for char in text)


def _from_step(tree: Tree, step: Step, command: str | None, context: Context) -> SmsStep:
    screen = step.screen
    spec = tree.sms
    # The USSD wording says "dial again" or "cut off": over SMS the way back is the REPORT
    # keyword, or 1 to go back to a report left at its summary or interrupted by a keyword;
    # and the thank-you of a report, the last SMS of it, says these messages may be deleted.
    # (A re-prompt that had to put its error in place of the text keeps it: nothing to swap.)
    swaps = [(tree.give_up, "give_up"), (tree.unsent, "unsent"), (RESUME, "resume")]
    swaps.extend((node_id, "sent") for node_id in _report_endings(tree))
    for node, name in swaps:
        shown = tree.ui["resume"] if node == RESUME else tree.nodes[node].text
        if screen.node == node and name in spec.messages and screen.text.msgid == shown:
            words = {**spec.keyword_params(context.language), "helpline": helpline(tree, context)}
            screen = replace(screen, text=_message(spec, name, words).text)
    # An end screen closes the session, unless 0 on a summary kept the report to come back to.
    state = step.state if not screen.end or step.state.get("resume") else None
    # A language chosen from the Language list: the next screen is in it, and so is the session.
    language = step.language or context.language
    return SmsStep(state, (screen,), step.effects, command, language)


def thank_you(tree: Tree, context: Context) -> Screen | None:
    """A report's thank-you as an SMS (``sms.messages.sent``, None when the tree has none),
    ``{reference}`` left to the webhook: what a USSD reporter who agreed to SMS updates is sent
    once, so the reference stays on their phone after the session ends."""
    spec = tree.sms
    if "sent" not in spec.messages:
        return None
    words = {**spec.keyword_params(context.language), "helpline": helpline(tree, context)}
    return _message(spec, "sent", words)


def _report_endings(tree: Tree) -> list[str]:
    """The end nodes that file a report (``open_case``): their screen is a report's last SMS."""
    return [
        node.id
        for node in tree.nodes.values()
        if node.kind == "end" and node.effect is not None and node.effect.kind == "open_case"
    ]


def _message(spec: SmsSpec, name: str, words: Mapping[str, str]) -> Screen:
    return Screen(node=f"sms_{name}", end=True, text=Message(spec.messages[name], dict(words)))


def _live_state(tree: Tree, state: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The stored session if it still fits the tree and is mid-dialog, else None."""
    if not isinstance(state, Mapping):
        return None
    node = state.get("node")
    if not isinstance(node, str) or node not in tree.nodes:
        return None
    if tree.nodes[node].kind in ("end", "router"):
        return None
    if not isinstance(state.get("answers"), Mapping):
        return None
    return dict(state)
