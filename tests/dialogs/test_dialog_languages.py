"""Every shipped language: complete catalogs, every screen within budget, a full report."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from dialog_fixtures import COUNTIES, SHIPPED_LANGUAGES, kenya

from dialogs.check import check_tree
from dialogs.encoding import ussd_capacity
from dialogs.engine import MORE_KEY, Context, Effect, Step, advance, show, start
from dialogs.render import load_translations, render
from dialogs.screen import Choice, Message, Screen
from dialogs.tree import Tree, load_tree

END_OF_REPORT = {
    "en": "Thank you. Your reference is 482-177-302. Keep it safe. "
    "If there is danger now, call 116.",
    "sw": "Asante. Namba yako ya kumbukumbu ni 482-177-302. Iweke salama. "
    "Kama kuna hatari sasa, piga simu 116.",
    "fr": "Merci. Votre numéro de référence est 482-177-302. Gardez-le bien. "
    "En cas de danger immédiat, appelez le 116.",
    "ar": "شكرا. رقم بلاغك 482-177-302. احتفظ به. إن كان هناك خطر الآن، اتصل على 116.",
    # folded, as the example profile does
    "pt": "Obrigado. Referencia: 482-177-302. Guarde-a. Se houver perigo agora, ligue 116.",
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
        ("report_sms_updates", "Any time"),
        ("report_summary", "Yes"),
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
        screens.append(render(step.screen, translations, {"reference": "482-177-302"}, fold))

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
                    "sms_updates": "yes",
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


RLM = "\u200f"
RIGHT_TO_LEFT = ("R", "AL")


def first_strong(line: str) -> str:
    """The bidirectional class of the line's first strong character: what a phone that sets
    the direction per line goes by ("" for a line of digits and punctuation only)."""
    classes = (unicodedata.bidirectional(char) for char in line)
    return next((found for found in classes if found in ("L", *RIGHT_TO_LEFT)), "")


@pytest.mark.parametrize("node", ["report_age", "language", "report_area", "help_now"])
def test_every_line_of_an_arabic_screen_reads_right_to_left(tree: Tree, node: str) -> None:
    """A line with no Arabic letter ("2. 5-11", "1. English") would be shown left to right,
    its number on the other side, by phones that set the direction per line: it starts with
    a right-to-left mark, after its number so that "2." is still what the line begins with."""
    context = kenya("ar")
    screen = show(tree, {"node": node, "answers": {}, "page": 0, "invalid": 0}, context)
    lines = render(screen, load_translations("ar"), {"reference": "482-177-302"}).split("\n")

    assert all(first_strong(line) in RIGHT_TO_LEFT for line in lines), lines
    marked = [line for line in lines if RLM in line]
    assert all(first_strong(line.replace(RLM, "")) != "R" for line in marked)
    assert marked or node in ("report_area", "help_now")  # Arabic names, Arabic labels


def test_the_mark_follows_the_option_number() -> None:
    screen = Screen(
        node="x", end=False, text=Message("How old is the child?"),
        options=(Choice("2", Message("5-11")), Choice("5", Message("Don't know"))),
    )  # fmt: skip

    assert render(screen, load_translations("ar")) == f"كم عمر الطفل؟\n2. {RLM}5-11\n5. لا أعرف"


@pytest.mark.parametrize("language", ["en", "sw", "fr", "pt"])
def test_a_left_to_right_screen_gets_no_marks(tree: Tree, language: str) -> None:
    for node in ("report_age", "language", "report_area"):
        state = {"node": node, "answers": {}, "page": 0, "invalid": 0}
        assert RLM not in render(show(tree, state, kenya(language)), load_translations(language))
