"""What a job runs with: settings, database sessions, vault, profile and Redis, once per process.

A worker started by ``kinga worker`` has its settings installed with its senders
(``workers.sms.installed_senders``); anything else (a bare ``rq worker``, a test calling a job
directly) reads them from the environment. Engines, vaults and profiles are built once per
worker process, not once per job.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import redis
from rq import get_current_job
from sqlalchemy.orm import Session, sessionmaker

from case_store.crypto import Vault
from case_store.db import make_engine, make_sessionmaker
from case_store.triage import TriagePolicy
from workers.connection import embedded_redis_url, redis_from_url
from workers.profile import Profile, load_profile
from workers.settings import Settings
from workers.sms.installed_senders import NoSenders, installed


def job_settings() -> Settings:
    try:
        return installed().settings
    except NoSenders:
        return Settings.from_env()


def job_redis(settings: Settings) -> redis.Redis[bytes]:
    """The current job's connection, or one from the settings outside a job."""
    job = get_current_job()
    if job is not None:
        return job.connection
    return redis_from_url(settings.redis_url or embedded_redis_url(settings.var_dir))


@lru_cache(maxsize=4)
def sessions_for(database_url: str) -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(database_url))


def vault_for(settings: Settings) -> Vault:
    return _vault(settings.encryption_keys, settings.phone_hash_key)


@lru_cache(maxsize=4)
def _vault(encryption_keys: tuple[str, ...], phone_hash_key: str) -> Vault:
    return Vault(encryption_keys, phone_hash_key)


@lru_cache(maxsize=4)
def profile_for(folder: Path) -> Profile:
    return load_profile(folder)


def triage_policy(profile: Profile) -> TriagePolicy:
    return TriagePolicy.from_mapping(profile.triage) if profile.triage else TriagePolicy.default()
