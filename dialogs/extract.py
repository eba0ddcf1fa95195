"""Babel extractor for dialog trees: every text a tree can show, with its line and node.

Registered as ``kinga_dialogs`` (``pyproject.toml``, ``babel.extractors``) and used by
``babel.cfg``. Extracted: node ``text`` and ``group_text``, option ``label`` and ``short``,
every ``ui`` message, ``emergency.labels``, ``choices`` and ``sms.messages`` texts. Not
extracted: ids, values, ``language_names`` (each language's own name, the same in every
language), SMS keywords (per-language data, not translations). Each message gets a translator
comment naming where it appears, and whether it has placeholders to keep.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any, Final

import yaml

from dialogs.tree import placeholders

NODE_PATHS: Final = frozenset(
    {("text",), ("group_text",), ("options", "label"), ("options", "short")}
)
TEXT_SECTIONS: Final = frozenset({"ui", "choices"})

Extracted = tuple[int, str | None, str, list[str]]


def extract_dialogs(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Yield ``(lineno, funcname, message, comments)`` as Babel expects."""
    encoding = str(options.get("encoding", "utf-8"))
    document = yaml.compose(fileobj.read().decode(encoding))
    if not isinstance(document, yaml.MappingNode):
        return
    for key, value in document.value:
        if key.value == "nodes" and isinstance(value, yaml.MappingNode):
            for node_key, node in value.value:
                yield from _node_texts(node_key.value, node)
        elif key.value in TEXT_SECTIONS:
            yield from _leaves(value, key.value)
        elif key.value == "emergency" and isinstance(value, yaml.MappingNode):
            for sub_key, sub_value in value.value:
                if sub_key.value == "labels":
                    yield from _leaves(sub_value, "emergency label")
        elif key.value == "sms" and isinstance(value, yaml.MappingNode):
            for sub_key, sub_value in value.value:
                if sub_key.value == "messages":
                    yield from _leaves(sub_value, "sms message")


def _node_texts(node_id: str, node: yaml.Node) -> Iterator[Extracted]:
    for path, scalar in _scalars(node, ()):
        if path in NODE_PATHS:
            where = f"node {node_id}, {path[-1]}"
            if path[-1] == "short":
                where += " (restates an answer in the summary: keep it very short)"
            yield _entry(scalar, where)


def _leaves(node: yaml.Node, section: str) -> Iterator[Extracted]:
    for path, scalar in _scalars(node, ()):
        yield _entry(scalar, f"{section} {'.'.join(path)}")


def _entry(scalar: yaml.ScalarNode, where: str) -> Extracted:
    comments = [where]
    names = placeholders(scalar.value)
    if names:
        comments.append("keep " + ", ".join("{" + name + "}" for name in names) + " as is")
    return (scalar.start_mark.line + 1, None, scalar.value, comments)


def _scalars(node: yaml.Node, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(node, yaml.ScalarNode):
        yield path, node
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(value, (*path, str(key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item, path)
