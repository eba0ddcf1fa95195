"""Answers in words: wherever a numbered choice is asked, over USSD and SMS, in every language.

"yes", "ndiyo", "oui", "نعم", "sim"; the option's own label as shown (any case, with or
without accents); "1." and "1)". A re-prompt over SMS says how to answer; giving up always
carries the helpline number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dialog_fixtures import COUNTIES, EMERGENCY, SHIPPED_LANGUAGES, kenya

from dialogs.check import check_tree
from dialogs.engine import advance, resume
from dialogs.places import Area
from dialogs.render import load_translations, render
from dialogs.sms import sms_step
from dialogs.tree import Tree, TreeError, load_tree, placeholders

CHANNELS = ("ussd", "sms")


def at(node: str, **answers: str) -> dict[str, Any]:
    return {"node": node, "answers": answers, "page": 0, "invalid": 0, "steps": 0}


def answer(tree: Tree, state: dict[str, Any], typed: str, language: str, channel: str) -> Any:
    """The new state after ``typed``, over USSD (the engine) or SMS (the SMS conversation)."""
    context = kenya(language, channel=channel)
    if channel == "ussd":
        return advance(tree, state, typed, context).state
    return sms_step(tree, state, typed, context).state


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    ("language", "typed", "value"),
    [("en", "yes", "yes"), ("en", "Y", "yes"), ("en", "No", "no"), ("en", "n", "no"),
     ("sw", "Ndiyo", "yes"), ("sw", "ndio", "yes"), ("sw", "HAPANA", "no"),
     ("fr", "oui", "yes"), ("fr", "Non", "no"),
     ("ar", "نعم", "yes"), ("ar", "\u200fلا", "no"),
     ("pt", "sim", "yes"), ("pt", "Não", "no"), ("pt", "nao", "no")],
)  # fmt: skip
def test_yes_and_no_in_words(
    tree: Tree, channel: str, language: str, typed: str, value: str
) -> None:
    state = answer(tree, at("report_danger"), typed, language, channel)

    assert state["answers"]["danger"] == value
    assert state["invalid"] == 0


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("typed", ["1.", "1)", "(1)", " 1 . ", "١.", "1-"])
def test_a_number_with_its_punctuation_is_the_number(tree: Tree, channel: str, typed: str) -> None:
    state = answer(tree, at("report_sex"), typed, "en", channel)

    assert state["answers"]["sex"] == "girl"


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_the_options_own_label_picks_it(tree: Tree, channel: str, language: str) -> None:
    shown = load_translations(language).gettext("Neglect or abandonment")
    for typed in (shown, shown.upper(), shown.lower(), fold_accents(shown)):
        state = answer(tree, at("report_category", danger="no"), typed, language, channel)
        assert state["answers"]["category"] == "neglect", typed


def fold_accents(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


@pytest.mark.parametrize("channel", CHANNELS)
def test_yes_or_no_picks_the_option_that_means_it_whatever_its_label(
    tree: Tree, channel: str
) -> None:
    no = answer(tree, at("report_callback"), "hapana", "sw", channel)
    anonymous = answer(tree, at("report_callback"), "Hapana, nisijulikane", "sw", channel)

    assert no["answers"]["callback"] == anonymous["answers"]["callback"] == "no"


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_list_item_by_its_name(tree: Tree, channel: str) -> None:
    state = answer(tree, at("report_area", danger="no"), "nairobi", "en", channel)
    context = kenya("en", channel=channel)
    if channel == "ussd":
        chosen = advance(tree, at("language"), "Kiswahili", context).language
    else:
        chosen = sms_step(tree, at("language"), "Kiswahili", context).language

    assert state["answers"]["area"] == "047"
    assert chosen == "sw"


def test_the_exit_label_leaves_on_ussd_too(tree: Tree) -> None:
    step = advance(tree, at("report_sex"), "sair", kenya("pt"))

    assert step.screen.end
    assert render(step.screen, load_translations("pt")) == "Adeus."


def test_more_and_back_by_their_labels(tree: Tree) -> None:
    more = advance(tree, at("report_category"), "More", kenya())
    back = advance(tree, more.state, "back", kenya())

    assert (more.state["page"], back.state["page"]) == (1, 0)


def test_the_resume_screen_takes_its_labels(tree: Tree) -> None:
    kept = resume(tree, at("report_sex", danger="no", category="neglect"), kenya()).state
    step = advance(tree, kept, "continue where you stopped", kenya())

    assert step.state["node"] == "report_sex" and "resume" not in step.state


@pytest.mark.parametrize("channel", CHANNELS)
def test_words_that_mean_nothing_here_are_still_wrong(tree: Tree, channel: str) -> None:
    for typed in ("maybe", "oui", "ndiyo"):  # oui, ndiyo: not English, the session's language
        state = answer(tree, at("report_danger"), typed, "en", channel)
        assert state["node"] == "report_danger" and state["invalid"] == 1


# --- words and the place question -----------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    ("language", "typed", "found"),
    [("en", "n", "Nairobi"), ("pt", "s", "Samburu"), ("sw", "la", "Laikipia"),
     ("ar", "لا", "لامو")],
)  # fmt: skip
def test_a_yes_or_no_word_on_the_place_question_is_letters(
    tree: Tree, channel: str, language: str, typed: str, found: str
) -> None:
    """ "n", "s", "la", "لا" mean no or yes on a menu, but start area names: here they find
    areas, as letters typed on the place question always do."""
    context = kenya(language, channel=channel)
    state = at("report_area", danger="no")
    if channel == "ussd":
        step = advance(tree, state, typed, context)
        screen, after = step.screen, step.state
    else:
        sms = sms_step(tree, state, typed, context)
        (screen,), after = sms.replies, sms.state

    assert after["node"] == "report_area" and after["invalid"] == 0
    assert "danger" in after["answers"] and "area" not in after["answers"]
    assert f"\n1. {found}\n" in render(screen, load_translations(language))


def test_back_and_exit_in_words_on_the_place_question_unless_a_place_is_so_named(
    tree: Tree,
) -> None:
    named = kenya("fr", areas=(*COUNTIES, Area("099", "Retour")))
    matches = advance(tree, at("report_area"), "ki", named).state
    back = advance(tree, matches, "retour", kenya("fr"))
    place = advance(tree, matches, "Retour", named)
    leave = advance(tree, matches, "Quitter", named)

    assert matches["find"] == "ki"
    assert back.state["node"] == "report_area" and "find" not in back.state
    assert place.state["answers"]["area"] == "099"
    assert leave.screen.end and render(leave.screen, load_translations("fr")) == "Au revoir."


def test_letters_that_start_an_area_answer_the_place_question_over_sms(tree: Tree) -> None:
    """ "R" is the focal-point prefix, and R followed by words a report in words; on the place
    question it is the first letter of Tana River. STOP, HELP and a one-message report still
    count there: they are no area's start."""
    draft = at("report_area", danger="no", category="neglect")
    letter = sms_step(tree, draft, "r", kenya())
    elsewhere = sms_step(tree, {**draft, "node": "report_sex"}, "R", kenya())
    stop = sms_step(tree, draft, "STOP", kenya())
    help_ = sms_step(tree, draft, "HELP", kenya())
    focal = sms_step(tree, draft, "R 2 3 1 047 beaten", kenya())

    assert letter.command is None and letter.state is not None
    assert letter.state["answers"]["area"] == "004"  # Tana River
    assert elsewhere.command == "report" and elsewhere.state is not None
    assert elsewhere.state.get("resume") is True
    assert (stop.command, help_.command, focal.command) == ("stop", "help", "focal_report")
    assert focal.state == draft


# --- re-prompts and giving up -------------------------------------------------------------------


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_an_sms_re_prompt_always_shows_its_wording(tree: Tree, language: str) -> None:
    """Pages over SMS are cut so that the SMS wording fits on each (in French it did not fit
    beside "Vous êtes" in UCS-2 and was silently left out)."""
    translations = load_translations(language)
    wording = translations.gettext(tree.sms.messages["invalid_choice"])
    questions = [
        node.id
        for node in tree.nodes.values()
        if node.kind in ("menu", "list") and not placeholders(node.text or "")
    ]
    for node in questions:
        (reply,) = sms_step(tree, at(node), "77", kenya(language)).replies
        assert wording in render(reply, translations), (node, render(reply, translations))


def test_an_sms_re_prompt_says_how_to_answer(tree: Tree) -> None:
    sms = sms_step(tree, at("report_danger"), "maybe", kenya())
    ussd = advance(tree, at("report_danger"), "maybe", kenya())

    (text,) = [render(r, load_translations("en")) for r in sms.replies]
    assert text == (
        "Reply with the number, e.g. 1.\nIs a child in danger right now?\n1. Yes\n2. No\n0. Exit"
    )
    assert render(ussd.screen, load_translations("en")).startswith("Try again.\n")


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_giving_up_always_gives_the_helpline(tree: Tree, language: str) -> None:
    numbers = {**EMERGENCY, "child_helpline": "1190"}
    state = {**at("report_sex"), "invalid": 2}
    ussd = advance(tree, state, "7", kenya(language, emergency_numbers=numbers))
    sms = sms_step(tree, state, "7", kenya(language, emergency_numbers=numbers))
    translations = load_translations(language)

    assert ussd.screen.end and "1190" in render(ussd.screen, translations)
    (reply,) = [render(r, translations) for r in sms.replies]
    assert "1190" in reply
    assert tree.sms.keyword_params(language)["report"] in reply


# --- the word lists are data, checked when the tree loads -----------------------------------


TREE = """\
spec_version: 1
start: main
exit: bye
give_up: bye
max_steps: 10
max_invalid: 3
ui: {exit: Exit, skip: Skip, more: More, back: Back, invalid_choice: Again, required: Type,
     too_long: Long, digits: Digits, reference: Ref, resume: Resume, resume_continue: Go on,
     restart: Restart, ended: Ended}
nodes:
  main:
    kind: menu
    text: Hi
    answer: pick
    options:
      - {label: "Yes", value: "yes", next: bye}
      - {label: "Y", value: "maybe", next: bye}
  bye: {kind: end, text: Bye}
sms:
  keywords: {en: {stop: [STOP], start: [START], help: [HELP]}}
  messages: {stopped: Off, started: On, give_up: Bye, help: Help}
words:
%s
"""


def write_tree(tmp_path: Path, words: str) -> Path:
    path = tmp_path / "tree.yaml"
    path.write_text(TREE % words, encoding="utf-8")
    return path


def test_a_word_with_two_meanings_or_a_keyword_is_refused_at_load(tmp_path: Path) -> None:
    path = write_tree(
        tmp_path,
        '  "yes": {en: [OK, Stop]}\n  "no": {en: [ok, nope, NO]}\n  "later": {en: [soon]}',
    )

    with pytest.raises(TreeError) as raised:
        load_tree(path)

    problems = raised.value.problems
    assert "words: 'ok' (en) means no and yes" in problems
    assert "words.yes.en: 'stop' is also an SMS keyword" in problems
    assert "words.later: no option has the value 'later'" in problems
    assert "words.no.en: quote every word (['ok', 'nope', False])" in problems


def test_a_word_that_names_two_options_of_one_question_is_reported(tmp_path: Path) -> None:
    tree = load_tree(write_tree(tmp_path, '  "yes": {en: ["y"]}'))

    problems = check_tree(tree, ["en"], COUNTIES, 160)

    assert any(
        "node main, language en: 'y' names options 1 and 2" in problem for problem in problems
    ), problems


def test_an_sms_re_prompt_that_cannot_show_its_wording_is_reported(tmp_path: Path) -> None:
    """A re-prompt whose error fits neither above nor in place of the question would be shown
    without it: ``dialogs check`` reports it instead of passing the bare screen."""
    path = write_tree(tmp_path, '  "yes": {en: ["yep"]}')
    wordy = "Reply with the number of the option you choose. " * 7
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "help: Help}", f"help: Help, invalid_choice: {wordy!r}}}"
        ),
        encoding="utf-8",
    )
    tree = load_tree(path)

    problems = check_tree(tree, ["en"], COUNTIES, 160)

    assert any(
        "sms, node main, language en, page 1 (error invalid_choice)" in p for p in problems
    ), problems
