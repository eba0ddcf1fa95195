"""Dialog trees: YAML data, parsed into frozen objects and validated as a graph when loaded.

A tree is a set of nodes keyed by readable snake_case ids. English text in the YAML is the
gettext message id (see ``dialogs/extract.py``). ``load_tree`` never returns a tree with a
known problem: it raises ``TreeError`` listing every problem found, each naming its node.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from dialogs.effects import READ_EFFECTS, WRITE_EFFECTS
from dialogs.keywords import SmsSpec, parse_sms_spec, validate_sms_spec
from dialogs.words import Words, parse_words, validate_words

SPEC_VERSION: Final = 1
TREES_DIR: Final = Path(__file__).resolve().parent / "trees"

KINDS: Final = frozenset({"menu", "summary", "list", "input", "router", "end"})
CHOICE_KINDS: Final = frozenset({"menu", "summary"})
SOURCES: Final = frozenset({"areas", "languages"})
CHECKS: Final = frozenset({"digits", "reference"})
# Placeholders the engine or the webhook fill that are not answers.
CONTEXT_PLACEHOLDERS: Final = frozenset({"helpline", "reference", "status"})
UI_MESSAGES: Final = (
    "exit",
    "skip",
    "more",
    "back",
    "invalid_choice",
    "required",
    "too_long",
    "digits",
    "reference",
    "resume",
    "resume_continue",
    "restart",
    "ended",
)
_NODE_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class TreeError(Exception):
    """A tree that must not run; ``problems`` lists every problem, each naming its node."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{self.path}: {len(self.problems)} problem(s)\n{lines}")


@dataclass(frozen=True)
class Option:
    label: str
    next: str
    value: str | None = None
    short: str | None = None  # shorter wording used where a summary restates the answer
    clear: bool = False  # forget every answer (e.g. "Start again")
    # Shown only when every named answer has one of the listed values (e.g. {status:
    # [not_found]}); the webhook fills ``choices`` placeholders as answers (engine ``fill``).
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def shown(self, answers: Mapping[str, str]) -> bool:
        return all(answers.get(name) in values for name, values in self.when)


@dataclass(frozen=True)
class EffectSpec:
    kind: str
    answers: tuple[str, ...] = ()  # copied into data["answers"] when present
    fields: tuple[tuple[str, str], ...] = ()  # data[key] = answers[name]


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    line: int
    text: str | None = None
    answer: str | None = None
    options: tuple[Option, ...] = ()
    source: str | None = None
    next: str | None = None
    optional: bool = False
    max_length: int | None = None
    check: str | None = None
    routes: tuple[tuple[str, str], ...] = ()
    default: str | None = None
    effect: EffectSpec | None = None
    emergency_lines: bool = False
    # An areas list: the question on the screens after the first (groups, matches), where the
    # first screen's hint to type letters would leave too little room.
    group_text: str | None = None

    def targets(self) -> Iterator[str]:
        for option in self.options:
            yield option.next
        if self.next is not None:
            yield self.next
        for _value, target in self.routes:
            yield target
        if self.default is not None:
            yield self.default


@dataclass(frozen=True)
class Tree:
    path: str
    spec_version: int
    start: str
    exit: str
    give_up: str
    unsent: str  # the closing text of 0 on a summary; the tree's `exit` unless it names one
    max_steps: int
    max_invalid: int
    ui: Mapping[str, str]
    nodes: Mapping[str, Node]
    helpline_key: str
    helpline_default: str
    emergency_labels: Mapping[str, str]
    language_names: Mapping[str, str]
    choices: Mapping[str, Mapping[str, str]]
    sms: SmsSpec = field(default_factory=SmsSpec)
    words: Words = field(default_factory=dict)  # answers in words (dialogs/words.py)
    # Pages computed per (node, language, options, budget), and areas lists arranged per
    # (node, language, budget, letters typed, areas); filled lazily by the engine.
    page_cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def messages(self) -> Iterator[str]:
        """Every message id the tree can show, once each."""
        seen: set[str] = set()
        candidates: list[str | None] = [*self.ui.values(), *self.emergency_labels.values()]
        candidates.extend(self.sms.messages.values())
        for texts in self.choices.values():
            candidates.extend(texts.values())
        for node in self.nodes.values():
            candidates.extend((node.text, node.group_text))
            for option in node.options:
                candidates.extend((option.label, option.short))
        for message in candidates:
            if message is not None and message not in seen:
                seen.add(message)
                yield message


def default_tree_path() -> Path:
    return TREES_DIR / "ussd.yaml"


def load_tree(path: Path | str) -> Tree:
    """Read, parse and validate a tree; raise ``TreeError`` with every problem found."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            document = yaml.compose(handle)
    except (OSError, yaml.YAMLError) as error:
        raise TreeError(path, [f"cannot read: {error}"]) from error
    if document is None:
        raise TreeError(path, ["the file is empty"])
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    lines = _node_lines(document)
    problems: list[str] = []
    tree = _parse(path, data, lines, problems)
    if tree is not None:
        problems.extend(validate(tree))
    if problems:
        raise TreeError(path, problems)
    assert tree is not None
    return tree


def _node_lines(document: yaml.Node) -> dict[str, int]:
    if not isinstance(document, yaml.MappingNode):
        return {}
    for key, value in document.value:
        if key.value == "nodes" and isinstance(value, yaml.MappingNode):
            return {k.value: k.start_mark.line + 1 for k, _v in value.value}
    return {}


def _parse(path: Path, data: Any, lines: Mapping[str, int], problems: list[str]) -> Tree | None:
    if not isinstance(data, dict):
        problems.append("the top level must be a mapping")
        return None
    if data.get("spec_version") != SPEC_VERSION:
        problems.append(f"spec_version must be {SPEC_VERSION}, not {data.get('spec_version')!r}")
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, dict) or not raw_nodes:
        problems.append("nodes: a mapping of node id to node is required")
        return None
    nodes: dict[str, Node] = {}
    for node_id, raw in raw_nodes.items():
        node = _parse_node(str(node_id), raw, lines.get(str(node_id), 0), problems)
        if node is not None:
            nodes[node.id] = node
    ui = _string_map(data.get("ui"), "ui", problems)
    problems.extend(f"ui: message {name!r} is missing" for name in UI_MESSAGES if name not in ui)
    emergency = data.get("emergency") or {}
    if not isinstance(emergency, dict):
        problems.append("emergency: must be a mapping")
        emergency = {}
    raw_choices = data.get("choices") or {}
    choices: dict[str, Mapping[str, str]] = {}
    if not isinstance(raw_choices, dict):
        problems.append("choices: must be a mapping of placeholder to {code: text}")
    else:
        for name, texts in raw_choices.items():
            choices[str(name)] = _string_map(texts, f"choices.{name}", problems)
    return Tree(
        path=str(path),
        spec_version=int(data.get("spec_version") or 0),
        start=_text(data.get("start")),
        exit=_text(data.get("exit")),
        give_up=_text(data.get("give_up")),
        unsent=_text(data.get("unsent") or data.get("exit")),
        max_steps=_positive(data.get("max_steps"), "max_steps", problems),
        max_invalid=_positive(data.get("max_invalid"), "max_invalid", problems),
        ui=ui,
        nodes=nodes,
        helpline_key=_text(emergency.get("helpline_key")) or "child_helpline",
        helpline_default=_text(emergency.get("helpline_default")),
        emergency_labels=_string_map(emergency.get("labels"), "emergency.labels", problems),
        language_names=_string_map(data.get("language_names"), "language_names", problems),
        choices=choices,
        sms=parse_sms_spec(data.get("sms"), problems),
        words=parse_words(data.get("words"), problems),
    )


def _parse_node(node_id: str, raw: Any, line: int, problems: list[str]) -> Node | None:
    where = f"node {node_id} (line {line})"
    if not _NODE_ID.match(node_id):
        problems.append(f"{where}: ids are snake_case (a-z, 0-9, _)")
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a mapping")
        return None
    kind = raw.get("kind")
    if kind not in KINDS:
        problems.append(f"{where}: kind must be one of {sorted(KINDS)}, not {kind!r}")
        return None
    options: list[Option] = []
    for index, option in enumerate(raw.get("options") or [], start=1):
        if not isinstance(option, dict) or not option.get("label") or not option.get("next"):
            problems.append(f"{where}: option {index} needs a label and a next")
            continue
        options.append(
            Option(
                label=str(option["label"]),
                next=str(option["next"]),
                value=None if option.get("value") is None else str(option["value"]),
                short=None if option.get("short") is None else str(option["short"]),
                clear=bool(option.get("clear", False)),
                when=_parse_when(option.get("when"), f"{where}: option {index}", problems),
            )
        )
    routes = raw.get("routes") or {}
    if not isinstance(routes, dict):
        problems.append(f"{where}: routes must map an answer value to a node id")
        routes = {}
    max_length = raw.get("max_length")
    if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
        problems.append(f"{where}: max_length must be a positive integer")
        max_length = None
    node = Node(
        id=node_id,
        kind=kind,
        line=line,
        text=None if raw.get("text") is None else str(raw["text"]),
        answer=None if raw.get("answer") is None else str(raw["answer"]),
        options=tuple(options),
        source=None if raw.get("source") is None else str(raw["source"]),
        next=None if raw.get("next") is None else str(raw["next"]),
        optional=bool(raw.get("optional", False)),
        max_length=max_length,
        check=None if raw.get("check") is None else str(raw["check"]),
        routes=tuple((str(k), str(v)) for k, v in routes.items()),
        default=None if raw.get("default") is None else str(raw["default"]),
        effect=_parse_effect(raw.get("effect"), where, problems),
        emergency_lines=bool(raw.get("emergency_lines", False)),
        group_text=None if raw.get("group_text") is None else str(raw["group_text"]),
    )
    problems.extend(f"{where}: {problem}" for problem in _shape_problems(node))
    return node


def _parse_when(
    raw: Any, where: str, problems: list[str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not raw:
        problems.append(f"{where}: when maps an answer to the values that show the option")
        return ()
    return tuple(
        (str(name), tuple(str(v) for v in (values if isinstance(values, list) else [values])))
        for name, values in raw.items()
    )


def _parse_effect(raw: Any, where: str, problems: list[str]) -> EffectSpec | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"kind": raw}
    if not isinstance(raw, dict) or not raw.get("kind"):
        problems.append(f"{where}: effect must be a kind or a mapping with a kind")
        return None
    answers = raw.get("answers") or []
    fields = raw.get("fields") or {}
    if not isinstance(answers, list) or not isinstance(fields, dict):
        problems.append(f"{where}: effect answers is a list, fields a mapping")
        return None
    return EffectSpec(
        kind=str(raw["kind"]),
        answers=tuple(str(name) for name in answers),
        fields=tuple((str(k), str(v)) for k, v in fields.items()),
    )


def _shape_problems(node: Node) -> Iterator[str]:
    """What a node of its kind must and must not have."""
    if node.kind != "router" and not node.text:
        yield "text is required"
    if node.kind in CHOICE_KINDS:
        if not node.options:
            yield "a menu needs at least one option"
        if node.answer is not None:
            values = [option.value for option in node.options]
            if None in values:
                yield f"every option needs a value to store in {node.answer!r}"
            elif len(set(values)) != len(values):
                yield "option values must be distinct"
    elif node.options:
        yield f"a {node.kind} node has no options"
    if node.kind in {"list", "input"}:
        # Choosing a language sets the session's language, not an answer.
        if not node.answer and not (node.kind == "list" and node.source == "languages"):
            yield f"a {node.kind} node needs an answer name"
        if not node.next:
            yield f"a {node.kind} node needs a next"
    if node.kind == "list" and node.source not in SOURCES:
        yield f"source must be one of {sorted(SOURCES)}, not {node.source!r}"
    if node.group_text is not None and not (node.kind == "list" and node.source == "areas"):
        yield "only an areas list has a group_text"
    if node.kind == "input" and node.check is not None and node.check not in CHECKS:
        yield f"check must be one of {sorted(CHECKS)}, not {node.check!r}"
    if node.kind == "router":
        if not node.answer or not node.routes or not node.default:
            yield "a router needs an answer, routes and a default"
    elif node.routes or node.default:
        yield "only a router has routes and a default"
    if node.kind == "end" and node.next:
        yield "an end node has no next"
    if node.kind in CHOICE_KINDS and node.next:
        yield "a menu goes on through its options, not next"
    if node.effect is not None:
        if node.effect.kind not in WRITE_EFFECTS | READ_EFFECTS:
            yield f"unknown effect {node.effect.kind!r}"
        elif node.effect.kind in WRITE_EFFECTS and node.kind != "end":
            yield f"effect {node.effect.kind} changes data and may only sit on an end node"


def validate(tree: Tree) -> list[str]:
    """Graph problems: missing targets, unreachable nodes, dead ends, unbounded paths."""
    problems: list[str] = []
    nodes = tree.nodes

    def where(node: Node) -> str:
        return f"node {node.id} (line {node.line})"

    roots = {"start": tree.start, "exit": tree.exit, "unsent": tree.unsent, "give_up": tree.give_up}
    for name, node_id in roots.items():
        if node_id not in nodes:
            problems.append(f"{name}: node {node_id!r} does not exist")
        elif name != "start" and nodes[node_id].kind != "end":
            problems.append(f"{name}: node {node_id!r} must be an end node")
        elif name in ("exit", "unsent") and nodes[node_id].effect is not None:
            # 0 shows this text over a kept report (engine ``_leave``): it applies nothing.
            problems.append(f"{name}: node {node_id!r} must not carry an effect")
    for node in nodes.values():
        problems.extend(
            f"{where(node)}: goes to {target!r}, which does not exist"
            for target in node.targets()
            if target not in nodes
        )

    reachable_nodes = reachable(tree, list(roots.values()))
    problems.extend(
        f"{where(node)}: unreachable from {tree.start!r}"
        for node in nodes.values()
        if node.id not in reachable_nodes
    )
    ends = {node.id for node in nodes.values() if node.kind == "end"}
    finishing = _reaching(tree, ends)
    problems.extend(
        f"{where(node)}: dead end, no path from here reaches an end node"
        for node in nodes.values()
        if node.id not in finishing
    )

    answers = {node.answer for node in nodes.values() if node.kind != "router" and node.answer}
    known = answers | CONTEXT_PLACEHOLDERS
    for node in nodes.values():
        for text in [node.text, node.group_text, *(option.label for option in node.options)]:
            problems.extend(
                f"{where(node)}: placeholder {{{name}}} is neither an answer nor one of "
                f"{sorted(CONTEXT_PLACEHOLDERS)}"
                for name in placeholders(text or "")
                if name not in known
            )
        for option in node.options:
            for name, values in option.when:
                if name not in answers and name not in tree.choices:
                    problems.append(
                        f"{where(node)}: option {option.label!r} depends on {name!r}, which is "
                        "neither an answer nor a choices placeholder"
                    )
                unknown = set(values) - set(tree.choices.get(name, values))
                if unknown:
                    problems.append(
                        f"{where(node)}: option {option.label!r} waits for {sorted(unknown)}, "
                        f"which {name!r} never is"
                    )
        if node.kind == "router" and node.answer not in answers:
            problems.append(f"{where(node)}: routes on {node.answer!r}, which no node asks")
        if node.effect is not None:
            names = [*node.effect.answers, *(name for _key, name in node.effect.fields)]
            problems.extend(
                f"{where(node)}: effect {node.effect.kind} uses answer {name!r}, which no node asks"
                for name in names
                if name not in answers
            )
    if "no_match" not in tree.ui and any(
        node.kind == "list" and node.source == "areas" for node in nodes.values()
    ):
        problems.append("ui: message 'no_match' is missing (letters that start no area's name)")
    problems.extend(_router_cycles(tree))
    problems.extend(validate_sms_spec(tree))
    problems.extend(validate_words(tree))
    longest = _longest_path(tree)
    if longest > tree.max_steps:
        problems.append(
            f"max_steps: the longest path from {tree.start!r} takes {longest} steps, "
            f"more than max_steps {tree.max_steps}"
        )
    return problems


def placeholders(text: str) -> list[str]:
    """The ``{name}`` placeholders of a message, in order."""
    try:
        return [name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name]
    except ValueError:
        return ["<unbalanced braces>"]


def reachable(tree: Tree, roots: list[str]) -> set[str]:
    """The nodes some path from ``roots`` reaches, ``roots`` included."""
    seen: set[str] = set()
    stack = [root for root in roots if root in tree.nodes]
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        stack.extend(t for t in tree.nodes[node_id].targets() if t in tree.nodes)
    return seen


def _reaching(tree: Tree, goals: set[str]) -> set[str]:
    """Nodes from which some path reaches one of ``goals``."""
    incoming: dict[str, set[str]] = {node_id: set() for node_id in tree.nodes}
    for node in tree.nodes.values():
        for target in node.targets():
            if target in incoming:
                incoming[target].add(node.id)
    seen: set[str] = set()
    stack = list(goals)
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        stack.extend(incoming[node_id])
    return seen


def _router_cycles(tree: Tree) -> Iterator[str]:
    """Routers show nothing, so a loop made only of routers would never return."""
    for node in tree.nodes.values():
        if node.kind != "router":
            continue
        seen = {node.id}
        stack = [t for t in node.targets() if t in tree.nodes]
        while stack:
            current = tree.nodes[stack.pop()]
            if current.kind != "router":
                continue
            if current.id == node.id:
                yield f"node {node.id} (line {node.line}): routers loop back to it"
                break
            if current.id not in seen:
                seen.add(current.id)
                stack.extend(t for t in current.targets() if t in tree.nodes)


def _longest_path(tree: Tree) -> int:
    """Screens on the longest loop-free path from the start, memoised per node (an estimate
    when paths rejoin; loops themselves are bounded at run time by max_steps)."""
    memo: dict[str, int] = {}

    def visit(node_id: str, path: set[str]) -> int:
        if node_id in memo:
            return memo[node_id]
        path.add(node_id)
        best = 0
        for target in tree.nodes[node_id].targets():
            if target in tree.nodes and target not in path:
                best = max(best, visit(target, path))
        path.discard(node_id)
        memo[node_id] = best + (0 if tree.nodes[node_id].kind == "router" else 1)
        return memo[node_id]

    return visit(tree.start, set()) if tree.start in tree.nodes else 0


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _positive(value: Any, name: str, problems: list[str]) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        problems.append(f"{name}: a positive integer is required")
        return 1
    return value


def _string_map(value: Any, name: str, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{name}: must be a mapping of names to text")
        return {}
    return {str(k): str(v) for k, v in value.items()}
