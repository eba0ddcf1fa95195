"""What a provider adapter declares about itself: one ``Provider`` record per provider and
channel, listed once in ``gateway.providers.installed``.

An adapter module holds everything about its provider: the blueprint with its webhook routes,
the request check, parsing into our own events (``gateway.providers.events``), the rendering of
its answers, and its sender. The app registers the installed blueprints and the worker builds
the senders that ``KINGA_SMS_PROVIDERS`` names; nothing else knows a provider by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from flask import Blueprint

from gateway.config.settings import Settings
from workers.sms.provider_api import Sender


@dataclass(frozen=True)
class Provider:
    name: str  # as in KINGA_SMS_PROVIDERS and the message log
    channel: Literal["ussd", "sms", "voice"]
    blueprint: Blueprint | None  # its webhooks; None for a provider that only sends
    sender: Callable[[Settings], Sender] | None = None  # SMS providers: built from settings
    # The settings the sender cannot work without, named for the operator's error message.
    required_settings: tuple[str, ...] = ()
