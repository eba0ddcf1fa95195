"""Engine rules: re-prompts, three strikes, 0 on every screen, paging, limits, state.

The place question's own rules (groups, typed letters, hops) are in ``test_dialog_places.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from dialog_fixtures import kenya

from dialogs.encoding import ussd_fits
from dialogs.engine import (
    BACK_KEY,
    MORE_KEY,
    Context,
    Effect,
    advance,
    can_resume,
    fill,
    resume,
    show,
)
from dialogs.reference import damm_digit, format_reference
from dialogs.render import load_translations, render
from dialogs.screen import Message
from dialogs.tree import Tree

EN = load_translations("en")
UNSENT = "Your report was NOT sent. Dial again soon to finish it."


def at(node: str, **answers: str) -> dict[str, Any]:
    return {"node": node, "answers": answers, "page": 0, "invalid": 0, "steps": 0}


def text(screen: Any, **params: str) -> str:
    return render(screen, EN, {"reference": "482-177-302", "status": "received", **params})


def test_invalid_answer_reprompts_with_error_above_question(tree: Tree, context: Context) -> None:
    step = advance(tree, at("report_danger"), "7", context)

    assert step.state["node"] == "report_danger"
    assert text(step.screen) == (
        "Try again.\nIs a child in danger right now?\n1. Yes\n2. No\n0. Exit"
    )
    assert not step.screen.end


def test_three_invalid_answers_in_a_row_end_politely(tree: Tree, context: Context) -> None:
    state = at("report_age")
    for _attempt in range(2):
        step = advance(tree, state, "9", context)
        assert not step.screen.end
        state = step.state
    step = advance(tree, state, "hello", context)

    assert step.screen.end
    assert text(step.screen) == (
        "Sorry, we could not continue. If there is danger now, call 116. Please dial again later."
    )
    assert step.effects == ()


def test_a_valid_answer_resets_the_strikes(tree: Tree, context: Context) -> None:
    state = at("report_danger")
    for user_input in ["5", "5", "2", "9", "9"]:
        state = advance(tree, state, user_input, context).state

    assert state["node"] == "report_category"
    assert state["invalid"] == 2


def test_input_errors_are_specific(tree: Tree, context: Context) -> None:
    too_long = advance(tree, at("report_place"), "x" * 61, context)
    empty = advance(tree, at("follow_note", reference="482177302"), "   ", context)

    assert text(too_long.screen).startswith("Too long. Please write less.\n")
    assert too_long.state["node"] == "report_place"
    assert text(empty.screen).startswith("Please type an answer.\n")


def test_zero_exits_from_every_menu_list_and_required_input(tree: Tree, context: Context) -> None:
    exits = [
        node
        for node in tree.nodes.values()
        if node.kind not in {"end", "router"} and not node.optional
    ]
    assert len(exits) > 10
    for node in exits:
        step = advance(tree, at(node.id, reference="482177302"), "0", context)
        assert step.screen.end, node.id
        closing = UNSENT if node.kind == "summary" else "Goodbye."
        assert text(step.screen) == closing, node.id
        assert step.effects == (), node.id
        assert text(show(tree, at(node.id, reference="482177302"), context)).endswith(
            "\n0. Exit"
        ), node.id


def test_zero_skips_optional_text(tree: Tree, context: Context) -> None:
    step = advance(tree, at("report_narrative"), "0", context)

    assert text(show(tree, at("report_narrative"), context)).endswith("\n0. Skip")
    assert step.state["node"] == "report_callback"
    assert "narrative" not in step.state["answers"]


def test_an_answer_given_before_its_question_is_kept(tree: Tree, context: Context) -> None:
    # An SMS that opened the report in the reporter's own words (start(answers=...)).
    state = at("report_narrative", narrative="He beats her")
    skipped = advance(tree, state, "0", context)
    added = advance(tree, state, "every night", context)

    assert skipped.state["answers"]["narrative"] == "He beats her"
    assert added.state["answers"]["narrative"] == "He beats her\nevery night"


def test_a_reference_typed_again_replaces_the_one_not_found(tree: Tree, context: Context) -> None:
    # "1. Try again" after a reference not found comes back to the same question.
    retyped = "48217730" + damm_digit("48217730")
    state = at("follow_reference", reference="765432105", status="not_found")
    step = advance(tree, state, retyped, context)

    assert step.state["answers"]["reference"] == retyped


AR = load_translations("ar")


def test_a_menu_too_long_for_one_screen_pages_cleanly(tree: Tree) -> None:
    context = kenya("ar")  # UCS-2: eight categories do not fit 80 characters
    state = at("report_category")
    seen: list[str] = []
    screens = []
    while True:
        screen = show(tree, state, context)
        screens.append(render(screen, AR))
        keys = [choice.key for choice in screen.options]
        numbered = [c.label for c in screen.options if c.key not in {"0", MORE_KEY, BACK_KEY}]
        assert keys[: len(numbered)] == [str(n) for n in range(1, len(numbered) + 1)]
        seen.extend(label.msgid for label in numbered if isinstance(label, Message))
        if MORE_KEY not in keys:
            break
        state = advance(tree, state, MORE_KEY, context).state

    assert seen == [option.label for option in tree.nodes["report_category"].options]
    assert 2 <= len(screens) <= 4
    assert all(ussd_fits(screen) for screen in screens)
    assert "99. " not in screens[0] and all("\n99. " in s for s in screens[1:])
    assert "\n98. " not in screens[-1]


def test_choosing_on_a_later_page_and_going_back(tree: Tree) -> None:
    context = kenya("ar")
    state = advance(tree, at("report_category"), MORE_KEY, context).state
    second_page = show(tree, state, context)
    second = second_page.options[1]
    chosen = advance(tree, state, second.key, context)

    assert isinstance(second.label, Message)
    labels = {option.label: option.value for option in tree.nodes["report_category"].options}
    assert chosen.state["answers"]["category"] == labels[second.label.msgid]
    back = advance(tree, state, BACK_KEY, context)
    assert back.state["page"] == 0
    assert show(tree, back.state, context).options[0].label == Message("Physical violence")
    first_page_back = advance(tree, back.state, BACK_KEY, context)
    assert render(first_page_back.screen, AR).startswith("حاول ثانية.")


def test_session_is_bounded_in_steps(tree: Tree) -> None:
    context = kenya("ar")
    state = at("report_category")
    for hop in range(tree.max_steps):
        step = advance(tree, state, MORE_KEY if hop % 2 == 0 else BACK_KEY, context)
        assert not step.screen.end
        state = step.state
    step = advance(tree, state, MORE_KEY, context)

    assert step.screen.end
    assert step.state["node"] == tree.give_up


def test_state_is_small_json_without_the_phone(tree: Tree) -> None:
    context = kenya("ar")
    answers = {
        "danger": "yes",
        "category": "labour_trafficking",
        "age_band": "unknown",
        "sex": "unknown",
        "area": "028",
        "place": "ق" * 60,
        "relationship": "professional",
        "narrative": "ع" * 160,
        "callback": "yes",
        "callback_time": "afternoon",
        "sms_updates": "yes",
    }
    step = advance(tree, at("report_sms_updates", **answers), "1", context)
    encoded = json.dumps(step.state, ensure_ascii=False).encode()

    assert json.loads(encoded) == step.state
    assert len(encoded) < 1024
    assert step.state["node"] == "report_summary"


def test_stale_or_foreign_state_starts_over(tree: Tree, context: Context) -> None:
    for state in [{}, {"node": "removed_node", "answers": {}}, at("main") | {"page": -1}]:
        step = advance(tree, state, "1", context)
        assert step.state["node"] == "main"
        assert step.state["steps"] == 0


def test_an_ended_session_emits_nothing_again(tree: Tree, context: Context) -> None:
    state = at("report_sent", danger="no")
    step = advance(tree, state, "1", context)

    assert step.screen.end
    assert step.effects == ()


def test_get_help_now_lists_the_callers_emergency_numbers(tree: Tree, context: Context) -> None:
    step = advance(tree, at("main"), "3", context)
    default = advance(tree, at("main"), "3", kenya(emergency_numbers=None))

    assert step.screen.end
    assert text(step.screen) == "If there is danger now, call:\nHelpline: 116\nPolice: 999"
    assert text(default.screen) == "If there is danger now, call:\nHelpline: 116"


def test_danger_screen_uses_the_areas_helpline(tree: Tree) -> None:
    context = kenya(emergency_numbers={"child_helpline": "1195", "police": "999"})
    step = advance(tree, at("report_danger"), "1", context)

    assert text(step.screen).startswith("If you can, call 1195 now.")


def test_choosing_a_language_saves_it_and_shows_the_main_menu_in_it(
    tree: Tree, context: Context
) -> None:
    menu = advance(tree, at("main"), "4", context)
    step = advance(tree, menu.state, "2", context)

    assert text(menu.screen) == (
        "Language\n1. English\n2. Kiswahili\n3. Français\n4. العربية\n5. Português\n0. Exit"
    )
    assert not step.screen.end
    assert step.effects == (Effect("set_language", {"language": "sw"}),)
    assert step.language == "sw"
    assert step.state["node"] == "main" and step.state["answers"] == {}
    assert render(step.screen, load_translations("sw")) == render(
        show(tree, at("main"), kenya("sw")), load_translations("sw")
    )
    assert render(step.screen, load_translations("sw")).startswith("Karibu")
    assert not can_resume(tree, step.state)  # nothing was reported: no "continue" on redial


VALID = "12345678" + damm_digit("12345678")


def test_follow_up_checks_the_reference_before_any_lookup(tree: Tree, context: Context) -> None:
    menu = advance(tree, at("main"), "2", context)
    typo = VALID[:3] + str((int(VALID[3]) + 1) % 10) + VALID[4:]
    swapped = VALID[:4] + VALID[5] + VALID[4] + VALID[6:]
    assert VALID[4] != VALID[5]

    for wrong in [typo, swapped, "12345", "abc"]:
        step = advance(tree, menu.state, wrong, context)
        assert step.state["node"] == "follow_reference"
        assert step.effects == ()
        assert text(step.screen).startswith("That reference is not right.")


@pytest.mark.parametrize(
    "typed",
    [VALID, format_reference(VALID), f" {VALID[:3]} {VALID[3:6]} {VALID[6:]} ", "\u200f" + VALID],
)
def test_follow_up_accepts_a_reference_typed_any_usual_way(
    tree: Tree, context: Context, typed: str
) -> None:
    step = advance(tree, at("follow_reference"), typed, context)
    state, screen = fill(tree, step.state, step.screen, {"status": "in_progress"}, context)

    assert step.effects == (Effect("lookup_case", {"reference": VALID}),)
    assert text(screen) == (
        f"Report {format_reference(VALID)}. It is being handled.\n1. Add information\n"
        "2. Ask for a call back\n0. Exit"
    )
    assert state["answers"]["status"] == "in_progress"


def looked_up(tree: Tree, context: Context, status: str) -> dict[str, Any]:
    """The follow-up screen after the webhook looked the reference up and found ``status``."""
    step = advance(tree, at("follow_reference"), VALID, context)
    return fill(tree, step.state, step.screen, {"status": status}, context)[0]


def test_a_reference_not_found_offers_only_to_type_it_again(tree: Tree, context: Context) -> None:
    step = advance(tree, at("follow_reference"), VALID, context)
    state, screen = fill(tree, step.state, step.screen, {"status": "not_found"}, context)
    again = advance(tree, state, "1", context)
    wrong = advance(tree, state, "2", context)

    assert text(screen) == (
        f"Report {format_reference(VALID)}. We cannot find it. Check the number.\n"
        "1. Try again\n0. Exit"
    )
    assert again.state["node"] == "follow_reference" and again.effects == ()
    assert text(wrong.screen).startswith("Try again.\nReport")
    assert wrong.effects == (Effect("lookup_case", {"reference": VALID}),)
    assert "Add information" not in text(show(tree, state, context))


def test_before_the_lookup_nothing_is_offered_on_the_reference(
    tree: Tree, context: Context
) -> None:
    step = advance(tree, at("follow_reference"), VALID, context)

    assert text(step.screen).endswith(". We have received it.\n0. Exit")
    assert step.screen.options[-1].key == "0" and len(step.screen.options) == 1


def test_follow_up_add_information_and_call_back(tree: Tree, context: Context) -> None:
    status = looked_up(tree, context, "received")
    note = advance(tree, advance(tree, status, "1", context).state, "He came back", context)
    times = advance(tree, status, "2", context)
    callback = advance(tree, times.state, "4", context)

    assert note.effects == (Effect("add_note", {"reference": VALID, "text": "He came back"}),)
    assert text(note.screen) == (
        f"Thank you. We have your message for report {format_reference(VALID)}."
    )
    assert callback.effects == (
        Effect("request_callback", {"reference": VALID, "callback_time": "any"}),
    )


def test_reprompt_on_lookup_screen_asks_for_the_status_again(tree: Tree, context: Context) -> None:
    status = looked_up(tree, context, "received")
    step = advance(tree, status, "7", context)

    assert step.effects == (Effect("lookup_case", {"reference": VALID}),)


@pytest.mark.parametrize("typed", ["٢", "۲", "２", " 2 ", "\u200f2\u200e"])
def test_digits_in_any_script_choose_options(tree: Tree, context: Context, typed: str) -> None:
    step = advance(tree, at("report_danger"), typed, context)

    assert step.state["answers"] == {"danger": "no"}


def test_a_dropped_report_is_offered_back_and_continues_where_it_stopped(
    tree: Tree, context: Context
) -> None:
    dropped = at("report_sex", danger="no", category="neglect", age_band="under_5")
    offer = resume(tree, dropped, context)
    continued = advance(tree, offer.state, "1", context)

    assert can_resume(tree, dropped)
    assert text(offer.screen) == (
        "Your last session was cut off.\n1. Continue where you stopped\n2. Start again\n0. Exit"
    )
    assert text(show(tree, offer.state, context)) == text(offer.screen)
    assert continued.state["node"] == "report_sex"
    assert continued.state["answers"] == dropped["answers"]
    assert "resume" not in continued.state
    assert text(continued.screen).startswith("The child is\n1. A girl")


def test_a_dropped_report_can_be_started_again_or_left(tree: Tree, context: Context) -> None:
    offer = resume(tree, at("report_area", danger="yes"), context)
    again = advance(tree, offer.state, "2", context)
    left = advance(tree, offer.state, "0", context)
    wrong = advance(tree, offer.state, "7", context)

    assert again.state["node"] == "main" and again.state["answers"] == {}
    assert left.screen.end and text(left.screen) == "Goodbye."
    assert not can_resume(tree, left.state)
    assert text(wrong.screen).startswith("Try again.\nYour last session was cut off.")
    assert wrong.state["resume"] is True


SUMMARY = at("report_summary", danger="no", category="neglect", age_band="5_11", sex="girl",
             area="001", relationship="community", callback="no")  # fmt: skip


def test_zero_at_the_summary_says_not_sent_and_keeps_the_report(
    tree: Tree, context: Context
) -> None:
    left = advance(tree, SUMMARY, "0", context)

    assert left.screen.end and text(left.screen) == UNSENT
    assert left.effects == ()
    assert "Thank you" not in text(left.screen)
    assert left.state["node"] == "report_summary"
    assert left.state["answers"] == SUMMARY["answers"]
    assert can_resume(tree, left.state)
    offer = resume(tree, left.state, context)
    assert text(offer.screen).startswith("Your last session was cut off.\n1. Continue")
    again = advance(tree, offer.state, "1", context)
    assert text(again.screen).startswith("Your report: neglect, Mombasa.\n1. Send")
    sent = advance(tree, again.state, "1", context)
    assert [effect.kind for effect in sent.effects] == ["open_case"]
    assert text(sent.screen).startswith("Thank you. Your reference is 482-177-302.")


def test_zero_at_the_offer_of_a_summary_says_not_sent_again(tree: Tree, context: Context) -> None:
    offer = resume(tree, advance(tree, SUMMARY, "0", context).state, context)
    left = advance(tree, offer.state, "0", context)

    assert text(left.screen) == UNSENT
    assert left.state == offer.state


def test_zero_before_the_summary_is_the_quick_exit(tree: Tree, context: Context) -> None:
    left = advance(tree, at("report_age", danger="no", category="neglect"), "0", context)

    assert text(left.screen) == "Goodbye."
    assert left.state["node"] == tree.exit and not can_resume(tree, left.state)


def test_input_after_an_end_screen_changes_nothing(tree: Tree, context: Context) -> None:
    done = at("report_sent", danger="no", category="neglect")
    step = advance(tree, done, "1", context)

    assert step.screen.end and step.effects == ()
    assert text(step.screen) == "This session has ended. Please dial again."
    assert step.state == {**done, "steps": 0}


def test_nothing_to_resume_starts_a_new_session(tree: Tree, context: Context) -> None:
    for state in [at("main"), at("report_sent", danger="no"), {"node": "gone", "answers": {}}]:
        assert not can_resume(tree, state)
        assert resume(tree, state, context).state["node"] == "main"
