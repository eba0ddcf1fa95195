"""Texts that read safely on a shared phone, in every shipped language.

The rule (``locales/REVIEW.md``, "Neutral texts on a shared phone"): a question the reporter is
answering may name the child and the categories, since they are answering it there and then.
Every other text names neither: confirmations, endings, the thank-you, the help and status
replies, and every error or re-prompt line. They arrive after the reporter has stopped
looking, or they stay in the inbox. The last SMS of a report also says that these messages
may be deleted.
"""

from __future__ import annotations

from typing import Any

import pytest
from dialog_fixtures import SHIPPED_LANGUAGES, kenya

from dialogs.encoding import analyse
from dialogs.engine import EXIT_KEY, Context, show
from dialogs.keywords import COMMANDS
from dialogs.normalise import fold_word
from dialogs.render import fold_to_gsm7, load_translations, render
from dialogs.screen import Screen
from dialogs.sms import sms_context, sms_step, thank_you
from dialogs.tree import CHOICE_KINDS, Tree
from workers.follow_ups import FOLLOW_UP

# Words that tell whoever reads the phone what was reported. They are compared folded, as a
# substring of the folded text, so "child" also catches "children" and "طفل" also catches "الطفل".
SENSITIVE = {
    "en": ["child", "abuse", "violence", "sexual", "rape", "fgm", "trafficking", "neglect"],
    "sw": ["mtoto", "watoto", "unyanyasaji", "ukatili", "ngono", "ukeketaji", "usafirishaji",
           "kutelekezwa", "ubakaji"],
    "fr": ["enfant", "abus", "violence", "sexuel", "excision", "traite", "trafic", "maltrait",
           "viol"],
    "ar": ["طفل", "أطفال", "عنف", "إساءة", "اعتداء", "جنسي", "ختان", "اتجار", "اغتصاب"],
    "pt": ["criança", "abuso", "violência", "sexual", "excisão", "tráfico", "maus-tratos",
           "violação"],
}  # fmt: skip
# The one label allowed to name what it is for: a gender-violence line's name is what tells a
# caller that it is the number to call. No shipped profile lists one.
NAMED_SERVICES = ("gbv_hotline",)
# The sentence that closes the last SMS of a report, as it reads in each language.
DELETE_SENTENCE = {
    "en": "If others use this phone, you may delete these messages.",
    "sw": "Kama wengine hutumia simu hii, unaweza kufuta jumbe hizi.",
    "fr": "Si d'autres utilisent ce téléphone, vous pouvez effacer ces messages.",
    "ar": "إن كان غيرك يستخدم هذا الهاتف، يمكنك حذف هذه الرسائل.",
    "pt": "Se partilha o telefone, pode apagar estas mensagens.",
}
PARAMS = {"reference": "482-177-302", "status": "not_found"}


def sensitive_words(language: str, text: str) -> list[str]:
    folded = fold_word(text)
    return [word for word in SENSITIVE[language] if fold_word(word) in folded]


def at(node: str, answers: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"node": node, "answers": dict(answers), "page": 0, "invalid": 0, "steps": 0, **extra}


def answers_for(tree: Tree) -> dict[str, str]:
    """An answer for every question, the first option of each menu: enough to show any screen."""
    answers: dict[str, str] = {"area": "047", "reference": "482177302"}
    for node in tree.nodes.values():
        if node.answer and node.kind in CHOICE_KINDS:
            answers.setdefault(node.answer, str(node.options[0].value))
        elif node.answer and node.kind == "input":
            answers.setdefault(node.answer, "x")
    return answers


def sms_texts_that_ask_nothing(tree: Tree, context: Context) -> dict[str, str]:
    """Every SMS reply that is not a question, rendered, by how it was reached.

    Reached through ``sms_step`` itself: every number every question shows, 0 and a third
    wrong answer on each, every keyword alone, with a report going on and after STOP, and a
    one-message report, valid and wrong. The error line of every re-prompt is included too.
    """
    context = sms_context(context)
    translations = load_translations(context.language)
    spec = tree.sms
    words = spec.keyword_params(context.language)
    answers = answers_for(tree)
    probes: list[tuple[str, dict[str, Any] | None, str, bool]] = []
    for node in tree.nodes.values():
        if node.kind in ("end", "router"):
            continue
        state = at(node.id, answers)
        screen = show(tree, state, context)
        keys = [choice.key for choice in screen.options] + [EXIT_KEY]
        probes.extend((f"{node.id} {key}", state, key, False) for key in keys)
        last_chance = at(node.id, answers, invalid=tree.max_invalid - 1)
        probes.append((f"{node.id} wrong", at(node.id, answers), "wrong", False))
        probes.append((f"{node.id} wrong thrice", last_chance, "wrong", False))
        if node.kind == "input":
            probes.append((f"{node.id} typed", state, "482177302", False))
    for command in COMMANDS:
        word = words[command]
        probes.append((f"keyword {command}", None, word, False))
        probes.append((f"keyword {command}, opted out", None, word, True))
        probes.append((f"keyword {command} mid-report", at("report_age", answers), word, True))
    probes.append(("status with a reference", None, f"{words['status']} 482177302", False))
    area = context.areas[-1].code
    prefix = words["prefix"]
    probes.append(("focal report", None, f"{prefix}! 1 1 1 {area} x", False))
    probes.append(("focal report, wrong", None, f"{prefix} 99 1 1 {area} x", False))
    probes.append(("focal report, no area", None, f"{prefix} 1 1 1 x", False))
    found: dict[str, str] = {}
    for label, state, text, opted_out in probes:
        step = sms_step(tree, state, text, context, opted_out=opted_out)
        for number, reply in enumerate(step.replies):
            for status in tree.choices["status"]:
                params = {**PARAMS, "status": status}
                where = f"{label}, reply {number + 1}, status {status}"
                if reply.end:
                    found[where] = render(reply, translations, params, context.fold_accents)
                if reply.error is not None:
                    error = Screen(node=reply.node, end=True, text=reply.error)
                    found[f"{where}, error"] = render(error, translations, params)
    return found


def message_texts_that_ask_nothing(tree: Tree, language: str) -> dict[str, str]:
    """Every text of the tree that is no question: ui messages, SMS messages, status words,
    emergency labels and end screens (as USSD shows them), translated."""
    translations = load_translations(language)
    texts = {f"ui {name}": text for name, text in tree.ui.items()}
    texts.update((f"sms {name}", text) for name, text in tree.sms.messages.items())
    texts.update(
        (f"choice {name} {code}", text)
        for name, codes in tree.choices.items()
        for code, text in codes.items()
    )
    texts.update(
        (f"emergency label {name}", text)
        for name, text in tree.emergency_labels.items()
        if name not in NAMED_SERVICES
    )
    texts.update(
        (f"node {node.id}", node.text)
        for node in tree.nodes.values()
        if node.kind == "end" and node.text
    )
    return {where: translations.gettext(text) for where, text in texts.items()}


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_no_text_that_asks_nothing_names_the_child_or_what_happened(
    tree: Tree, language: str
) -> None:
    texts = message_texts_that_ask_nothing(tree, language)
    texts.update(sms_texts_that_ask_nothing(tree, kenya(language)))

    assert len(texts) > 40
    exposed = {text: where for where, text in texts.items() if sensitive_words(language, text)}
    assert exposed == {}


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_the_sensitive_words_are_those_the_questions_use(tree: Tree, language: str) -> None:
    """The lists are not empty words: each one is found in the questions of its language."""
    translations = load_translations(language)
    questions = " ".join(
        translations.gettext(text)
        for node in tree.nodes.values()
        if node.kind != "end"
        for text in [node.text or "", *(option.label for option in node.options)]
        if text
    )
    assert sensitive_words(language, questions) != []
    assert "child" in sensitive_words("en", "Is a child in danger right now?")


def report_over_sms(tree: Tree, language: str) -> list[str]:
    """A whole report over SMS: REPORT, then the first option of every question until it is
    sent (nothing typed on text questions, the summary's Send). The replies, rendered."""
    context = kenya(language)
    translations = load_translations(language)
    step = sms_step(tree, None, tree.sms.keyword_params(language)["report"], context)
    rendered: list[str] = []
    for _ in range(30):
        rendered.extend(render(r, translations, PARAMS, context.fold_accents) for r in step.replies)
        if step.state is None:
            return rendered
        node = tree.nodes[step.state["node"]]
        answer = "1" if node.kind != "input" else ("x" if not node.optional else "0")
        if node.kind == "list" and node.source == "areas":
            answer = "1"
        step = sms_step(tree, step.state, answer, context)
    raise AssertionError("the report never ended")


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_the_last_sms_of_a_report_says_the_messages_may_be_deleted(
    tree: Tree, language: str
) -> None:
    context = kenya(language)
    translations = load_translations(language)
    sentence = DELETE_SENTENCE[language]
    if context.fold_accents:
        sentence = fold_to_gsm7(sentence)
    focal = sms_step(tree, None, f"R 1 1 1 {context.areas[-1].code} x", context)
    focal_reply = render(focal.replies[-1], translations, PARAMS, context.fold_accents)

    texts = report_over_sms(tree, language)

    assert texts[-1].endswith(sentence)
    assert "482-177-302" in texts[-1]
    assert focal_reply.endswith(sentence)
    assert all(sentence not in text for text in texts[:-1])


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_the_ussd_thank_you_has_no_delete_sentence(tree: Tree, language: str) -> None:
    """Nothing stays on the phone after a USSD session: the thank-you is the short one."""
    context = kenya(language)
    state = at("report_summary", answers_for(tree))
    screen = show(tree, at("report_sent", state["answers"]), context)
    text = render(screen, load_translations(language), PARAMS, context.fold_accents)

    assert "482-177-302" in text
    assert DELETE_SENTENCE[language][:12] not in text


def option(tree: Tree, node: str, value: str) -> str:
    return next(o.label for o in tree.nodes[node].options if o.value == value)


def test_other_has_one_wording_for_a_concern_and_another_for_a_person(tree: Tree) -> None:
    """ "Other" after "What is happening?" is a thing; after "You are", a person: Kiswahili
    says *Nyingine* for one and *Mtu mwingine* for the other, so they are two messages."""
    concern = option(tree, "report_category", "other")
    person = option(tree, "report_relationship", "other")
    sw = load_translations("sw")

    assert (concern, person) == ("Other", "Someone else")
    assert (sw.gettext(concern), sw.gettext(person)) == ("Nyingine", "Mtu mwingine")


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_the_reference_by_sms_after_a_ussd_report_is_the_sms_thank_you(
    tree: Tree, language: str
) -> None:
    """What a USSD reporter who agreed to SMS updates is sent once: it stays in the inbox."""
    context = kenya(language)
    screen = thank_you(tree, context)
    assert screen is not None
    text = render(screen, load_translations(language), PARAMS, context.fold_accents)

    assert "482-177-302" in text and sensitive_words(language, text) == []
    sentence = DELETE_SENTENCE[language]
    assert text.endswith(fold_to_gsm7(sentence) if context.fold_accents else sentence)


@pytest.mark.parametrize("fold", [False, True], ids=["accents", "folded"])
@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_the_follow_up_names_nothing_and_fits_one_sms(language: str, fold: bool) -> None:
    """ "Your reference … was updated": sent unasked, read by whoever holds the phone."""
    text = (
        load_translations(language)
        .gettext(FOLLOW_UP)
        .format(reference="482-177-302", service_code="*384*116#")
    )
    if fold:
        text = fold_to_gsm7(text)

    assert "482-177-302" in text and "*384*116#" in text
    assert sensitive_words(language, text) == []
    assert analyse(text).segments == 1
