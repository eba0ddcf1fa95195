"""Every shipped language: complete catalogs, every screen within budget, a full report."""

from __future__ import annotations

from pathlib import Path

import pytest
from dialog_fixtures import COUNTIES, SHIPPED_LANGUAGES, kenya

from dialogs.check import check_tree
from dialogs.encoding import ussd_capacity
from dialogs.engine import MORE_KEY, Context, Effect, Step, advance, start
from dialogs.render import load_translations, render
from dialogs.screen import Message
from dialogs.tree import Tree, load_tree

END_OF_REPORT = {
    "en": "Thank you. Your reference is 482-177-305. Keep it safe. "
    "If the child is in danger now call 116.",
    "sw": "Asante. Namba yako ya kumbukumbu ni 482-177-305. Iweke salama. "
    "Kama mtoto yuko hatarini sasa, piga 116.",
    "fr": "Merci. Votre référence est 482-177-305. Gardez-la bien. "
    "Si l'enfant est en danger maintenant, appelez le 116.",
    "ar": "شكرا. رقم بلاغك 482-177-305. احتفظ به. إن كان الطفل في خطر الآن، اتصل بـ 116.",
    "pt": "Obrigado. Referencia: 482-177-305. Guarde-a. Se ha perigo agora, ligue 116.",  # folded
}


def choose(tree: Tree, step: Step, label: str | None, context: Context) -> Step:
    """Press the option showing ``label`` (an English message id), paging on."""
    if label is None:
        return step
    for _page in range(30):
        for choice in step.screen.options:
            shown = choice.label.msgid if isinstance(choice.label, Message) else choice.label
            if shown == label:
                return advance(tree, step.state, choice.key, context)
        step = advance(tree, step.state, MORE_KEY, context)
    raise AssertionError(f"no option {label!r} on {step.screen.node}")


@pytest.mark.parametrize("fold", [False, True], ids=["accents", "folded"])
def test_every_screen_fits_in_every_language(tree: Tree, fold: bool) -> None:
    folded = SHIPPED_LANGUAGES if fold else ()

    assert check_tree(tree, SHIPPED_LANGUAGES, COUNTIES, 160, fold_languages=folded) == []


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_full_report_in_each_language(tree: Tree, language: str) -> None:
    context = kenya(language)
    translations = load_translations(language)
    path = [
        ("report_danger", "Report a concern about a child"),
        ("danger_now", "Yes"),
        ("report_category", "Continue"),
        ("report_age", "Child marriage or FGM"),
        ("report_sex", "12-14"),
        ("report_area", "A girl"),
        ("report_place", "elgeyo"),  # typed: the first letters of the area's name
        ("report_relationship", "Iten, ٣ km"),
        ("report_narrative", "Neighbour or community"),
        ("report_callback", "0"),
        ("report_callback_time", "Yes"),
        ("report_summary", "Any time"),
        ("report_sent", "Send"),
    ]
    step = start(tree, context)
    fold = context.fold_accents
    screens = [render(step.screen, translations, fold=fold)]
    for node, action in path:
        if tree.nodes[step.state["node"]].kind == "input" or node == "report_place":
            step = advance(tree, step.state, action, context)
        else:
            step = choose(tree, step, action, context)
        assert step.state["node"] == node
        screens.append(render(step.screen, translations, {"reference": "482-177-305"}, fold))

    assert screens[-1] == END_OF_REPORT[language]
    for screen in screens:
        capacity = ussd_capacity(screen)
        assert capacity.used <= capacity.limit, screen
    assert step.effects == (
        Effect(
            "open_case",
            {
                "answers": {
                    "danger": "yes",
                    "category": "marriage_fgm",
                    "age_band": "12_14",
                    "sex": "girl",
                    "area": "028",
                    "place": "Iten, ٣ km",
                    "relationship": "community",
                    "callback": "yes",
                    "callback_time": "any",
                }
            },
        ),
    )


def test_arabic_screens_are_ucs2_and_within_80(tree: Tree) -> None:
    step = start(tree, kenya("ar"))
    text = render(step.screen, load_translations("ar"))

    assert text.startswith("أهلا بك في كينغا\n1. بلاغ عن طفل\n")
    assert ussd_capacity(text).encoding == "UCS-2"
    assert ussd_capacity(text).used <= 80


def test_a_regional_locale_falls_back_to_its_language(tree: Tree) -> None:
    ar_eg = render(start(tree, kenya("ar_EG")).screen, load_translations("ar_EG"))
    pt_br = render(start(tree, kenya("pt-BR")).screen, load_translations("pt-BR"))
    unknown = render(start(tree, kenya("xx")).screen, load_translations("xx"))

    assert ar_eg == render(start(tree, kenya("ar")).screen, load_translations("ar"))
    assert pt_br.startswith("Bem-vindo ao Kinga")
    assert unknown.startswith("Welcome to Kinga")


BROKEN_TREE = """\
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
    text: "Choose {helpline}"
    options: [{label: Go, next: bye}]
  bye: {kind: end, text: "%s"}
"""


def write_catalog(folder: Path, language: str, entries: dict[str, str]) -> None:
    catalog = folder / language / "LC_MESSAGES"
    catalog.mkdir(parents=True)
    body = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())
    header = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    (catalog / "messages.po").write_text(header + body, encoding="utf-8")


def test_missing_translations_and_wrong_placeholders_are_reported(tmp_path: Path) -> None:
    tree_path = tmp_path / "tree.yaml"
    tree_path.write_text(BROKEN_TREE % "Bye", encoding="utf-8")
    tree = load_tree(tree_path)
    ui = {"Exit": "Toka", "Skip": "Ruka", "More": "Zaidi", "Back": "Rudi", "Again": "Tena"}
    ui |= {"Type": "Andika", "Long": "Ndefu", "Digits": "Namba", "Ref": "Kumbukumbu"}
    ui |= {"Resume": "Endelea?", "Go on": "Endelea", "Restart": "Anza upya", "Ended": "Imekwisha"}
    write_catalog(tmp_path / "locales", "sw", ui | {"Choose {helpline}": "Chagua {simu}"})

    problems = check_tree(tree, ["en", "sw"], COUNTIES, 160, locales_dir=tmp_path / "locales")

    assert problems == [
        f"{tree_path}: language sw: placeholders differ in 'Choose {{helpline}}': "
        "'Chagua {simu}'",
        f"{tree_path}: language sw: not translated: 'Go'",
        f"{tree_path}: language sw: not translated: 'Bye'",
    ]


def test_an_end_screen_over_budget_is_reported_with_its_encoding(tmp_path: Path) -> None:
    tree_path = tmp_path / "tree.yaml"
    # 100 GSM-7 characters fit in 160 septets; with one "ç" the screen is UCS-2 and holds 80.
    tree_path.write_text(BROKEN_TREE % ("a" * 99 + "ç"), encoding="utf-8")
    tree = load_tree(tree_path)

    problems = check_tree(tree, ["en"], COUNTIES, 160)

    assert len(problems) == 1
    assert problems[0].startswith(f"{tree_path}: node bye, language en, page 1: 100/80 UCS-2")
    assert "because of 'ç'" in problems[0]
