"""What a web process holds: settings, profile, database, Redis, vault and the dialog tree.

Built once by the app factory and kept in ``app.extensions``. Nothing here is state another
process needs: sessions live in Redis, records in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import redis
from babel.support import Translations
from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from case_store.crypto import Vault
from case_store.db import make_engine, make_sessionmaker
from case_store.triage import TriagePolicy
from dialogs.engine import Area, Context
from dialogs.render import load_translations
from dialogs.tree import Tree, default_tree_path, load_tree
from gateway.ussd_sessions import UssdSessionStore
from workers.connection import embedded_redis_url, redis_from_url
from workers.profile import Profile, load_profile
from workers.settings import Settings

EXTENSION = "kinga"


@dataclass
class Runtime:
    settings: Settings
    profile: Profile
    engine: Engine
    sessions: sessionmaker[Session]
    vault: Vault
    triage: TriagePolicy
    tree: Tree
    _translations: dict[str, Translations] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        profile = load_profile(settings.deployment)
        engine = make_engine(settings.database_url)
        triage = (
            TriagePolicy.from_mapping(profile.triage) if profile.triage else TriagePolicy.default()
        )
        return cls(
            settings=settings,
            profile=profile,
            engine=engine,
            sessions=make_sessionmaker(engine),
            vault=Vault(settings.encryption_keys, settings.phone_hash_key),
            triage=triage,
            tree=load_tree(default_tree_path()),
        )

    @cached_property
    def redis(self) -> redis.Redis[bytes]:
        """Connected on first use, so commands that need no Redis start none."""
        url = self.settings.redis_url or embedded_redis_url(self.settings.var_dir)
        return redis_from_url(url)

    @cached_property
    def ussd_sessions(self) -> UssdSessionStore:
        return UssdSessionStore(self.redis, self.settings.ussd_session_ttl)

    @cached_property
    def areas(self) -> tuple[Area, ...]:
        return tuple(Area(loc.code, loc.name) for loc in self.profile.locations)

    def context(self, language: str) -> Context:
        return Context(
            areas=self.areas,
            emergency_numbers=self.profile.emergency_numbers,
            language=language,
            languages=self.profile.languages,
            budget=self.profile.screen_budget,
        )

    def translations(self, language: str) -> Translations:
        if language not in self._translations:
            self._translations[language] = load_translations(language)
        return self._translations[language]


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions[EXTENSION]
    return rt
