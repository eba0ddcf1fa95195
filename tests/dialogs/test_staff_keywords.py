"""Staff command words in the tree's ``sms.staff`` section (verbs, levels, reasons and the
consent answers CALLED takes): matched folded in every language, and refused when they would
take a reporter's keyword or mean two things."""

from __future__ import annotations

from pathlib import Path

import pytest
from dialog_fixtures import SHIPPED_LANGUAGES

from dialogs.staff_keywords import StaffKeywords, staff_language_problems
from dialogs.tree import Tree, TreeError, load_tree

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
  main: {kind: menu, text: Hi, options: [{label: "Yes", value: "yes", next: bye}]}
  bye: {kind: end, text: Bye}
words:
  "yes": {en: ["YES", "SAWA"]}
sms:
  keywords: {any: {stop: [STOP], help: [HELP]}, en: {report: [REPORT]}}
  messages: {stopped: Off, started: On, give_up: Bye, help: Help}
  staff:
%s
"""


@pytest.mark.parametrize(
    ("typed", "verb"),
    [
        ("ACK", "ack"), ("ack", "ack"), ("Pokea", "ack"), ("Reçu", "ack"), ("RECU", "ack"),
        ("استلام", "ack"), ("recebido", "ack"), ("called", "called"), ("Appelé", "called"),
        ("nimepiga", "called"), ("اتصلت", "called"), ("Liguei", "called"),
        ("Dokezo", "note"), ("ملاحظة", "note"), ("nota", "note"), ("niveau", "level"),
        ("Kiwango", "level"), ("مستوى", "level"), ("nível", "level"), ("Fermer", "close"),
        ("funga", "close"), ("إغلاق", "close"), ("اغلاق", "close"), ("encerrar", "close"),
        ("cases", "cases"), ("kesi", "cases"), ("Dossiers", "cases"), ("حالاتي", "cases"),
        ("casos", "cases"), ("HELP", "help"), ("msaada", "help"), ("aide", "help"),
        ("مساعدة", "help"), ("Ajuda", "help"),
    ],
)  # fmt: skip
def test_verbs_are_folded_in_every_language(tree: Tree, typed: str, verb: str) -> None:
    assert tree.sms.staff.verb(typed, SHIPPED_LANGUAGES) == verb


def test_a_language_not_enabled_has_no_verbs_but_english_works_everywhere(tree: Tree) -> None:
    staff = tree.sms.staff
    assert staff.verb("POKEA", ["fr"]) is None
    assert staff.verb("ACK", ["sw"]) == "ack"
    assert staff.verb("STOP", SHIPPED_LANGUAGES) is None
    assert staff.verb("REPORT", SHIPPED_LANGUAGES) is None


@pytest.mark.parametrize(
    ("typed", "level", "rest"),
    [
        ("HIGH", "high", ""), ("high, neighbour saw him hit", "high", "neighbour saw him hit"),
        ("Haraka sana mtoto yuko hatarini", "immediate", "mtoto yuko hatarini"),
        ("HARAKA", "immediate", ""), ("élevé", "high", ""), ("ELEVE voisin", "high", "voisin"),
        ("منخفض لا خطر", "low", "لا خطر"), ("médio", "medium", ""), ("Baixo já resolvido",
        "low", "já resolvido"),
    ],
)  # fmt: skip
def test_levels_take_one_or_more_words_and_leave_the_reason(
    tree: Tree, typed: str, level: str, rest: str
) -> None:
    staff = tree.sms.staff
    assert staff.leading(staff.levels, typed, SHIPPED_LANGUAGES) == (level, rest)


def test_reasons_and_unknown_words(tree: Tree) -> None:
    staff = tree.sms.staff
    assert staff.leading(staff.reasons, "sans suite famille vue", SHIPPED_LANGUAGES) == (
        "no_concern",
        "famille vue",
    )
    assert staff.leading(staff.reasons, "no-concern.", SHIPPED_LANGUAGES) == ("no_concern", "")
    assert staff.leading(staff.reasons, "finished", SHIPPED_LANGUAGES) is None
    assert staff.leading(staff.levels, "", SHIPPED_LANGUAGES) is None


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("CONSENT", "yes"), ("consent.", "yes"), ("Agreed", "yes"), ("NOCONSENT", "no"),
        ("no consent", "no"), ("No-Consent", "no"), ("refused", "no"), ("amekubali", "yes"),
        ("Amekataa", "no"), ("accord", "yes"), ("d'accord", "yes"), ("pas d'accord", "no"),
        ("Refus", "no"), ("موافق", "yes"), ("غير موافق", "no"), ("رفض", "no"),
        ("aceitou", "yes"), ("Recusou", "no"), ("não consente", "no"), ("NAO CONSENTE", "no"),
    ],
)  # fmt: skip
def test_consent_answers_are_folded_in_every_language(tree: Tree, typed: str, answer: str) -> None:
    staff = tree.sms.staff
    assert staff.leading(staff.consent, typed, SHIPPED_LANGUAGES) == (answer, "")


def test_a_consent_answer_is_read_alone_or_not_at_all(tree: Tree) -> None:
    staff = tree.sms.staff
    assert staff.leading(staff.consent, "CONSENT to the clinic", SHIPPED_LANGUAGES) == (
        "yes",
        "to the clinic",
    )
    assert staff.leading(staff.consent, "spoke to the mother", SHIPPED_LANGUAGES) is None
    assert staff.leading(staff.consent, "AMEKUBALI", ["fr"]) is None  # not an enabled language
    assert staff.display(staff.consent, "yes", "sw") == "AMEKUBALI"
    assert staff.display(staff.consent, "no", "en") == "NOCONSENT"


def test_replies_show_the_first_word_of_the_readers_language(tree: Tree) -> None:
    staff = tree.sms.staff
    assert staff.display(staff.verbs, "ack", "sw") == "POKEA"
    assert staff.display(staff.verbs, "ack", "en") == "ACK"
    assert staff.display(staff.levels, "immediate", "sw") == "HARAKA SANA"
    assert staff.display(staff.reasons, "resolved", "xx") == "RESOLVED"


def _problems(tmp_path: Path, staff: str) -> list[str]:
    path = tmp_path / "tree.yaml"
    path.write_text(TREE % staff, encoding="utf-8")
    with pytest.raises(TreeError) as raised:
        load_tree(path)
    return raised.value.problems


def test_staff_words_never_take_a_reporters_keyword(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        "    keywords:\n"
        "      any: {ack: [ACK, STOP], help: [HELP], cases: [REPORT], note: [SAWA]}\n",
    )
    assert "sms.staff.keywords.any.ack: 'STOP' is also the reporters' stop keyword" in problems
    assert "sms.staff.keywords.any.cases: 'REPORT' is also the reporters' report keyword" in (
        problems
    )
    assert "words.yes.en: 'sawa' is also an SMS keyword" in problems
    # A staff phone texting HELP gets the staff help: sharing HELP is no clash.
    assert not any("any.help" in problem for problem in problems)


def test_staff_words_mean_one_thing_are_one_word_and_are_listed_in_english(
    tmp_path: Path,
) -> None:
    problems = _problems(
        tmp_path,
        "    keywords:\n"
        "      any: {ack: [ACK, TAKE IT], note: [NOTE]}\n"
        "      sw: {ack: [POKEA], note: [POKEA], close: [FUNGA]}\n"
        "    levels:\n"
        "      any: {high: [HIGH], low: [LOW]}\n"
        "      sw: {high: [JUU], low: [JUU]}\n",
    )
    assert "sms.staff.keywords.any.ack: 'TAKE IT' must be one word of letters" in problems
    assert "sms.staff.keywords: 'pokea' means ack and note" in problems
    assert "sms.staff.keywords.sw: 'close' is not listed under any" in problems
    assert "sms.staff.levels: 'juu' means high and low" in problems


def test_consent_answers_mean_one_thing_and_are_yes_or_no(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        "    keywords:\n"
        "      any: {called: [CALLED]}\n"
        "    consent:\n"
        '      any: {"yes": [CONSENT], "no": [NOCONSENT], maybe: [MAYBE]}\n'
        '      sw: {"yes": [AMEKUBALI], "no": [AMEKUBALI]}\n'
        '      fr: {"yes": [ACCORD], "no": [NO CONSENT]}\n'
        "      pt: {yes: [ACEITOU]}\n",
    )
    assert "sms.staff.consent.any: unknown command 'maybe'" in problems
    assert "sms.staff.consent: 'amekubali' means no and yes" in problems
    assert not any(".fr" in problem for problem in problems)  # an answer may be two words
    assert (
        "sms.staff.consent.pt: quote the key True (YAML reads a bare yes, no, on or off as true "
        "or false)"
    ) in problems


def test_every_language_has_its_own_word_for_every_verb_and_level() -> None:
    staff = StaffKeywords(
        verbs={"any": {"ack": ("ACK",), "note": ("NOTE",)}, "sw": {"ack": ("POKEA",)}},
        levels={"any": {"high": ("HIGH",)}},
        consent={"any": {"yes": ("CONSENT",), "no": ("NOCONSENT",)}, "sw": {"yes": ("AMEKUBALI",)}},
    )
    assert list(staff_language_problems(staff, "sw")) == [
        "sms.staff.keywords: language sw has no word for 'note'",
        "sms.staff.levels: language sw has no word for 'high'",
        "sms.staff.consent: language sw has no word for 'no'",
    ]
