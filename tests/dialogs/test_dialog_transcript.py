"""Transcript of the default USSD tree in English: inputs → exact screens and effects."""

from __future__ import annotations

from dialogs.engine import Context, Effect, Step, advance, start
from dialogs.render import load_translations, render
from dialogs.tree import Tree

REFERENCE = {"reference": "482-177-302"}

REPORT_IN_DANGER = [
    (
        None,
        "CON Welcome to Kinga\n1. Report a concern about a child\n2. Follow up on a report\n"
        "3. Get help now\n4. Language/Lugha\n0. Exit",
    ),
    ("1", "CON Is a child in danger right now?\n1. Yes\n2. No\n0. Exit"),
    ("1", "CON If you can, call 116 now. Then finish your report here.\n1. Continue\n0. Exit"),
    (
        "1",
        "CON What is happening?\n1. Physical violence\n2. Sexual abuse\n"
        "3. Neglect or abandonment\n4. Child marriage or FGM\n5. Child labour or trafficking\n"
        "98. More\n0. Exit",
    ),
    (
        "98",
        "CON What is happening?\n1. Missing or separated child\n2. Online abuse\n3. Other\n"
        "99. Back\n0. Exit",
    ),
    (
        "1",
        "CON How old is the child?\n1. Under 5\n2. 5-11\n3. 12-14\n4. 15-17\n5. Don't know\n"
        "0. Exit",
    ),
    ("3", "CON The child is\n1. A girl\n2. A boy\n3. Don't know / prefer not to say\n0. Exit"),
    (
        "1",
        "CON Where is the child? Choose, or type the first letters of the area.\n1. Nairobi\n"
        "2. Mombasa\n3. Kisumu\n4. Nakuru\n5. B-I\n6. K\n7. L-M\n8. N-S\n9. T-W\n0. Exit",
    ),
    (
        "6",
        "CON Where is the child?\n1. Kajiado\n2. Kakamega\n3. Kericho\n4. Kiambu\n5. Kilifi\n"
        "6. Kirinyaga\n7. Kisii\n8. Kisumu\n9. Kitui\n10. Kwale\n99. Back\n0. Exit",
    ),
    ("10", "CON Type the village or place, if you wish.\n0. Skip"),
    (
        "Msambweni, near the market",
        "CON You are\n1. The child\n2. Family member\n3. Neighbour or community\n"
        "4. Teacher or health worker\n5. Someone else\n0. Exit",
    ),
    ("4", "CON Tell us more, if you wish.\n0. Skip"),
    (
        "She has not come to school since * March",
        "CON May we call you on this number?\n1. Yes\n2. No, stay anonymous\n0. Exit",
    ),
    (
        "1",
        "CON Safest time to call?\n1. Morning\n2. Afternoon\n3. Evening\n4. Any time\n0. Exit",
    ),
    (
        "3",
        "CON May we send you an SMS when your report is updated?\n1. Yes\n2. No\n0. Exit",
    ),
    ("1", "CON Your report: missing child, Kwale.\n1. Send\n2. Start again\n0. Exit"),
    (
        "1",
        "END Thank you. Your reference is 482-177-302. Keep it safe. "
        "If there is danger now, call 116.",
    ),
]


def shown(step: Step) -> str:
    prefix = "END " if step.screen.end else "CON "
    return prefix + render(step.screen, load_translations("en"), REFERENCE)


def play(tree: Tree, context: Context, inputs: list[str]) -> list[Step]:
    steps = [start(tree, context)]
    for user_input in inputs:
        steps.append(advance(tree, steps[-1].state, user_input, context))
    return steps


def test_report_in_danger_transcript(tree: Tree, context: Context) -> None:
    inputs = [user_input for user_input, _screen in REPORT_IN_DANGER[1:]]
    steps = play(tree, context, inputs)

    assert [shown(step) for step in steps] == [screen for _input, screen in REPORT_IN_DANGER]
    assert [step.effects for step in steps[:-1]] == [()] * (len(steps) - 1)
    assert steps[-1].effects == (
        Effect(
            "open_case",
            {
                "answers": {
                    "danger": "yes",
                    "category": "missing_separated",
                    "age_band": "12_14",
                    "sex": "girl",
                    "area": "002",
                    "place": "Msambweni, near the market",
                    "relationship": "professional",
                    "narrative": "She has not come to school since * March",
                    "callback": "yes",
                    "callback_time": "evening",
                    "sms_updates": "yes",
                }
            },
        ),
    )


def test_anonymous_report_leaves_out_skipped_and_unasked_answers(
    tree: Tree, context: Context
) -> None:
    steps = play(tree, context, ["1", "2", "3", "5", "2", "1", "0", "5", "0", "2", "2", "1"])

    assert shown(steps[-2]) == (
        "CON Your report: neglect, Nairobi.\n1. Send\n2. Start again\n0. Exit"
    )
    assert steps[-1].screen.end
    assert steps[-1].effects == (
        Effect(
            "open_case",
            {
                "answers": {
                    "danger": "no",
                    "category": "neglect",
                    "age_band": "unknown",
                    "sex": "boy",
                    "area": "047",
                    "relationship": "other",
                    "callback": "no",
                    "sms_updates": "no",
                }
            },
        ),
    )


def test_start_again_forgets_every_answer(tree: Tree, context: Context) -> None:
    first = ["1", "1", "1", "1", "1", "1", "1", "x", "1", "y", "1", "1", "1"]
    again = ["2", "98", "3", "5", "3", "1", "0", "5", "0", "2", "2", "1"]
    steps = play(tree, context, [*first, "2", *again])

    assert shown(steps[len(first) + 1]).startswith("CON Is a child in danger right now?")
    assert steps[-1].effects[0].data["answers"] == {
        "danger": "no",
        "category": "other",
        "age_band": "unknown",
        "sex": "unknown",
        "area": "047",
        "relationship": "other",
        "callback": "no",
        "sms_updates": "no",
    }
