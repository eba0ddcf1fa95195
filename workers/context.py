"""What a job runs with, installed once per worker process: the job context.

The settings and the deployment profile belong to the application (``gateway/config/``), and
the gateway builds them once into its runtime. ``kinga worker`` turns that runtime into a
``JobContext`` (database sessions, Redis, vault, triage policy, the profile, the SMS senders
in failover order) and installs it here before RQ starts; the work horses RQ forks inherit it.
Jobs ask ``installed()`` for it: they receive what they need without importing the gateway
(imports point gateway → workers, never back). A process with none installed (a bare
``rq worker``) fails its jobs loudly instead of guessing at settings.

``Deployment`` says what jobs read of the profile; the gateway's ``Profile`` satisfies it
(mypy checks that where the context is built).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from redis import Redis
from rq import get_current_job
from sqlalchemy.orm import Session, sessionmaker

from case_store.categories import CategoryMapping
from case_store.crypto import Vault
from case_store.deadline_steps import DeadlinePolicy
from case_store.enums import Category
from case_store.follow_ups import QuietHours
from case_store.on_call import AlertFallback
from case_store.primero import FieldMap
from case_store.retention import RetentionPolicy
from case_store.triage import TriagePolicy
from workers.primero.client import PrimeroClient
from workers.sms.provider_api import Sender


class Place(Protocol):
    """An area of the deployment, as jobs name it."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


class Deployment(Protocol):
    """What jobs read of the deployment profile."""

    @property
    def time_zone(self) -> ZoneInfo: ...

    @property
    def languages(self) -> tuple[str, ...]: ...

    @property
    def default_language(self) -> str: ...

    @property
    def fold_accents(self) -> frozenset[str]: ...

    @property
    def locations(self) -> Sequence[Place]: ...

    @property
    def alert_fallback(self) -> AlertFallback: ...

    @property
    def retention(self) -> RetentionPolicy: ...

    @property
    def referral_remind_after(self) -> timedelta: ...

    @property
    def referral_reply_within(self) -> timedelta: ...

    @property
    def service_code(self) -> str: ...

    @property
    def follow_up_quiet_hours(self) -> QuietHours | None: ...

    @property
    def deadlines(self) -> DeadlinePolicy: ...

    @property
    def categories(self) -> Mapping[Category, CategoryMapping]: ...

    def location(self, code: str) -> Place | None: ...


@dataclass(frozen=True)
class PrimeroSync:
    """What the Primero sync job needs: the client (with the service account), the module
    its cases go to and the profile's field map."""

    client: PrimeroClient
    module_id: str
    fields: FieldMap


class NoContext(RuntimeError):
    """This process was started without a job context; start workers with ``kinga worker``."""


@dataclass(frozen=True)
class JobContext:
    sessions: sessionmaker[Session]
    redis: Redis[bytes]
    vault: Vault
    triage: TriagePolicy
    profile: Deployment
    senders: tuple[Sender, ...]  # first tried first
    sms_rates: Mapping[str, float]  # per provider name: messages per second
    max_segments: int  # the longest SMS Kinga sends, in segments
    primero: PrimeroSync | None = None  # None: Primero is not configured

    def __post_init__(self) -> None:
        names = self.sender_names
        if not names:
            raise ValueError("at least one sender is needed")
        if len(set(names)) != len(names):
            raise ValueError("each provider may appear once in the failover order")

    @property
    def sender_names(self) -> tuple[str, ...]:
        return tuple(sender.name for sender in self.senders)

    def connection(self) -> Redis[bytes]:
        """The current job's Redis connection, or the context's outside a job (a test)."""
        job = get_current_job()
        return job.connection if job is not None else self.redis


_installed: JobContext | None = None


def install(context: JobContext) -> JobContext:
    """Make ``context`` the one this process's jobs run with."""
    global _installed
    _installed = context
    return context


def installed() -> JobContext:
    if _installed is None:
        raise NoContext("no job context in this process; start workers with `kinga worker`")
    return _installed


def uninstall() -> None:
    global _installed
    _installed = None
