"""What a console page module declares: its blueprint, and the links it adds to the menu."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint

from case_store.permissions import Action


@dataclass(frozen=True)
class MenuItem:
    """A link in the layout's menu, shown to the roles allowed ``action`` (None: everyone
    signed in). ``label`` is called at render time, in the reader's language."""

    endpoint: str
    label: Callable[[], str]
    action: Action | None = None


@dataclass(frozen=True)
class Page:
    blueprint: Blueprint
    menu: tuple[MenuItem, ...] = ()
