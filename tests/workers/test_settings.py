import stat

import pytest

from workers.settings import GENERATED_SECRETS, Settings, SettingsError


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


@pytest.mark.parametrize(
    "missing", ["KINGA_DATABASE_URL", "KINGA_PHONE_HASH_KEY", "KINGA_ENCRYPTION_KEYS"]
)
def test_production_refuses_to_start_and_names_the_missing_variable(tmp_path, missing):
    env = {
        "KINGA_ENV": "production",
        "KINGA_VAR_DIR": str(tmp_path),
        "KINGA_DATABASE_URL": "postgresql+psycopg://db/kinga",
        "KINGA_REDIS_URL": "redis://redis:6379/0",
        "KINGA_PUBLIC_URL": "https://kinga.example.org",
        **{name: "x" for name in GENERATED_SECRETS},
        "KINGA_ENCRYPTION_KEYS": "x3hWgUZUQ3Ws0yh7kJhZyb7bI2PgsX7qZmCQJQ7xX9s=",
    }
    del env[missing]
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    assert str(error.value) == f"{missing} is required when KINGA_ENV=production"
    assert not (tmp_path / "secrets.json").exists()


def test_bad_encryption_key_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="KINGA_ENCRYPTION_KEYS"):
        Settings.from_env({"KINGA_VAR_DIR": str(tmp_path), "KINGA_ENCRYPTION_KEYS": "not-a-key"})


def test_production_cli_start_fails_with_one_line(tmp_path):
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
    assert "KINGA_DATABASE_URL is required when KINGA_ENV=production" in result.stderr
    assert "Traceback" not in result.stderr
