"""The SMS side: keywords in every language, who wins mid-dialog, opt-out, focal-point reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dialog_fixtures import COUNTIES, SHIPPED_LANGUAGES, kenya

from dialogs.check import check_tree
from dialogs.encoding import within_segments
from dialogs.engine import Effect
from dialogs.render import load_translations, render
from dialogs.sms import sms_step
from dialogs.tree import Tree, TreeError, load_tree

EN = load_translations("en")


def at(node: str, **answers: str) -> dict[str, Any]:
    return {"node": node, "answers": answers, "page": 0, "invalid": 0, "steps": 0}


def texts(step: Any, language: str = "en") -> list[str]:
    params = {"reference": "482-177-302", "status": "received"}
    return [render(r, load_translations(language), params) for r in step.replies]


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("STOP", "stop"), ("stop ", "stop"), ("Stop all", "stop"), ("STOPALL", "stop"),
        ("unsubscribe", "stop"), ("opt-out", "stop"), ("Arrêt", "stop"), ("ARRET", "stop"),
        ("simamisha", "stop"), ("Acha!", "stop"), ("إيقاف", "stop"), ("ايقاف", "stop"),
        ("\u200fتوقف", "stop"), ("Parar", "stop"),
        ("Cancel", "exit"), ("END", "exit"), ("quit", "exit"), ("Sair", "exit"),
        ("cancelar", "exit"), ("Quitter", "exit"), ("annuler", "exit"), ("Ondoka", "exit"),
        ("الغاء", "exit"), ("إلغاء", "exit"), ("خروج", "exit"),
        ("start", "start"), ("Début", "start"), ("anza", "start"), ("ابدأ", "start"),
        ("ابدا", "start"), ("Começar", "start"), ("INICIAR", "start"),
        ("help", "help"), ("Aide", "help"), ("MSAADA", "help"), ("مساعدة", "help"),
        ("ajuda", "help"), ("nisaidie", "help"), ("Aidez-moi", "help"), ("au secours", "help"),
        ("Socorro", "help"), ("AJUDEM", "help"),
        ("report", "report"), ("Ripoti", "report"), ("إبلاغ", "report"), ("بلاغ", "report"),
        ("signaler", "report"), ("Signalez", "report"), ("DENÚNCIA", "report"),
        ("taarifa", "report"), ("Denuncie", "report"), ("queixa", "report"),
    ],
)  # fmt: skip
def test_keywords_are_folded_in_every_language(tree: Tree, typed: str, command: str) -> None:
    assert sms_step(tree, None, typed, kenya()).command == command


@pytest.mark.parametrize(
    "typed",
    ["STATUS 572309848", "status 572-309-848", "Status: 572 309 848", "status572309848",
     "HALI 572.309.848", "حالة ٥٧٢٣٠٩٨٤٨", "statut 572309848", "ESTADO ５７２３０９８４８",
     "Fuatilia 572309848", "SUIVI 572 309 848", "متابعة 572309848", "acompanhar 572309848"],
)  # fmt: skip
def test_status_accepts_the_reference_any_usual_way(tree: Tree, typed: str) -> None:
    step = sms_step(tree, None, typed, kenya())

    assert step.command == "status"
    assert Effect("lookup_case", {"reference": "572309848"}) in step.effects
    assert step.state is not None and step.state["node"] == "follow_status"


def test_stop_wins_even_on_a_free_text_question(tree: Tree) -> None:
    step = sms_step(tree, at("report_narrative"), "Stop", kenya())

    assert step.command == "stop"
    assert step.effects == (Effect("opt_out", {}),)
    assert step.state is None
    assert texts(step) == ["You will not get more messages from us. Send START to get them again."]


def test_other_keywords_on_a_free_text_question_are_the_answer(tree: Tree) -> None:
    step = sms_step(tree, at("report_narrative"), "help", kenya())

    assert step.command is None
    assert step.state is not None and step.state["answers"]["narrative"] == "help"
    assert step.state["node"] == "report_callback"


def test_help_keeps_the_session_and_sends_numbers_then_keywords(tree: Tree) -> None:
    state = at("report_age", danger="no", category="neglect")
    step = sms_step(tree, state, "HELP", kenya())

    assert step.state == state
    assert texts(step) == [
        "If there is danger now, call:\nHelpline: 116\nPolice: 999",
        "Send REPORT to report a concern, STATUS and your reference number to follow up, "
        "STOP to stop messages.",
    ]
    assert sms_step(tree, step.state, "1", kenya()).state["answers"]["age_band"] == "under_5"  # type: ignore[index]


def test_after_stop_every_request_is_still_answered(tree: Tree) -> None:
    # STOP is about what we send unasked; HELP, REPORT, STATUS and a focal-point report are
    # requests and get their replies.
    for typed, command in [
        ("HELP", "help"),
        ("REPORT", "report"),
        ("STATUS 572309848", "status"),
        ("R 1 1 1 047 Left alone", "focal_report"),
        ("STOP", "stop"),
    ]:
        step = sms_step(tree, None, typed, kenya(), opted_out=True)
        assert step.command == command
        assert step.replies, typed
        assert all(e.kind != "opt_in" for e in step.effects)
    answer = sms_step(tree, at("report_danger"), "2", kenya(), opted_out=True)
    assert answer.state is not None and answer.state["node"] == "report_category"


def test_start_confirms_and_clears_the_opt_out(tree: Tree) -> None:
    step = sms_step(tree, None, "anza", kenya("sw"), opted_out=True)

    assert step.effects == (Effect("opt_in", {}),)
    assert texts(step, "sw") == ["Utapokea ujumbe wetu tena. Tuma ACHA ili kuusimamisha."]


def test_a_keyword_of_one_language_switches_the_session_language(tree: Tree) -> None:
    step = sms_step(tree, None, "ripoti", kenya("en"))

    assert step.language == "sw"
    assert step.effects == (Effect("set_language", {"language": "sw"}),)
    assert texts(step, "sw")[0].startswith("Je, kuna mtoto aliye hatarini sasa hivi?")


def test_carrier_keywords_and_disabled_languages_never_switch(tree: Tree) -> None:
    stop = sms_step(tree, None, "STOP", kenya("ar"))
    french_only = sms_step(tree, None, "AIDE", kenya("en", languages=("en", "sw")))

    assert stop.language == "ar" and Effect("opt_out", {}) in stop.effects
    assert all(e.kind != "set_language" for e in (*stop.effects, *french_only.effects))
    assert french_only.command is None  # AIDE is not a keyword when French is not enabled


def test_zero_leaves_with_the_closing_text_and_ends_the_session(tree: Tree) -> None:
    step = sms_step(tree, at("report_sex"), "0", kenya())

    assert step.state is None
    assert texts(step) == ["Goodbye."]


def test_three_wrong_answers_end_with_the_sms_wording(tree: Tree) -> None:
    state = {**at("report_sex"), "invalid": 2}
    step = sms_step(tree, state, "7", kenya("fr"))

    assert step.state is None
    assert texts(step, "fr") == [
        "Désolé, nous n'avons pas pu continuer. En cas de danger immédiat, appelez le 116. "
        "Envoyez SIGNALER quand vous le souhaitez."
    ]


@pytest.mark.parametrize("area", ["047", "47", "KE-047", "ke047", "KE047", "٠٤٧"])
def test_focal_point_area_codes_with_or_without_the_country(tree: Tree, area: str) -> None:
    step = sms_step(tree, None, f"R 3 1 2 {area} Left alone since Monday", kenya())

    assert step.command == "focal_report"
    assert step.effects == (
        Effect(
            "open_case",
            {
                "answers": {
                    "danger": "no",
                    "category": "neglect",
                    "age_band": "under_5",
                    "sex": "boy",
                    "area": "047",
                    "relationship": "professional",
                    "narrative": "Left alone since Monday",
                    "callback": "no",
                }
            },
        ),
    )
    assert step.state is None


@pytest.mark.parametrize("typed", ["R! 1 1 1 001 x", "R ! 1 1 1 001 x", "r!,1,1,1,001 x"])
def test_focal_point_danger_flag(tree: Tree, typed: str) -> None:
    step = sms_step(tree, None, typed, kenya())

    assert step.effects[0].data["answers"]["danger"] == "yes"


def test_focal_point_refuses_another_countrys_prefix(tree: Tree) -> None:
    context = kenya(country="TZ")
    refused = sms_step(tree, None, "R 1 1 1 KE-047 x", context)
    accepted = sms_step(tree, None, "R 1 1 1 TZ-047 x", context)

    assert texts(refused) == [
        "Area must be an area code, like TZ-047.\nSend: R category age sex area description"
    ]
    assert accepted.command == "focal_report"


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_focal_point_too_long_in_every_language(tree: Tree, language: str) -> None:
    step = sms_step(tree, None, "R 1 1 1 047 " + "x" * 601, kenya(language))

    assert step.command == "focal_error" and step.effects == ()
    (reply,) = texts(step, language)
    assert "600" in reply
    assert within_segments(reply, 2)


def test_focal_point_error_keeps_a_running_session(tree: Tree) -> None:
    state = at("report_sex", danger="no")
    step = sms_step(tree, state, "R 1 9 1 047 x", kenya())

    assert step.state == state
    assert texts(step)[0].startswith("Age must be a number from 1 to 5.\n")


def test_a_focal_report_mid_dialog_is_filed_and_the_draft_kept(tree: Tree) -> None:
    state = at("report_sex", danger="no", category="neglect")
    step = sms_step(tree, state, "R 1 2 1 047 Beaten at the market", kenya())

    assert step.command == "focal_report"
    assert step.effects[0].kind == "open_case"
    assert step.state == state


SMALL_TREE = """\
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
  main: {kind: menu, text: Hi, options: [{label: Go, next: bye}]}
  bye: {kind: end, text: Bye}
sms:
%s
"""


def test_an_sms_reply_over_two_segments_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "tree.yaml"
    long = "Send {report}. " + "x" * 300
    keywords = "  keywords: {en: {report: [GO], stop: [STOP], start: [START], help: [HELP]}}"
    messages = f"  messages: {{stopped: Off, started: On, give_up: Bye, help: '{long}'}}"
    path.write_text(SMALL_TREE % (keywords + "\n" + messages), encoding="utf-8")
    tree = load_tree(path)

    problems = check_tree(tree, ["en"], COUNTIES, 160)

    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: sms, node sms_help, language en, page 1 (keyword help)")
    assert "3/2 segments (309 GSM-7 units)" in problems[0]


def test_keyword_problems_are_reported_when_the_tree_loads(tmp_path: Path) -> None:
    path = tmp_path / "tree.yaml"
    section = (
        "  report: nowhere\n"
        "  keywords: {en: {stop: [STOP], start: [Stop!], launch: [GO]}}\n"
        "  messages: {stopped: 'Off {colour}'}"
    )
    path.write_text(SMALL_TREE % section, encoding="utf-8")

    with pytest.raises(TreeError) as raised:
        load_tree(path)

    problems = raised.value.problems
    assert "sms.report: node 'nowhere' does not exist" in problems
    assert "sms.keywords.en: unknown command 'launch'" in problems
    assert "sms.keywords: 'stop' means start and stop" in problems
    assert any(p.startswith("sms.messages.stopped: placeholder {colour}") for p in problems)
    assert "sms.messages: message 'help' is missing" in problems
