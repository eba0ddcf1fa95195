"""Random input sequences: the engine never raises, every screen fits, every session ends."""

from __future__ import annotations

import json

from dialog_fixtures import SHIPPED_LANGUAGES, kenya
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.encoding import ussd_fits, within_segments
from dialogs.engine import advance, start
from dialogs.render import load_translations, render
from dialogs.sms import MAX_FIRST_MESSAGE, sms_step
from dialogs.tree import default_tree_path, load_tree

TREE = load_tree(default_tree_path())
KEYS = st.sampled_from(["1", "2", "3", "4", "5", "6", "9", "11", "98", "99", "0", "٢", " 1 "])
TEXT = st.text(max_size=200)
REFERENCES = st.sampled_from(["572309848", "572 309 848", "572309847"])
INPUTS = st.lists(st.one_of(KEYS, KEYS, KEYS, TEXT, REFERENCES), max_size=80)
PARAMS = {"reference": "482-177-302", "status": "not_found"}
# A first message kept whole, then the narrative question's answer after it.
MAX_NARRATIVE = MAX_FIRST_MESSAGE + 1 + (TREE.nodes["report_narrative"].max_length or 0)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SHIPPED_LANGUAGES), st.booleans(), INPUTS)
def test_random_sessions_stay_within_budget_and_end(
    language: str, fold: bool, inputs: list[str]
) -> None:
    context = kenya(language, fold_accents=fold)
    translations = load_translations(language)
    step = start(TREE, context)
    hops = 0
    for user_input in inputs:
        if step.screen.end:
            break
        step = advance(TREE, step.state, user_input, context)
        hops += 1
        if step.language not in (None, language):  # a language chosen: the gateway goes on in it
            language = str(step.language)
            context = kenya(language, fold_accents=fold)
            translations = load_translations(language)
        assert ussd_fits(render(step.screen, translations, PARAMS, fold)), step.screen.node
        assert len(json.dumps(step.state, ensure_ascii=False).encode()) < 1024
    assert hops <= TREE.max_steps + 1
    while not step.screen.end:
        step = advance(TREE, step.state, "1", context)
        hops += 1
        assert hops <= TREE.max_steps + 1


SMS_WORDS = st.sampled_from(
    ["STOP", "start", "HELP", "ripoti", "HALI 572309848", "status 572-309-847", "إيقاف",
     "R 2 3 1 KE-047 text", "R! 9", "R", "r 1 1 1 999 x", "DENUNCIAR 1 1", "0", "98", "99",
     "Sair", "cancel", "END", "الغاء", "yes", "ndiyo", "Não", "1.", "2)", "Hali gani?",
     "حالة طارئة", "Ripoti 2 watoto wanapigwa", "ANZA", "Nairobi"]
)  # fmt: skip
SMS_INPUTS = st.lists(st.one_of(KEYS, KEYS, SMS_WORDS, TEXT, REFERENCES), max_size=60)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SHIPPED_LANGUAGES), st.booleans(), st.booleans(), SMS_INPUTS)
def test_sms_never_raises_and_every_reply_fits_two_segments(
    language: str, fold: bool, opted_out: bool, inputs: list[str]
) -> None:
    state = None
    for text in inputs:
        step = sms_step(TREE, state, text, kenya(language, fold_accents=fold), opted_out)
        translations = load_translations(step.language)
        for reply in step.replies:
            assert within_segments(render(reply, translations, PARAMS, fold), 2), reply.node
        if step.state is not None:
            # Small, but for the reporter's own words kept as the narrative (sealed in Redis).
            answers = {k: v for k, v in step.state["answers"].items() if k != "narrative"}
            small = {**step.state, "answers": answers}
            assert len(json.dumps(small, ensure_ascii=False).encode()) < 1024
            assert len(step.state["answers"].get("narrative", "")) <= MAX_NARRATIVE
        kinds = {effect.kind for effect in step.effects}
        # Only STOP opts out and only START opts back in: no other word, label or answer.
        assert "opt_out" not in kinds or step.command == "stop"
        assert "opt_in" not in kinds or step.command == "start"
        opted_out = (opted_out or "opt_out" in kinds) and "opt_in" not in kinds
        state, language = step.state, step.language
