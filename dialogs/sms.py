"""The dialog trees over SMS: one inbound message → ``SmsStep`` (state, replies, effects).

Pure, like the engine it drives: the webhook loads the phone's SMS session (``state``, None
when there is none or it expired), calls ``sms_step`` and then
- applies ``effects`` in order (see below), collecting render parameters;
- renders every reply with ``dialogs.render.render(screen, translations(step.language),
  params, fold=<fold_accents for step.language>)`` and sends them in order;
- stores ``step.state`` with ``step.language`` as the phone's session (idle expiry, default
  24 h, refreshed on every inbound message), or deletes the session when ``step.state`` is None.

The same screens as USSD: a question with its numbered options and ``0. Exit``; the reporter
replies with the number. ``0`` leaves with the tree's harmless closing text. On the summary it
answers that the report was NOT sent (the SMS wording ``sms.messages.unsent``) and, as on USSD,
the report is kept: the session stays, marked for resume, and the next message answers
"1 Continue where you stopped · 2 Start again". Lists that do not fit one reply
(``Context.sms_segments``, default 2: 306 GSM-7 septets or 134 UCS-2 units) page with 98/99
as on USSD.

Keywords (``dialogs/keywords.py``, data in the tree's ``sms:`` section):
- STOP / START always win, even in the middle of a dialog: effect ``opt_out`` / ``opt_in``
  (data ``{}``), one short neutral confirmation, the session ends. For an opted-out number
  (``opted_out=True``) only START is acted on; anything else gets no reply and no effect.
- HELP: two messages, the emergency numbers (``sms.help`` node) then the keywords; the
  session (if any) is kept as it was.
- REPORT: the report questions from the start (``sms.report`` node).
- STATUS <reference>: the follow-up status screen (effect ``lookup_case``); STATUS alone asks
  for the reference; a mistyped reference gets the tree's reference error.
- ``R …``: a one-message report (``dialogs/focal.py``): ``open_case`` and the tree's thank-you
  screen with ``{reference}``, or which field is wrong.
On a free-text question only STOP and START are keywords (and STATUS with a reference on the
reference question): anything else is the answer.

Effects and what the webhook supplies back as render parameters:
``open_case`` {answers} → ``{"reference": "482-177-305"}``; ``lookup_case`` {reference} →
``{"status": received|in_progress|closed|not_found}``; ``add_note`` {reference, text};
``request_callback`` {reference, callback_time}; ``set_language`` {language} (also emitted when
a keyword was written in another enabled language; ``step.language`` is already the new one);
``opt_out`` {} and ``opt_in`` {}.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from dialogs.engine import (
    EXIT_KEY,
    SMS,
    Context,
    Effect,
    Step,
    advance,
    start,
)
from dialogs.focal import FocalError, parse_focal
from dialogs.keywords import (
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
from dialogs.normalise import normalise_input
from dialogs.screen import Message, Screen
from dialogs.tree import Tree

__all__ = ["IGNORED", "SmsStep", "sms_context", "sms_step"]

# ``SmsStep.command`` for a message from an opted-out number that is not START.
IGNORED: Final = "ignored"
FOCAL_ERROR: Final = "focal_error"


@dataclass(frozen=True)
class SmsStep:
    """What one inbound SMS leads to.

    ``state``: the new session (small JSON), or None to end it. ``replies``: the messages to
    send, in order, each within the SMS budget. ``command``: the keyword recognised (``stop``,
    ``start``, ``help``, ``report``, ``status``, ``focal_report``, ``focal_error``,
    ``ignored``) or None for an answer in the dialog. ``language``: render the replies and
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
    """One inbound SMS; ``context.language`` is the session's (or the reporter's) language."""
    context = sms_context(context)
    spec = tree.sms
    current = _live_state(tree, state)
    match = match_keyword(spec, text, context.language, context.languages)
    # On the resume screen (a report left with 0) the answer is 1, 2 or 0: keywords apply.
    resuming = current is not None and current.get("resume") is True
    node = tree.nodes[current["node"]] if current is not None and not resuming else None
    if match is not None and node is not None and node.kind == "input":
        # Free text is the answer, even if it looks like a keyword; but STOP and START always
        # win, and "STATUS 482-177-305" on the reference question is that reference.
        keeps = (STOP, START, STATUS) if node.check == "reference" else (STOP, START)
        if match.command not in keeps:
            match = None
    if opted_out and (match is None or match.command != START):
        return SmsStep(None, (), (), IGNORED, context.language)
    language_effects: tuple[Effect, ...] = ()
    if match is not None and match.language is not None:
        context = replace(context, language=match.language)
        language_effects = (Effect("set_language", {"language": match.language}),)
    result = _command(tree, spec, current, match, context) if match else None
    if result is None:
        result = _dialog(tree, current, text, context)
    return replace(result, effects=language_effects + result.effects)


def _command(
    tree: Tree,
    spec: SmsSpec,
    current: dict[str, Any] | None,
    match: Match,
    context: Context,
) -> SmsStep | None:
    language = context.language
    words = spec.keyword_params(language)
    if match.command == STOP:
        reply = _message(spec, "stopped", words)
        return SmsStep(None, (reply,), (Effect("opt_out", {}),), STOP, language)
    if match.command == START:
        reply = _message(spec, "started", words)
        return SmsStep(None, (reply,), (Effect("opt_in", {}),), START, language)
    if match.command == HELP:
        # Two messages: the emergency numbers (the tree's "Get help now" screen) first, then
        # the keywords. One message cannot hold both in UCS-2 (Arabic, Portuguese): 134 units.
        replies = [_message(spec, "help", words)]
        if spec.help is not None:
            replies.insert(0, start(tree, context, at=spec.help).screen)
        return SmsStep(current, tuple(replies), (), HELP, language)
    if match.command == REPORT and spec.report is not None:
        return _from_step(tree, start(tree, context, at=spec.report), REPORT, context)
    if match.command == STATUS and spec.status is not None:
        step = start(tree, context, at=spec.status)
        if match.argument:
            step = advance(tree, step.state, match.argument, context)
        return _from_step(tree, step, STATUS, context)
    if match.command == FOCAL and spec.focal is not None:
        return _focal(tree, spec, current, match, context)
    return None


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
    return _from_step(tree, step, FOCAL, context)


def _dialog(tree: Tree, current: dict[str, Any] | None, text: str, context: Context) -> SmsStep:
    if current is None:
        if normalise_input(text) == EXIT_KEY:  # a late "0" to a session that already expired
            return _from_step(tree, start(tree, context, at=tree.exit), None, context)
        return _from_step(tree, start(tree, context), None, context)
    return _from_step(tree, advance(tree, current, text, context), None, context)


def _from_step(tree: Tree, step: Step, command: str | None, context: Context) -> SmsStep:
    screen = step.screen
    spec = tree.sms
    # The USSD wording says "dial again": over SMS the way back is the REPORT keyword, or 1 to
    # go back to a report left at its summary.
    for node, name in ((tree.give_up, "give_up"), (tree.unsent, "unsent")):
        if screen.node == node and name in spec.messages:
            words = spec.keyword_params(context.language)
            screen = replace(screen, text=_message(spec, name, words).text)
    # An end screen closes the session, unless 0 on a summary kept the report to come back to.
    state = step.state if not screen.end or step.state.get("resume") else None
    # A language chosen from the Language list: the next screen is in it, and so is the session.
    language = step.language or context.language
    return SmsStep(state, (screen,), step.effects, command, language)


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
