"""SMS keywords and the SMS section of a tree: data, validated when the tree loads.

A tree's ``sms:`` section says where keywords enter the tree, which words mean what in each
language, the SMS-only messages (English message ids) and the one-message report grammar for
trained focal points (``dialogs/focal.py``). Keywords are compared folded
(``dialogs.normalise.fold_word``): ``Arrêt`` = ``ARRET``, ``إبلاغ`` = ``ابلاغ``,
``stop all`` = ``STOPALL``.

Keywords listed under ``any`` (those carriers honour, e.g. English STOP) belong to no language:
they never change the session language. A keyword listed under exactly one enabled language
sets that language when it differs from the session's.

The staff commands' words (``sms.staff``) are parsed here too, with the same table, and
checked against these (``dialogs.staff_keywords``).

STOP opts a number out, so only words that mean nothing else in the dialog may be STOP words:
a word a screen shows (``0. Sair``) or that a reporter may use to leave a conversation
(CANCEL, END, QUIT) is an EXIT word, which ends the conversation and nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from dialogs.normalise import clean_free_text, fold_word, normalise_input
from dialogs.staff_keywords import CONSENT_ANSWERS, StaffKeywords, validate_staff_keywords

if TYPE_CHECKING:
    from dialogs.tree import Tree

ANY_LANGUAGE: Final = "any"
REPORT: Final = "report"
STATUS: Final = "status"
HELP: Final = "help"
STOP: Final = "stop"
START: Final = "start"
EXIT: Final = "exit"
FOCAL: Final = "focal_report"
COMMANDS: Final = (REPORT, STATUS, HELP, STOP, START, EXIT)
# Placeholders an SMS message may use: keywords in the reader's language, the focal-point
# prefix, what a focal-point error names (a count, an example area code), the child
# helpline of the reader's area, and the reference of the report just filed (the thank-you).
SMS_PLACEHOLDERS: Final = frozenset(
    {*COMMANDS, "prefix", "count", "example", "helpline", "reference"}
)
SMS_MESSAGES: Final = ("stopped", "started", "help", "give_up")
FOCAL_MESSAGES: Final = ("focal_usage", "focal_area", "focal_text", "focal_too_long")
DANGER_FLAG: Final = "!"
_ARGUMENT_SEPARATORS: Final = re.compile(r"[\s:,;.#*]+")
_HEAD: Final = re.compile(r"\s*([^\s,;*#]*)[\s,;*#]*(.*)", re.DOTALL)


@dataclass(frozen=True)
class FocalPoint:
    """``R [!] <field numbers…> <area code> <description>``: see ``dialogs/focal.py``."""

    prefixes: tuple[str, ...]  # folded, e.g. ("r",)
    fields: tuple[str, ...]  # answers given by option number, e.g. category, age_band, sex
    done: str  # end node carrying open_case: its screen is the reply
    relationship: str  # the relationship answer every focal-point report carries
    max_text: int


KeywordTable = dict[tuple[str, str], frozenset[str]]


@dataclass(frozen=True)
class SmsSpec:
    report: str | None = None  # node REPORT enters
    status: str | None = None  # the reference input node STATUS enters
    help: str | None = None  # end node with the emergency numbers, sent before the keywords
    # The answer a first message in words opens (the report's narrative): what a reporter
    # writes unprompted is the report, kept as typed.
    first_message: str | None = None
    keywords: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    messages: Mapping[str, str] = field(default_factory=dict)
    focal: FocalPoint | None = None
    staff: StaffKeywords = field(default_factory=StaffKeywords)
    # The folded look-up table per set of enabled languages, built once (``_table``).
    _tables: dict[tuple[str, ...], KeywordTable] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def display(self, command: str, language: str) -> str:
        """The keyword shown to a reader of ``language``: its own first word, else ``any``'s."""
        for group in (language, ANY_LANGUAGE, "en"):
            words = self.keywords.get(group, {}).get(command)
            if words:
                return words[0]
        return command.upper()

    def keyword_params(self, language: str) -> dict[str, str]:
        params = {command: self.display(command, language) for command in COMMANDS}
        params["prefix"] = self.focal.prefixes[0].upper() if self.focal else ""
        return params


@dataclass(frozen=True)
class Match:
    """A recognised command: its keyword's language (None: no single language) and argument."""

    command: str
    language: str | None
    argument: str = ""
    danger: bool = False


def match_keyword(
    spec: SmsSpec, text: str, language: str, languages: tuple[str, ...]
) -> Match | None:
    """What ``text`` asks for, if it is a keyword message; None for anything else.

    STOP, START, HELP and EXIT are the whole message. REPORT is the whole message, or followed
    by words (``RIPOTI watoto wanapigwa``: the argument is the rest as typed). STATUS is
    followed by a reference (``STATUS 482-177-302``, ``status482177302``), or alone: STATUS
    words are everyday words (``Hali gani?``, ``حالة طارئة``), so without digits they are not
    STATUS. A focal-point prefix, or REPORT followed by a number, may be a one-message report
    (``FOCAL``, the argument is the rest; ``dialogs.focal.has_focal_shape`` decides).
    """
    cleaned = normalise_input(text)
    if not cleaned:
        return None
    table = _table(spec, languages)
    whole = fold_word(cleaned)
    for command in (STOP, START, HELP, EXIT, REPORT, STATUS):
        found = table.get((whole, command))
        if found is not None:
            return Match(command, _language(found, language, languages))
    split = _HEAD.fullmatch(clean_free_text(text))
    assert split is not None  # the pattern matches any string
    head, raw_rest = split.group(1), split.group(2)  # the rest as typed: free text stays intact
    rest = normalise_input(raw_rest)
    danger = head.endswith(DANGER_FLAG) and len(head) > 1
    folded_head = fold_word(head)
    if spec.focal is not None and folded_head in spec.focal.prefixes:
        return Match(FOCAL, None, raw_rest, danger)
    found = table.get((folded_head, REPORT))
    if found is not None:
        command = FOCAL if rest[:1].isdigit() or rest[:1] == DANGER_FLAG else REPORT
        return Match(command, _language(found, language, languages), raw_rest, danger)
    glued = re.fullmatch(r"(\D+?)[\s:#-]*(\d[\d\s./-]*)", cleaned)
    if glued is not None:
        folded_head, rest = fold_word(glued.group(1)), glued.group(2)
    else:
        rest = _ARGUMENT_SEPARATORS.sub(" ", rest).strip()
    found = table.get((folded_head, STATUS))
    if found is not None and rest[:1].isdigit():
        return Match(STATUS, _language(found, language, languages), rest)
    return None


def _table(spec: SmsSpec, languages: tuple[str, ...]) -> KeywordTable:
    """(folded word, command) → the groups listing it, for the enabled languages and ``any``;
    folded once per spec and set of languages, not on every message."""
    cached = spec._tables.get(languages)
    if cached is None:
        cached = spec._tables[languages] = _folded_table(spec, languages)
    return cached


def _folded_table(spec: SmsSpec, languages: tuple[str, ...]) -> KeywordTable:
    table: dict[tuple[str, str], set[str]] = {}
    for group, commands in spec.keywords.items():
        if group != ANY_LANGUAGE and group not in languages:
            continue
        for command, words in commands.items():
            for word in words:
                table.setdefault((fold_word(word), command), set()).add(group)
    return {key: frozenset(groups) for key, groups in table.items()}


def _language(groups: frozenset[str], current: str, languages: tuple[str, ...]) -> str | None:
    if ANY_LANGUAGE in groups or current in groups:
        return None
    candidates = [language for language in languages if language in groups]
    return candidates[0] if len(candidates) == 1 else None


def parse_sms_spec(raw: Any, problems: list[str]) -> SmsSpec:
    """The ``sms:`` section of a tree (absent: no keywords, the tree still runs over SMS)."""
    if raw is None:
        return SmsSpec()
    if not isinstance(raw, dict):
        problems.append("sms: must be a mapping")
        return SmsSpec()
    keywords = _keyword_table(raw.get("keywords"), "sms.keywords", COMMANDS, problems)
    messages = raw.get("messages") or {}
    if not isinstance(messages, dict):
        problems.append("sms.messages: must map a name to text")
        messages = {}
    return SmsSpec(
        report=None if raw.get("report") is None else str(raw["report"]),
        status=None if raw.get("status") is None else str(raw["status"]),
        help=None if raw.get("help") is None else str(raw["help"]),
        first_message=None if raw.get("first_message") is None else str(raw["first_message"]),
        keywords=keywords,
        messages={str(k): str(v) for k, v in messages.items()},
        focal=_parse_focal(raw.get("focal_point"), problems),
        staff=_parse_staff(raw.get("staff"), problems),
    )


def _keyword_table(
    raw: Any, where: str, known: Collection[str] | None, problems: list[str]
) -> dict[str, dict[str, tuple[str, ...]]]:
    """``{any or language: {command: [words]}}`` (absent: empty); ``known`` commands only,
    when given."""
    table: dict[str, dict[str, tuple[str, ...]]] = {}
    if raw is None:
        return table
    if not isinstance(raw, dict):
        problems.append(f"{where}: must map a language (or any) to {{command: [words]}}")
        return table
    for group, commands in raw.items():
        if not isinstance(commands, dict):
            problems.append(f"{where}.{group}: must map a command to a list of words")
            continue
        table[str(group)] = {}
        for command, words in commands.items():
            if not isinstance(command, str):
                problems.append(
                    f"{where}.{group}: quote the key {command!r} (YAML reads a bare yes, no, on "
                    "or off as true or false)"
                )
                continue
            if known is not None and command not in known:
                problems.append(f"{where}.{group}: unknown command {command!r}")
            if isinstance(words, str):
                words = [words]
            if not isinstance(words, list) or not words:
                problems.append(f"{where}.{group}.{command}: a list of words is required")
                continue
            if not all(isinstance(word, str) for word in words):
                # YAML reads a bare YES, NO, ON or OFF as a boolean.
                problems.append(f"{where}.{group}.{command}: quote every word ({words!r})")
            table[str(group)][str(command)] = tuple(str(word) for word in words)
    return table


def _parse_staff(raw: Any, problems: list[str]) -> StaffKeywords:
    """The ``sms.staff`` section (``dialogs.staff_keywords``; absent: no staff commands)."""
    if raw is None:
        return StaffKeywords()
    if not isinstance(raw, dict):
        problems.append("sms.staff: must map keywords, levels, reasons and consent")
        return StaffKeywords()
    return StaffKeywords(
        verbs=_keyword_table(raw.get("keywords"), "sms.staff.keywords", None, problems),
        levels=_keyword_table(raw.get("levels"), "sms.staff.levels", None, problems),
        reasons=_keyword_table(raw.get("reasons"), "sms.staff.reasons", None, problems),
        consent=_keyword_table(raw.get("consent"), "sms.staff.consent", CONSENT_ANSWERS, problems),
    )


def _parse_focal(raw: Any, problems: list[str]) -> FocalPoint | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append("sms.focal_point: must be a mapping")
        return None
    prefixes = raw.get("prefixes") or []
    fields = raw.get("fields") or []
    max_text = raw.get("max_text", 600)
    if not isinstance(prefixes, list) or not prefixes or not isinstance(fields, list):
        problems.append("sms.focal_point: prefixes (non-empty) and fields must be lists")
        return None
    if not isinstance(max_text, int) or max_text < 1:
        problems.append("sms.focal_point.max_text: a positive integer is required")
        max_text = 600
    return FocalPoint(
        prefixes=tuple(fold_word(str(prefix)) for prefix in prefixes),
        fields=tuple(str(name) for name in fields),
        done=str(raw.get("done") or ""),
        relationship=str(raw.get("relationship") or ""),
        max_text=max_text,
    )


def validate_sms_spec(tree: Tree) -> Iterator[str]:
    """Entry nodes exist and fit, messages are complete, no word means two things."""
    spec = tree.sms
    nodes = tree.nodes
    if spec.report is not None and spec.report not in nodes:
        yield f"sms.report: node {spec.report!r} does not exist"
    if spec.help is not None and (spec.help not in nodes or nodes[spec.help].kind != "end"):
        yield f"sms.help: {spec.help!r} must be an end node"
    if spec.status is not None and (
        spec.status not in nodes
        or nodes[spec.status].kind != "input"
        or nodes[spec.status].check != "reference"
    ):
        yield f"sms.status: {spec.status!r} must be an input node with check: reference"
    if spec.first_message is not None and not any(
        node.kind == "input" and node.answer == spec.first_message for node in nodes.values()
    ):
        yield f"sms.first_message: no free-text question asks {spec.first_message!r}"
    if spec.keywords:
        yield from (
            f"sms.messages: message {name!r} is missing"
            for name in SMS_MESSAGES
            if name not in spec.messages
        )
    from dialogs.tree import placeholders

    for name, text in spec.messages.items():
        yield from (
            f"sms.messages.{name}: placeholder {{{p}}} is not one of {sorted(SMS_PLACEHOLDERS)}"
            for p in placeholders(text)
            if p not in SMS_PLACEHOLDERS
        )
    meanings: dict[str, set[str]] = {}
    for group, table in spec.keywords.items():
        for command, words in table.items():
            for word in words:
                folded = fold_word(word)
                if not folded or folded.isdigit():
                    yield f"sms.keywords.{group}.{command}: {word!r} cannot be a keyword"
                meanings.setdefault(folded, set()).add(command)
    for folded, commands in sorted(meanings.items()):
        if len(commands) > 1:
            yield f"sms.keywords: {folded!r} means {' and '.join(sorted(commands))}"
    if spec.focal is not None:
        yield from _focal_problems(tree, spec.focal, meanings)
    prefixes = spec.focal.prefixes if spec.focal is not None else ()
    yield from validate_staff_keywords(spec.staff, spec.keywords, prefixes)


def _focal_problems(
    tree: Tree, focal: FocalPoint, meanings: Mapping[str, set[str]]
) -> Iterator[str]:
    from dialogs.tree import CHOICE_KINDS

    for prefix in focal.prefixes:
        if prefix in meanings:
            yield f"sms.focal_point: prefix {prefix!r} is also a keyword"
    done = tree.nodes.get(focal.done)
    if done is None or done.kind != "end" or done.effect is None or done.effect.kind != "open_case":
        yield f"sms.focal_point.done: {focal.done!r} must be an end node with open_case"
    for name in focal.fields:
        if not any(n.kind in CHOICE_KINDS and n.answer == name for n in tree.nodes.values()):
            yield f"sms.focal_point.fields: no menu asks {name!r}"
        if f"focal_{name}" not in tree.sms.messages:
            yield f"sms.messages: message 'focal_{name}' is missing"
    relationships = [
        option.value
        for node in tree.nodes.values()
        if node.kind in CHOICE_KINDS and node.answer == "relationship"
        for option in node.options
    ]
    if focal.relationship not in relationships:
        yield f"sms.focal_point.relationship: must be one of {relationships}"
    yield from (
        f"sms.messages: message {name!r} is missing"
        for name in FOCAL_MESSAGES
        if name not in tree.sms.messages
    )
