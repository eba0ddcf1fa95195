"""What a dialog step asks the gateway to do: one ``Effect`` per change or lookup.

The kinds are a closed set (``EffectKind``): the gateway applies every kind in one place
(``gateway.channels.effects``) and mypy checks that it handles each one (``assert_never``), so a
new kind cannot be emitted here and silently ignored by a channel. An effect built from a bare
string is converted on creation, and an unknown string is refused there.

What each kind carries in ``data``, and what the gateway supplies back as render parameters:
``open_case`` {answers} → {reference}; ``lookup_case`` {reference} → {status};
``add_note`` {reference, text}; ``request_callback`` {reference, callback_time};
``set_language`` {language}; ``opt_out`` {} and ``opt_in`` {} (SMS only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final


class EffectKind(StrEnum):
    OPEN_CASE = "open_case"
    LOOKUP_CASE = "lookup_case"
    ADD_NOTE = "add_note"
    REQUEST_CALLBACK = "request_callback"
    SET_LANGUAGE = "set_language"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


# The kinds a tree node may carry. Effects that change something are applied by the webhook
# once, so they may only sit on an end node (shown once per session). A lookup only reads and
# may be emitted again on a re-prompt. The others are emitted by the engine or the SMS
# conversation themselves (a languages list answered, STOP, START).
WRITE_EFFECTS: Final = frozenset(
    {EffectKind.OPEN_CASE, EffectKind.ADD_NOTE, EffectKind.REQUEST_CALLBACK}
)
READ_EFFECTS: Final = frozenset({EffectKind.LOOKUP_CASE})


@dataclass(frozen=True)
class Effect:
    kind: EffectKind
    data: Mapping[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EffectKind(self.kind))
