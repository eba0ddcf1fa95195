"""Play a transcript the way the webhooks do, with fixed ids: what a reporter sends, what they read.

Transcripts live in ``tests/dialogs/transcripts/<tree>/<channel>/<language>.yaml`` (see
``test_dialog_transcripts.py``). The webhook's part is played with fixed values: every
``open_case`` gets reference 482-177-302, every ``lookup_case`` the status ``received``,
``opt_out``/``opt_in`` set and clear the number's opt-out flag, ``set_language`` is already
reflected in ``Step.language`` and ``SmsStep.language``. The status is handed back to the
dialog as the webhooks do (``fill``): the options after it depend on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dialog_fixtures import kenya

from dialogs.engine import Effect, advance, can_resume, fill, resume, start
from dialogs.render import load_translations, render
from dialogs.screen import Screen
from dialogs.sms import sms_context, sms_step
from dialogs.tree import Tree

TRANSCRIPTS = Path(__file__).resolve().parent / "transcripts"
CHANNELS = ("ussd", "sms")
REFERENCE = "482-177-302"
STATUS = "received"


def webhook_params(effects: tuple[Effect, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for effect in effects:
        if effect.kind == "open_case":
            params["reference"] = REFERENCE
        elif effect.kind == "lookup_case":
            params["status"] = STATUS
    return params


def effects_data(effects: tuple[Effect, ...]) -> list[dict[str, Any]]:
    return [{"kind": e.kind, "data": _plain(e.data)} for e in effects]


def _plain(value: Any) -> Any:
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def play_ussd(tree: Tree, language: str, inputs: list[str | None]) -> Iterator[dict[str, Any]]:
    """``None`` dials (a new session: a report left unfinished by the previous one is offered
    back, as the webhook does within its resume window); each string is the next answer."""
    state: dict[str, Any] = {}
    for user_input in inputs:
        context = kenya(language)
        if user_input is not None:
            step = advance(tree, state, user_input, context)
        elif can_resume(tree, state):
            step = resume(tree, state, context)
        else:
            step = start(tree, context)
        language = step.language or language  # a language chosen: the session goes on in it
        params = {"reference": REFERENCE, **webhook_params(step.effects)}
        state, screen = fill(tree, step.state, step.screen, params, kenya(language))
        prefix = "END " if screen.end else "CON "
        text = render(screen, load_translations(language), params, kenya(language).fold_accents)
        yield {"input": user_input, "screen": prefix + text, "effects": effects_data(step.effects)}


def play_sms(tree: Tree, language: str, messages: list[str]) -> Iterator[dict[str, Any]]:
    """Each string is one inbound SMS from the same phone; the session carries over."""
    state: dict[str, Any] | None = None
    opted_out = False
    for text in messages:
        step = sms_step(tree, state, text, kenya(language), opted_out=opted_out)
        language = step.language
        state = step.state
        kinds = [effect.kind for effect in step.effects]
        if "opt_out" in kinds:
            opted_out = True
        if "opt_in" in kinds:
            opted_out = False
        translations = load_translations(language)
        params = webhook_params(step.effects)
        context = sms_context(kenya(language))
        replies: list[Screen] = []
        for reply in step.replies:
            if state is not None and reply.node == state["node"]:
                state, reply = fill(tree, state, reply, params, context)
            replies.append(reply)
        yield {
            "send": text,
            "command": step.command,
            "language": language,
            "replies": [render(r, translations, params, context.fold_accents) for r in replies],
            "effects": effects_data(step.effects),
        }
