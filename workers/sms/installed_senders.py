"""The SMS senders a worker process sends through, installed once when the worker starts.

Sender adapters live in ``gateway/providers/`` (they know the SDKs and HTTP); imports point
gateway → workers, never back, so ``kinga worker`` builds the senders from the settings and
installs them here before it starts RQ. A send job asks ``installed()`` for them. A worker
started any other way (a bare ``rq worker``) has none and its send jobs fail loudly instead of
guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workers.settings import Settings
from workers.sms.provider_api import Sender


class NoSenders(RuntimeError):
    """This worker process was started without senders; start it with ``kinga worker``."""


@dataclass(frozen=True)
class Outbound:
    """What a worker process needs to send: its settings and the senders in failover order."""

    settings: Settings
    senders: tuple[Sender, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sender.name for sender in self.senders)


_installed: Outbound | None = None


def install(settings: Settings, senders: Sequence[Sender]) -> Outbound:
    """Make ``senders`` (first tried first) the ones this process's send jobs use."""
    global _installed
    if not senders:
        raise ValueError("at least one sender is needed")
    names = [sender.name for sender in senders]
    if len(set(names)) != len(names):
        raise ValueError("each provider may appear once in the failover order")
    _installed = Outbound(settings, tuple(senders))
    return _installed


def installed() -> Outbound:
    if _installed is None:
        raise NoSenders("no SMS senders in this worker; start workers with `kinga worker`")
    return _installed


def uninstall() -> None:
    global _installed
    _installed = None
