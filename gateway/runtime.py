"""What a Kinga process holds: settings, profile, database, Redis, vault and the dialog tree.

Built once by the app factory and kept in ``app.extensions``; ``kinga worker`` uses the same
runtime and hands its jobs a ``JobContext`` made from it (``job_context``). Nothing here is
state another process needs: sessions live in Redis, records in the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import redis
from babel.support import Translations
from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from case_store import migrate
from case_store.crypto import Vault
from case_store.db import make_engine, make_sessionmaker
from case_store.primero import PushPolicy
from case_store.triage import TriagePolicy
from dialogs.check import CheckResult, check_dialogs
from dialogs.engine import Area, Context
from dialogs.render import load_translations
from dialogs.tree import Tree, TreeError, default_tree_path, load_tree
from gateway.channels.sms.sessions import SmsSessionStore
from gateway.channels.ussd.sessions import UssdSessionStore
from gateway.config.profile import Profile, load_profile
from gateway.config.redis import embedded_redis_url, redis_from_url
from gateway.config.settings import Settings, SettingsError
from workers.context import JobContext, PrimeroSync
from workers.primero.client import PrimeroClient
from workers.sms.provider_api import Sender

EXTENSION = "kinga"


@dataclass(frozen=True)
class ForcedLanguage:
    """``kinga simulate --lang``: ``language`` wins over every language remembered from before
    the run began at ``since`` (the reporter's choice, a dropped session, an open SMS
    conversation); a language chosen during the run still counts."""

    language: str
    since: float


@dataclass
class Runtime:
    settings: Settings
    profile: Profile
    engine: Engine
    sessions: sessionmaker[Session]
    vault: Vault
    triage: TriagePolicy
    tree: Tree
    forced_language: ForcedLanguage | None = None
    _translations: dict[str, Translations] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        profile = load_profile(settings.deployment)
        if settings.primero and profile.primero_fields is None:
            raise SettingsError(
                f"KINGA_PRIMERO_URL is set but the profile {settings.deployment} has no "
                "primero.fields: map Kinga's fields to Primero's there (docs/primero.md)"
            )
        tree = tree_for(profile)
        engine = make_engine(settings.database_url)
        return cls(
            settings=settings,
            profile=profile,
            engine=engine,
            sessions=make_sessionmaker(engine),
            vault=Vault(settings.encryption_keys, settings.phone_hash_key),
            triage=profile.triage_policy,
            tree=tree,
        )

    @cached_property
    def redis(self) -> redis.Redis[bytes]:
        """Connected on first use, so commands that need no Redis start none."""
        url = self.settings.redis_url or embedded_redis_url(self.settings.var_dir)
        return redis_from_url(url)

    @cached_property
    def ussd_sessions(self) -> UssdSessionStore:
        return UssdSessionStore(
            self.redis, self.vault, self.settings.ussd_session_ttl, self.profile.resume_seconds
        )

    @cached_property
    def sms_sessions(self) -> SmsSessionStore:
        return SmsSessionStore(self.redis, self.vault, self.settings.sms_session_ttl)

    @cached_property
    def areas(self) -> tuple[Area, ...]:
        return profile_areas(self.profile)

    @property
    def primero_push(self) -> PushPolicy | None:
        """Which new cases go to Primero; None when Primero is not configured."""
        return self.settings.primero_push if self.settings.primero else None

    @cached_property
    def primero(self) -> PrimeroSync | None:
        """The Primero client and field map; None when Primero is not configured."""
        settings, fields = self.settings, self.profile.primero_fields
        if not settings.primero or fields is None:
            return None
        client = PrimeroClient(
            settings.primero_url,
            settings.primero_user,
            settings.primero_password,
            timeout=settings.primero_timeout,
        )
        return PrimeroSync(client=client, module_id=settings.primero_module_id, fields=fields)

    def job_context(self, senders: Sequence[Sender]) -> JobContext:
        """What this process's jobs run with, sending through ``senders`` (first tried first)."""
        return JobContext(
            sessions=self.sessions,
            redis=self.redis,
            vault=self.vault,
            triage=self.triage,
            profile=self.profile,
            senders=tuple(senders),
            sms_rates=self.settings.sms_rates,
            max_segments=self.settings.sms_max_segments,
            primero=self.primero,
        )

    def context(self, language: str, phone: str | None = None) -> Context:
        """What the dialogs need for a caller in ``language`` from ``phone`` (their country's
        emergency numbers; the default ones when the phone is not known)."""
        return Context(
            areas=self.areas,
            emergency_numbers=self.profile.emergency_numbers_for(phone),
            language=language,
            languages=self.profile.languages,
            budget=self.profile.screen_budget,
            fold_accents=language in self.profile.fold_accents,
            most_used=self.profile.most_used,
        )

    def remembered_language(self, language: str, started: float) -> str:
        """The language of a session that started at ``started`` (a timestamp), unless a
        forced language (``kinga simulate --lang``) overrides sessions from before it."""
        forced = self.forced_language
        return forced.language if forced is not None and started < forced.since else language

    def translations(self, language: str) -> Translations:
        if language not in self._translations:
            self._translations[language] = load_translations(language)
        return self._translations[language]


def profile_areas(profile: Profile) -> tuple[Area, ...]:
    """The profile's locations as the dialogs see them: code, name and every spelling."""
    return tuple(Area(loc.code, loc.name, loc.names, loc.aliases) for loc in profile.locations)


def tree_for(profile: Profile) -> Tree:
    """The dialog tree, checked against this profile: the app refuses to start otherwise."""
    tree, result = dialog_check(profile)
    if result.problems:
        raise TreeError(tree.path, result.problems)
    return tree


def dialog_check(profile: Profile) -> tuple[Tree, CheckResult]:
    """The tree (``TreeError`` if it does not load) and its check against this profile's
    languages, areas, budget, numbers and hop limit: what ``kinga dialogs check`` prints."""
    return checked_tree(
        default_tree_path(),
        profile.languages,
        profile_areas(profile),
        profile.screen_budget,
        tuple(sorted(profile.fold_accents)),
        # The longest number of every service: a help screen fits for callers from anywhere.
        tuple(sorted(profile.longest_emergency_numbers.items())),
        profile.most_used,
        profile.max_hops,
    )


@lru_cache(maxsize=8)
def checked_tree(
    path: Path,
    languages: tuple[str, ...],
    areas: tuple[Area, ...],
    budget: int,
    fold_languages: tuple[str, ...],
    emergency_numbers: tuple[tuple[str, str], ...],
    most_used: tuple[str, ...],
    max_hops: int,
) -> tuple[Tree, CheckResult]:
    """The tree, validated, and its check in every language against the budget and the hop
    limit. Cached per process: tests and tools build many apps over the same tree and profile.
    """
    tree = load_tree(path)
    result = check_dialogs(
        tree,
        languages,
        areas,
        budget,
        fold_languages=fold_languages,
        emergency_numbers=dict(emergency_numbers),
        most_used=most_used,
        max_hops=max_hops,
    )
    return tree, result


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions[EXTENSION]
    return rt


class NotMigrated(RuntimeError):
    """The database is behind this code's migrations; the message says what to run."""


def require_migrated(rt: Runtime) -> None:
    """Raise NotMigrated unless the database is at the code's revision, for the commands that
    would otherwise fail on every database access, or (worker, simulator) turn each failure
    into a polite "not available" that hides the cause."""
    with rt.engine.connect() as connection:
        current = migrate.revision(connection)
    if current != migrate.head():
        at = f"at {current}" if current else "empty"
        raise NotMigrated(
            f"the database is not migrated ({at}, this Kinga needs {migrate.head()}): "
            "run `kinga db upgrade`"
        )
