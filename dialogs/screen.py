"""What the engine hands to the renderer: language-neutral screens made of message ids.

A ``Message`` is an English message id plus the values of its placeholders; a plain ``str``
(an area name, a phone number, text the reporter typed) is shown as it is, never translated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeAlias


@dataclass(frozen=True)
class Message:
    msgid: str
    params: Mapping[str, Text] = field(default_factory=dict)


Text: TypeAlias = Message | str


@dataclass(frozen=True)
class Choice:
    """One numbered line: the key the caller types and what it says."""

    key: str
    label: Text


@dataclass(frozen=True)
class Line:
    """A labelled value on its own line, e.g. "Police: 999"."""

    label: Text
    value: str


@dataclass(frozen=True)
class Screen:
    """One USSD screen. ``end`` is True for END (session closes), False for CON.

    ``choices`` maps a placeholder filled at render time (e.g. ``status``) from a code the webhook
    supplies to the message shown for it.
    """

    node: str
    end: bool
    text: Message
    options: tuple[Choice, ...] = ()
    lines: tuple[Line, ...] = ()
    error: Message | None = None
    choices: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: _EMPTY_CHOICES)


_EMPTY_CHOICES: Mapping[str, Mapping[str, str]] = MappingProxyType({})
