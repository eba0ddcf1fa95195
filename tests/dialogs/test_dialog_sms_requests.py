"""Over SMS, what a reporter writes is taken for what it means, in every language.

Exit words end the conversation and nothing more; only unambiguous STOP words opt out; a
keyword in the middle of a report keeps the draft; a report written in words is a report;
STATUS words are STATUS only with a reference.
"""

from __future__ import annotations

from typing import Any

import pytest
from dialog_fixtures import SHIPPED_LANGUAGES, kenya

from dialogs.keywords import START, STOP, match_keyword
from dialogs.normalise import fold_word
from dialogs.render import load_translations, render
from dialogs.sms import SmsStep, sms_step
from dialogs.tree import Tree


def at(node: str, **answers: str) -> dict[str, Any]:
    return {"node": node, "answers": answers, "page": 0, "invalid": 0, "steps": 0}


def texts(step: SmsStep) -> list[str]:
    params = {"reference": "482-177-302", "status": "received"}
    return [render(r, load_translations(step.language), params) for r in step.replies]


def play(tree: Tree, language: str, messages: list[str]) -> list[SmsStep]:
    """One phone texting ``messages`` in turn, opted out once it sent STOP."""
    state: dict[str, Any] | None = None
    opted_out = False
    steps = []
    for text in messages:
        step = sms_step(tree, state, text, kenya(language), opted_out=opted_out)
        kinds = {effect.kind for effect in step.effects}
        opted_out = (opted_out or "opt_out" in kinds) and "opt_in" not in kinds
        state, language = step.state, step.language
        steps.append(step)
    return steps


def kinds(step: SmsStep) -> set[str]:
    return {effect.kind for effect in step.effects}


# --- exit words -------------------------------------------------------------------------------


def test_the_reported_portuguese_conversation_is_answered_throughout(tree: Tree) -> None:
    # printf 'DENUNCIAR\nSair\nAJUDA\nDENUNCIAR\n' | kinga simulate --channel sms (a +258 number)
    report, leave, help_, again = play(tree, "pt", ["DENUNCIAR", "Sair", "AJUDA", "DENUNCIAR"])

    assert "opt_out" not in kinds(leave)
    assert texts(leave) == ["Adeus."]
    assert leave.state is None
    assert len(help_.replies) == 2
    assert texts(again) == texts(report)


@pytest.mark.parametrize(
    ("language", "word"),
    [("en", "CANCEL"), ("en", "END"), ("en", "QUIT"), ("en", "Exit"), ("pt", "Sair"),
     ("pt", "Cancelar"), ("ar", "الغاء"), ("ar", "خروج"), ("fr", "Quitter"), ("fr", "Annuler"),
     ("sw", "Ondoka")],
)  # fmt: skip
def test_an_exit_word_ends_the_conversation_and_nothing_more(
    tree: Tree, language: str, word: str
) -> None:
    steps = play(tree, language, ["REPORT", "2", word, "HELP", "REPORT"])
    leave, help_, report = steps[2:]

    assert leave.command == "exit"
    assert not kinds(leave) - {"set_language"}
    assert leave.state is None
    assert texts(leave) == [render_exit(tree, leave.language)]
    assert help_.command == "help" and len(help_.replies) == 2
    assert report.command == "report" and report.state is not None


def render_exit(tree: Tree, language: str) -> str:
    return load_translations(language).gettext(tree.nodes[tree.exit].text or "")


def test_an_exit_word_on_the_summary_keeps_the_report_as_zero_does(tree: Tree) -> None:
    state = at("report_summary", danger="no", category="neglect", area="047")
    step = sms_step(tree, state, "cancel", kenya())

    assert step.state is not None and step.state["resume"] is True
    assert texts(step) == ["Your report was NOT sent. Send 1 to go back to it."]


def test_an_exit_word_with_no_conversation_says_goodbye(tree: Tree) -> None:
    step = sms_step(tree, None, "QUIT", kenya())

    assert (step.command, step.state, texts(step)) == ("exit", None, ["Goodbye."])


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_no_label_shown_on_any_screen_opts_out_or_in(tree: Tree, language: str) -> None:
    # A reporter who types a label they read (0. Sair) must never be unsubscribed by it.
    translations = load_translations(language)
    labels = [*tree.ui.values()]
    labels.extend(option.label for node in tree.nodes.values() for option in node.options)
    for label in labels:
        shown = translations.gettext(label)
        match = match_keyword(tree.sms, shown, language, SHIPPED_LANGUAGES)
        assert match is None or match.command not in (STOP, START), (label, shown)


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", {"stop", "stopall", "unsubscribe", "optout", "revoke"}),
     ("sw", {"acha", "simamisha", "sitisha"}), ("fr", {"arret"}), ("ar", {"توقف", "ايقاف"}),
     ("pt", {"parar"})],
)  # fmt: skip
def test_only_unambiguous_words_opt_out(tree: Tree, language: str, words: set[str]) -> None:
    listed = {
        fold_word(word)
        for group in ("any", language)
        for word in tree.sms.keywords.get(group, {}).get(STOP, ())
    }

    assert listed == words | {"stop", "stopall", "unsubscribe", "optout", "revoke"}


# --- keywords in the middle of a report ---------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "messages"),
    [("ar", ["بلاغ", "1", "1", "ابدأ"]), ("en", ["REPORT", "2", "3", "START"]),
     ("sw", ["RIPOTI", "2", "3", "ANZA"]), ("pt", ["DENUNCIAR", "2", "3", "INICIAR"]),
     ("fr", ["SIGNALER", "2", "3", "DEBUT"])],
)  # fmt: skip
def test_start_mid_report_keeps_the_draft(tree: Tree, language: str, messages: list[str]) -> None:
    steps = play(tree, language, [*messages, "1"])
    before, start_, going_on = steps[-3], steps[-2], steps[-1]

    assert not kinds(start_) & {"opt_in", "opt_out"}
    assert start_.state is not None
    assert start_.state["answers"] == before.state["answers"]  # type: ignore[index]
    assert start_.replies[0].node == "resume"
    assert going_on.state is not None
    assert going_on.state["node"] == before.state["node"]  # type: ignore[index]
    assert going_on.replies == before.replies


@pytest.mark.parametrize("keyword", ["REPORT", "STATUS 572309848", "report it now", "R"])
def test_other_keywords_mid_report_offer_the_draft_back(tree: Tree, keyword: str) -> None:
    state = at("report_sex", danger="no", category="neglect", age_band="5_11")
    step = sms_step(tree, state, keyword, kenya())

    assert step.state is not None and step.state["answers"] == state["answers"]
    assert texts(step) == [
        "Your last session is not finished.\n1. Continue where you stopped\n2. Start again\n0. Exit"
    ]
    assert not kinds(step) - {"set_language"}


def test_start_mid_report_after_stop_opts_in_and_keeps_the_draft(tree: Tree) -> None:
    steps = play(tree, "en", ["REPORT", "2", "STOP", "REPORT", "2", "5", "3", "START"])
    start_ = steps[-1]

    assert kinds(start_) == {"opt_in"}
    assert start_.state is not None and start_.state["answers"]["age_band"] == "12_14"
    assert texts(start_)[0] == "You will get our messages again. Send STOP to stop them."
    assert texts(start_)[1].startswith("Your last session is not finished.")


def test_help_mid_report_keeps_the_draft_as_it_was(tree: Tree) -> None:
    state = at("report_age", danger="no", category="neglect")
    step = sms_step(tree, state, "NISAIDIE", kenya("sw"))

    assert step.command == "help" and step.state == state


# --- reports written in words ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "typed", "narrative"),
    [("sw", "Ripoti 2 watoto wanapigwa", "2 watoto wanapigwa"),
     ("ar", "بلاغ 3 أطفال في خطر", "3 أطفال في خطر"),
     ("en", "REPORT my neighbour beats his son", "my neighbour beats his son"),
     ("en", "R 12 girls locked in a house", "12 girls locked in a house"),
     ("fr", "Signaler: un enfant frappé", "un enfant frappé")],
)  # fmt: skip
def test_a_report_keyword_with_words_starts_the_report_with_them(
    tree: Tree, language: str, typed: str, narrative: str
) -> None:
    step = sms_step(tree, None, typed, kenya(language))

    assert step.command == "report"
    assert step.state is not None and step.state["node"] == "report_danger"
    assert step.state["answers"] == {"narrative": narrative}
    assert not kinds(step) - {"set_language"}


@pytest.mark.parametrize("typed", ["R", "R 12", "REPORT .", "R 2 3"])
def test_a_bare_or_short_focal_prefix_starts_a_plain_report(tree: Tree, typed: str) -> None:
    step = sms_step(tree, None, typed, kenya())

    assert step.command == "report"
    assert step.state is not None and step.state["answers"] == {}
    assert texts(step)[0].startswith("Is a child in danger right now?")


@pytest.mark.parametrize(
    ("language", "typed"),
    [("sw", "Mtoto anapigwa na baba yake kila siku"),
     ("en", "I want to report a child being beaten"), ("ar", "حالة طارئة"),
     ("sw", "Hali gani?"), ("pt", "situação grave"), ("fr", "Un enfant est seul")],
)  # fmt: skip
def test_a_first_message_in_words_starts_the_report_and_is_kept(
    tree: Tree, language: str, typed: str
) -> None:
    first = sms_step(tree, None, typed, kenya(language))

    assert first.command is None
    assert first.state is not None and first.state["node"] == "report_danger"
    assert first.state["answers"] == {"narrative": typed}
    (reply,) = texts(first)
    assert reply.startswith(load_translations(language).gettext("Is a child in danger right now?"))


def test_the_first_message_opens_the_narrative_and_the_answer_follows_it(tree: Tree) -> None:
    opened = "I want to report a child being beaten"
    state = at("report_narrative", narrative=opened)

    added = sms_step(tree, state, "Every night, next to the church", kenya())
    skipped = sms_step(tree, state, "0", kenya())

    assert added.state is not None and skipped.state is not None
    assert added.state["answers"]["narrative"] == f"{opened}\nEvery night, next to the church"
    assert skipped.state["answers"]["narrative"] == opened
    assert skipped.state["node"] == added.state["node"] == "report_callback"


def test_a_very_long_first_message_is_kept_within_the_case_limit(tree: Tree) -> None:
    step = sms_step(tree, None, "x" * 5000, kenya())

    assert step.state is not None
    assert 1000 < len(step.state["answers"]["narrative"]) <= 1600


@pytest.mark.parametrize("typed", ["1", "  ", "?", "12"])
def test_a_first_message_without_words_gets_the_menu(tree: Tree, typed: str) -> None:
    step = sms_step(tree, None, typed, kenya())

    assert step.state is not None and step.state["node"] == tree.start
    assert step.state["answers"] == {}


# --- STATUS only with a reference -----------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "typed"),
    [("ar", "حالة طارئة"), ("sw", "Hali gani?"), ("pt", "situação grave"),
     ("en", "status of my report"), ("fr", "suivi du dossier")],
)  # fmt: skip
def test_status_words_without_a_reference_are_not_status(
    tree: Tree, language: str, typed: str
) -> None:
    step = sms_step(tree, None, typed, kenya(language))
    reference_error = load_translations(language).gettext(tree.ui["reference"])

    assert step.command != "status"
    assert not any(reference_error in text for text in texts(step))


@pytest.mark.parametrize(("language", "typed"), [("en", "STATUS"), ("sw", "Hali"), ("ar", "حالة")])
def test_a_status_word_alone_gets_the_keywords(tree: Tree, language: str, typed: str) -> None:
    step = sms_step(tree, None, typed, kenya(language))
    help_message = load_translations(language).gettext(tree.sms.messages["help"])

    assert step.state is None
    assert texts(step) == [help_message.format_map(tree.sms.keyword_params(language))]


def test_a_status_word_mid_dialog_is_just_an_answer(tree: Tree) -> None:
    state = at("report_age", danger="no", category="neglect")
    step = sms_step(tree, state, "Hali", kenya("sw"))

    assert step.command is None
    assert step.state is not None and step.state["node"] == "report_age"
    assert step.state["invalid"] == 1


# --- keywords quoted in HELP ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "quoted"),
    [("fr", ["SIGNALER", "SUIVI"]), ("ar", ["بلاغ", "متابعة"]), ("sw", ["RIPOTI", "HALI"]),
     ("pt", ["DENUNCIAR", "ESTADO"])],
)  # fmt: skip
def test_help_quotes_the_keywords_of_the_language(
    tree: Tree, language: str, quoted: list[str]
) -> None:
    keywords = texts(sms_step(tree, None, "HELP", kenya(language)))[-1]

    for word in quoted:
        assert word in keywords
    assert "TAARIFU" not in str(tree.sms.keywords)
