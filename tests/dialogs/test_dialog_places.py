"""The place question: most used areas first, alphabetical groups, typed letters, few hops."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

import pytest
from dialog_fixtures import COUNTIES, SHIPPED_LANGUAGES, kenya

from dialogs.check import check_dialogs
from dialogs.encoding import ussd_fits, within_segments
from dialogs.engine import BACK_KEY, SMS, Area, Context, advance, show
from dialogs.places import find_areas
from dialogs.render import load_translations, render
from dialogs.tree import Tree

EN = load_translations("en")
AR = load_translations("ar")
FIRST_EN = (
    "Where is the child? Choose, or type the first letters of the area.\n"
    "1. Nairobi\n2. Mombasa\n3. Kisumu\n4. Nakuru\n"
    "5. B-I\n6. K\n7. L-M\n8. N-S\n9. T-W\n0. Exit"
)
NAIROBI, NAKURU = "047", "032"


def at_area(**extra: Any) -> dict[str, Any]:
    return {"node": "report_area", "answers": {}, "page": 0, "invalid": 0, "steps": 0, **extra}


def press(tree: Tree, context: Context, *keys: str) -> Any:
    state = at_area()
    step = None
    for key in keys:
        step = advance(tree, state, key, context)
        state = step.state
    return step


def test_first_screen_shows_the_most_used_areas_then_every_other_in_a_group(
    tree: Tree, context: Context
) -> None:
    assert render(show(tree, at_area(), context), EN) == FIRST_EN


def test_a_group_lists_its_areas_and_back_returns_to_the_first_screen(
    tree: Tree, context: Context
) -> None:
    group = press(tree, context, "6")
    back = advance(tree, group.state, BACK_KEY, context)
    chosen = advance(tree, group.state, "2", context)

    assert render(group.screen, EN) == (
        "Where is the child?\n1. Kajiado\n2. Kakamega\n3. Kericho\n4. Kiambu\n5. Kilifi\n"
        "6. Kirinyaga\n7. Kisii\n8. Kisumu\n9. Kitui\n10. Kwale\n99. Back\n0. Exit"
    )
    assert render(back.screen, EN) == FIRST_EN
    assert chosen.state["node"] == "report_place"
    assert chosen.state["answers"] == {"area": "037"}
    assert "path" not in chosen.state and "find" not in chosen.state


def test_back_on_the_first_screen_is_not_an_answer(tree: Tree, context: Context) -> None:
    step = press(tree, context, BACK_KEY)

    assert step.state["invalid"] == 1
    assert render(step.screen, EN) == "Try again.\n" + FIRST_EN


@pytest.mark.parametrize(
    ("typed", "language", "code"),
    [
        ("nai", "en", NAIROBI),
        ("NAI", "sw", NAIROBI),
        (" Nai ", "fr", NAIROBI),
        ("نيرو", "ar", NAIROBI),
        ("نيروبي", "en", NAIROBI),  # an Arabic spelling in an English session
        ("nairobi", "ar", NAIROBI),  # a Latin spelling in an Arabic session
        ("pokot", "en", "024"),  # a word of the name
        ("muranga", "en", "021"),  # punctuation does not matter
        ("Homabay", "pt", "043"),  # nor spaces
        ("امبو", "ar", "014"),  # nor the hamza of إمبو
        ("ÉLGEYO", "fr", "028"),  # nor case or accents
        ("eldo", "en", "027"),  # an alias: Eldoret is in Uasin Gishu
        ("naiv", "en", NAKURU),  # Naivasha, in Nakuru
        ("kisii", "en", "045"),
    ],
)
def test_typing_the_first_letters_of_one_area_chooses_it(
    tree: Tree, typed: str, language: str, code: str
) -> None:
    step = press(tree, kenya(language), typed)

    assert step.state["node"] == "report_place"
    assert step.state["answers"] == {"area": code}


def test_a_name_wins_over_an_alias() -> None:
    # "nai" starts Nairobi, and Naivasha (a town in Nakuru): the name is what was meant.
    assert [area.code for area in find_areas(COUNTIES, "nai")] == [NAIROBI]
    assert [area.code for area in find_areas(COUNTIES, "naiv")] == [NAKURU]


def test_a_whole_name_typed_is_that_area_even_if_it_starts_another() -> None:
    areas = (Area("1", "Meru"), Area("2", "Meru South"), Area("3", "Merti", aliases=("Meru",)))

    assert [area.code for area in find_areas(areas, "MERU")] == ["1"]
    assert [area.code for area in find_areas(areas, "mer")] == ["1", "2", "3"]
    assert [area.code for area in find_areas(areas, "meru s")] == ["2"]


def test_several_matches_give_a_short_numbered_list(tree: Tree, context: Context) -> None:
    step = press(tree, context, "ki")
    chosen = advance(tree, step.state, "3", context)
    back = advance(tree, step.state, BACK_KEY, context)

    assert render(step.screen, EN) == (
        "Where is the child?\n1. Kiambu\n2. Kilifi\n3. Kirinyaga\n4. Kisii\n5. Kisumu\n"
        "6. Kitui\n99. Back\n0. Exit"
    )
    assert chosen.state["answers"] == {"area": "020"}
    assert render(back.screen, EN) == FIRST_EN


def test_matches_are_listed_in_the_callers_language(tree: Tree) -> None:
    step = press(tree, kenya("ar"), "ny")  # Latin letters, Arabic names shown

    assert render(step.screen, AR) == (
        "أين الطفل؟\n1. نياميرا\n2. نيانداروا\n3. نيري\n99. رجوع\n0. خروج"
    )


def test_letters_that_start_no_name_are_said_on_the_first_screen_and_count(
    tree: Tree, context: Context
) -> None:
    first = press(tree, context, "6", "Kibera")
    second = advance(tree, first.state, "zz", context)
    third = advance(tree, second.state, "?", context)

    assert render(first.screen, EN) == FIRST_EN.replace(
        FIRST_EN.split("\n")[0], "No area starts like that."
    )
    assert first.state["invalid"] == 1 and "path" not in first.state
    assert second.state["invalid"] == 2
    assert third.screen.end and third.state["node"] == tree.give_up


def test_the_summary_names_the_area_in_the_callers_language(tree: Tree) -> None:
    answers = {"danger": "no", "category": "neglect", "area": NAIROBI}
    state = {"node": "report_summary", "answers": answers, "page": 0, "invalid": 0}

    assert render(show(tree, state, kenya("ar")), AR).startswith("بلاغك: إهمال، نيروبي.")
    assert render(show(tree, state, kenya("en")), EN).startswith("Your report: neglect, Nairobi.")


@pytest.mark.parametrize("stored", [{"path": [40]}, {"path": "x"}, {"path": [True]}, {"find": 7}])
def test_a_stored_place_that_leads_nowhere_shows_the_first_screen(
    tree: Tree, context: Context, stored: dict[str, Any]
) -> None:
    assert render(show(tree, at_area(**stored), context), EN) == FIRST_EN


def test_the_place_in_the_list_is_small_json(tree: Tree, context: Context) -> None:
    step = press(tree, context, "ki")
    inside = press(tree, kenya("ar"), "3", "2")

    for state in (step.state, inside.state):
        assert len(json.dumps(state, ensure_ascii=False)) < 200
    assert step.state["find"] == "ki"
    assert inside.state["path"] == [2, 1]


def test_few_areas_are_listed_on_one_screen_most_used_first(tree: Tree) -> None:
    areas = (Area("1", "Alpha"), Area("2", "Bravo"), Area("3", "Charlie"))
    context = kenya(areas=areas, most_used=("3",))

    assert render(show(tree, at_area(), context), EN) == (
        "Where is the child? Choose, or type the first letters of the area.\n"
        "1. Charlie\n2. Alpha\n3. Bravo\n0. Exit"
    )


def fewest_presses(tree: Tree, context: Context) -> tuple[dict[str, int], list[str]]:
    """Every area's fewest presses from the first screen, pressing only numbers shown; and
    the text of every screen on the way."""
    translations = load_translations(context.language)
    found: dict[str, int] = {}
    texts: list[str] = []
    queue = deque([(at_area(), 0)])
    seen: set[str] = set()
    while queue:
        state, presses = queue.popleft()
        where = json.dumps([state.get("path"), state.get("find")])
        if where in seen:
            continue
        seen.add(where)
        screen = show(tree, state, context)
        texts.append(render(screen, translations, fold=context.fold_accents))
        for choice in screen.options:
            if choice.key == "0":
                continue
            step = advance(tree, state, choice.key, context)
            if step.state["node"] == "report_area":
                queue.append((step.state, presses + 1))
            else:
                found.setdefault(step.state["answers"]["area"], presses + 1)
    return found, texts


@pytest.mark.parametrize("channel", ["ussd", SMS])
@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_every_area_is_at_most_three_numbers_away(tree: Tree, language: str, channel: str) -> None:
    # French and Portuguese are folded to GSM-7 as the example deployment does (their accents
    # cost half a screen otherwise).
    context = kenya(language, channel=channel)
    found, texts = fewest_presses(tree, context)

    assert sorted(found) == sorted(area.code for area in COUNTIES)
    assert max(found.values()) <= 3
    assert found[NAIROBI] == 1  # the most used area, first on the first screen
    if channel == SMS:
        assert all(within_segments(text, 2) for text in texts)
    else:
        assert all(ussd_fits(text) for text in texts)


def test_check_reports_each_questions_hops_and_fails_above_the_limit(tree: Tree) -> None:
    ok = check_dialogs(
        tree, SHIPPED_LANGUAGES, COUNTIES, 160, ("fr", "pt"), most_used=("047",), max_hops=3
    )
    tight = check_dialogs(tree, ["ar"], COUNTIES, 160, max_hops=2)

    assert ok.problems == []
    assert ok.hops[("ussd", "ar")]["report_area"] == 3
    assert ok.hops[("ussd", "en")]["report_area"] == 2
    assert ok.hops[("sms", "ar")]["report_area"] == 2
    assert ok.hops[("ussd", "en")]["report_danger"] == 1
    assert ok.hops[("ussd", "ar")]["report_category"] == 3  # two "More" and a choice
    assert any(
        "node report_area, language ar: 3 hops to answer ('" in problem
        and problem.endswith("'), more than the profile's limit of 2")
        for problem in tight.problems
    )
