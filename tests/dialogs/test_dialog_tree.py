"""Loading validates the graph and reports every problem at once, naming each node."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogs.tree import TreeError, default_tree_path, load_tree

HEADER = """\
spec_version: 1
start: main
exit: bye
give_up: bye
max_steps: 20
max_invalid: 3
ui: {exit: Exit, skip: Skip, more: More, back: Back, invalid_choice: Again, required: Type,
     too_long: Long, digits: Digits, reference: Ref, resume: Resume, resume_continue: Go on,
     restart: Restart, ended: Ended}
nodes:
  bye: {kind: end, text: Bye}
"""


def load(tmp_path: Path, nodes: str, header: str = HEADER) -> list[str]:
    path = tmp_path / "tree.yaml"
    path.write_text(header + nodes, encoding="utf-8")
    with pytest.raises(TreeError) as raised:
        load_tree(path)
    assert str(path) in str(raised.value)
    return raised.value.problems


def test_the_default_tree_loads() -> None:
    tree = load_tree(default_tree_path())

    assert tree.start == "main"
    assert {"report_sent", "help_now", "language", "follow_status"} <= set(tree.nodes)


def test_a_small_valid_tree_loads(tmp_path: Path) -> None:
    path = tmp_path / "tree.yaml"
    path.write_text(HEADER + "  main: {kind: menu, text: Hi, options: [{label: Go, next: bye}]}\n")

    assert set(load_tree(path).nodes) == {"main", "bye"}


def test_every_problem_is_reported_together(tmp_path: Path) -> None:
    problems = load(
        tmp_path,
        """\
  main:
    kind: menu
    text: Hi
    options:
      - {label: Go, next: nowhere}
      - {label: Loop, next: loop_a}
  loop_a: {kind: menu, text: A, options: [{label: B, next: loop_b}]}
  loop_b: {kind: menu, text: B, options: [{label: A, next: loop_a}]}
  orphan: {kind: end, text: Alone}
""",
    )

    assert len(problems) == 5, problems
    assert any(
        "node main (line 12): goes to 'nowhere', which does not exist" in p for p in problems
    )
    assert any("node orphan" in p and "unreachable" in p for p in problems)
    assert any("node main" in p and "dead end" in p for p in problems)
    assert any("node loop_a" in p and "dead end" in p for p in problems)
    assert any("node loop_b" in p and "dead end" in p for p in problems)


def test_node_shapes_are_checked(tmp_path: Path) -> None:
    problems = load(
        tmp_path,
        """\
  main:
    kind: menu
    text: Hi
    answer: pick
    options:
      - {label: One, value: a, next: ask}
      - {label: Two, next: ask}
  ask: {kind: input, text: "Say {nothing}", next: route}
  route: {kind: router, answer: unknown_answer, routes: {x: bye}, default: bye}
  note: {kind: menu, text: N, effect: open_case, options: [{label: Ok, next: bye}]}
  weird: {kind: popup, text: W}
  Bad-Id: {kind: end, text: X}
""",
    )
    text = "\n".join(problems)

    assert "node main (line 12): every option needs a value to store in 'pick'" in text
    assert "node ask (line 19): a input node needs an answer name" in text
    assert "node ask (line 19): placeholder {nothing} is neither an answer" in text
    assert "node route (line 20): routes on 'unknown_answer', which no node asks" in text
    assert "node note (line 21): effect open_case changes data and may only sit on an end" in text
    assert "node weird (line 22): kind must be one of" in text
    assert "node Bad-Id (line 23): ids are snake_case" in text


def test_lists_options_shown_when_and_areas_wording_are_checked(tmp_path: Path) -> None:
    problems = load(
        tmp_path,
        """\
  main:
    kind: menu
    text: Hi
    options:
      - {label: Lang, next: lang}
      - {label: Where, next: where, when: {status: [gone]}}
      - {label: Odd, next: bye, when: {mood: [happy]}}
  lang: {kind: list, source: languages, text: L, next: main}
  where: {kind: list, source: areas, text: W, answer: area, next: ask}
  ask: {kind: input, text: Q, answer: q, next: bye, group_text: Also}
choices: {status: {here: Here}}
""",
    )
    text = "\n".join(problems)

    assert "node main (line 12): option 'Where' waits for ['gone'], which 'status' never is" in text
    assert "option 'Odd' depends on 'mood', which is neither an answer nor a choices" in text
    assert "node ask (line 21): only an areas list has a group_text" in text
    assert "ui: message 'no_match' is missing (letters that start no area's name)" in text
    assert "lang" not in text  # choosing a language stores no answer: it sets the language


def test_top_level_settings_are_checked(tmp_path: Path) -> None:
    header = HEADER.replace("spec_version: 1", "spec_version: 2").replace("exit: bye", "exit: main")
    header = header.replace("max_steps: 20", "max_steps: 0").replace("back: Back, ", "")
    problems = load(tmp_path, "  main: {kind: menu, text: Hi, options: [{label: Go, next: bye}]}\n",
                    header)  # fmt: skip

    assert "spec_version must be 1, not 2" in problems
    assert "max_steps: a positive integer is required" in problems
    assert "ui: message 'back' is missing" in problems
    assert "exit: node 'main' must be an end node" in problems


def test_paths_longer_than_max_steps_are_refused(tmp_path: Path) -> None:
    chain = "".join(
        f"  step_{n}: {{kind: menu, text: S, options: [{{label: Go, next: step_{n + 1}}}]}}\n"
        for n in range(25)
    )
    chain += "  step_25: {kind: end, text: Done}\n"
    header = HEADER.replace("start: main", "start: step_0")

    problems = load(tmp_path, chain, header)

    assert problems == [
        "max_steps: the longest path from 'step_0' takes 26 steps, more than max_steps 20"
    ]


def test_routers_that_only_loop_are_refused(tmp_path: Path) -> None:
    problems = load(
        tmp_path,
        """\
  main:
    kind: menu
    text: Hi
    answer: pick
    options: [{label: A, value: a, next: r1}]
  r1: {kind: router, answer: pick, routes: {a: r2}, default: bye}
  r2: {kind: router, answer: pick, routes: {a: r1}, default: bye}
""",
    )

    assert any("node r1" in p and "routers loop back" in p for p in problems)


def test_unreadable_file_is_a_tree_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("nodes: [unclosed\n")

    with pytest.raises(TreeError, match="cannot read"):
        load_tree(broken)
