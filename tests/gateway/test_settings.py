import stat

import pytest

from gateway.config.settings import GENERATED_SECRETS, Settings, SettingsError


def test_development_generates_missing_secrets_once_with_mode_0600(tmp_path):
    env = {"KINGA_VAR_DIR": str(tmp_path)}
    first = Settings.from_env(env)
    second = Settings.from_env(env)
    secrets_file = tmp_path / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert first.secret_key and first.secret_key == second.secret_key
    assert first.encryption_keys == second.encryption_keys
    assert first.database_url == f"sqlite:///{tmp_path / 'kinga.db'}"
    assert first.redis_url == ""  # embedded Redis


def test_environment_wins_over_generated_secrets(tmp_path):
    settings = Settings.from_env(
        {
            "KINGA_VAR_DIR": str(tmp_path),
            "KINGA_SECRET_KEY": "given",
            "KINGA_SMS_PROVIDERS": "twilio, log",
        }
    )
    assert settings.secret_key == "given"
    assert settings.sms_providers == ("twilio", "log")


TOKEN = "t" * 32  # the shortest secret production accepts
SECRET_NAMES = [*GENERATED_SECRETS]


def production_env(tmp_path, **changes: str) -> dict[str, str]:
    """A production environment that starts; ``changes`` set (or, empty, remove) variables."""
    env = {
        "KINGA_ENV": "production",
        "KINGA_VAR_DIR": str(tmp_path),
        "KINGA_DATABASE_URL": "postgresql+psycopg://db/kinga",
        "KINGA_REDIS_URL": "redis://redis:6379/0",
        "KINGA_PUBLIC_URL": "https://kinga.example.org",
        "KINGA_SMS_PROVIDERS": "twilio",
        **{name: TOKEN for name in GENERATED_SECRETS},
        "KINGA_ENCRYPTION_KEYS": "x3hWgUZUQ3Ws0yh7kJhZyb7bI2PgsX7qZmCQJQ7xX9s=",
    }
    env.update(changes)
    return {name: value for name, value in env.items() if value}


def refused(env: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    return error.value.problems


def test_a_complete_production_environment_starts_without_warnings(tmp_path):
    settings = Settings.from_env(production_env(tmp_path))
    assert settings.production and settings.unsafe == () and settings.warnings == ()
    assert not (tmp_path / "secrets.json").exists()


def test_production_lists_every_missing_or_unsafe_setting_at_once(tmp_path):
    problems = refused({"KINGA_ENV": "production", "KINGA_VAR_DIR": str(tmp_path)})
    named = [problem.split(" ")[0] for problem in problems]
    assert named == [
        "KINGA_PUBLIC_URL",
        *SECRET_NAMES,
        "KINGA_SMS_PROVIDERS",  # log, the default, sends nothing
        "KINGA_DATABASE_URL",  # SQLite
        "KINGA_REDIS_URL",  # embedded
    ]
    assert all(": " in problem for problem in problems)  # each says what to do
    assert "KINGA_ALLOW_UNSAFE=log for a pilot" in problems[-3]
    assert not (tmp_path / "secrets.json").exists()


@pytest.mark.parametrize("missing", ["KINGA_PUBLIC_URL", *SECRET_NAMES])
def test_production_names_a_missing_variable(tmp_path, missing):
    problems = refused(production_env(tmp_path, **{missing: ""}))
    assert len(problems) == 1 and problems[0].startswith(f"{missing} is missing: set ")


@pytest.mark.parametrize(
    "name", ["KINGA_SECRET_KEY", "KINGA_PHONE_HASH_KEY", "KINGA_AT_WEBHOOK_KEY"]
)
def test_production_refuses_a_secret_shorter_than_32_bytes(tmp_path, name):
    problems = refused(production_env(tmp_path, **{name: "t" * 31}))
    assert problems == [
        f"{name} is shorter than 32 bytes: set at least 32 random bytes, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
    ]


@pytest.mark.parametrize(
    ("change", "word", "variable"),
    [
        ({"KINGA_SMS_PROVIDERS": "twilio,log"}, "log", "KINGA_SMS_PROVIDERS"),
        ({"KINGA_DATABASE_URL": "sqlite:////srv/kinga.db"}, "sqlite", "KINGA_DATABASE_URL"),
        ({"KINGA_REDIS_URL": ""}, "embedded-redis", "KINGA_REDIS_URL"),
        ({"KINGA_PUBLIC_URL": "http://kinga.example.org"}, "http", "KINGA_PUBLIC_URL"),
    ],
)
def test_each_unsafe_setting_is_refused_unless_a_pilot_allows_it(tmp_path, change, word, variable):
    problems = refused(production_env(tmp_path, **change))
    assert len(problems) == 1
    assert problems[0].startswith(f"{variable} ")
    assert problems[0].endswith(f"(or KINGA_ALLOW_UNSAFE={word} for a pilot)")
    allowed = Settings.from_env(production_env(tmp_path, KINGA_ALLOW_UNSAFE=word, **change))
    assert allowed.unsafe == (word,)
    assert allowed.warnings[0].startswith(f"KINGA_ALLOW_UNSAFE={word}: ")


def test_a_pilot_on_log_and_sqlite_runs_with_two_warnings(tmp_path):
    env = production_env(tmp_path, KINGA_ALLOW_UNSAFE="log, sqlite", KINGA_SMS_PROVIDERS="")
    del env["KINGA_DATABASE_URL"]
    settings = Settings.from_env(env)
    assert settings.sms_providers == ("log",)
    assert settings.database_url == f"sqlite:///{tmp_path / 'kinga.db'}"
    assert settings.unsafe == ("log", "sqlite")
    assert [w.split(":")[0] for w in settings.warnings] == [
        "KINGA_ALLOW_UNSAFE=log",
        "KINGA_ALLOW_UNSAFE=sqlite",
    ]


def test_allowing_what_is_not_used_warns_of_nothing(tmp_path):
    settings = Settings.from_env(production_env(tmp_path, KINGA_ALLOW_UNSAFE="sqlite"))
    assert settings.unsafe == ()


@pytest.mark.parametrize("kind", ["production", "development"])
def test_an_unknown_unsafe_word_is_refused(tmp_path, kind):
    env = production_env(tmp_path, KINGA_ENV=kind, KINGA_ALLOW_UNSAFE="log,sqllite")
    assert refused(env) == [
        "KINGA_ALLOW_UNSAFE names 'sqllite'; it knows embedded-redis, http, log, sqlite"
    ]


def test_malformed_numbers_are_listed_together(tmp_path):
    problems = refused(
        {
            "KINGA_VAR_DIR": str(tmp_path),
            "KINGA_USSD_SESSION_TTL": "five minutes",
            "KINGA_SMS_MAX_SEGMENTS": "99",
            "KINGA_SMS_RATE_TWILIO": "-1",
        }
    )
    assert [problem.split(" ")[0] for problem in problems] == [
        "KINGA_USSD_SESSION_TTL",
        "KINGA_SMS_MAX_SEGMENTS",
        "KINGA_SMS_RATE_TWILIO",
    ]


def test_bad_encryption_key_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="KINGA_ENCRYPTION_KEYS"):
        Settings.from_env({"KINGA_VAR_DIR": str(tmp_path), "KINGA_ENCRYPTION_KEYS": "not-a-key"})


def test_production_cli_start_lists_every_problem_without_a_traceback(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "gateway", "db", "upgrade"],
        env={"KINGA_ENV": "production", "KINGA_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "8 problems in the settings:" in result.stderr
    for name in ("KINGA_PUBLIC_URL", "KINGA_SECRET_KEY", "KINGA_DATABASE_URL", "KINGA_REDIS_URL"):
        assert f"  - {name} " in result.stderr
    assert "Traceback" not in result.stderr


def test_production_logs_json_and_development_text_unless_told(tmp_path):
    assert Settings.from_env(production_env(tmp_path)).log_format == "json"
    assert Settings.from_env({"KINGA_VAR_DIR": str(tmp_path)}).log_format == "text"
    told = {"KINGA_VAR_DIR": str(tmp_path), "KINGA_LOG_FORMAT": "JSON"}
    assert Settings.from_env(told).log_format == "json"
    plain = production_env(tmp_path, KINGA_LOG_FORMAT="text")
    assert Settings.from_env(plain).log_format == "text"
    assert refused(production_env(tmp_path, KINGA_LOG_FORMAT="xml")) == [
        "KINGA_LOG_FORMAT must be text or json"
    ]


def test_a_metrics_token_is_a_secret_of_32_bytes_or_more(tmp_path):
    settings = Settings.from_env(production_env(tmp_path, KINGA_METRICS_TOKEN=TOKEN))
    assert settings.metrics_token == TOKEN and TOKEN not in repr(settings)
    [problem] = refused(production_env(tmp_path, KINGA_METRICS_TOKEN="short"))
    assert problem.startswith("KINGA_METRICS_TOKEN is shorter than 32 bytes")
