"""Primero's configuration: the settings (all or nothing, named), the field map in the profile,
and the field map checked against the module's forms by `kinga primero check`."""

from __future__ import annotations

import shutil

import pytest
import yaml

from case_store.enums import RiskLevel
from case_store.primero import FieldMap, InvalidFieldMap, PushPolicy
from gateway.config.profile import ProfileError, load_profile
from gateway.config.settings import DEFAULT_DEPLOYMENT, Settings, SettingsError

PRODUCTION = {
    "KINGA_ENV": "production",
    "KINGA_PUBLIC_URL": "https://kinga.example.org",
    "KINGA_SECRET_KEY": "s" * 32,
    "KINGA_ENCRYPTION_KEYS": "x3hWgUZUQ3Ws0yh7kJhZyb7bI2PgsX7qZmCQJQ7xX9s=",
    "KINGA_PHONE_HASH_KEY": "h" * 32,
    "KINGA_AT_WEBHOOK_KEY": "w" * 32,
    "KINGA_SMS_PROVIDERS": "africastalking",
    "KINGA_DATABASE_URL": "postgresql+psycopg://kinga@db/kinga",
    "KINGA_REDIS_URL": "redis://redis:6379/0",
}
PRIMERO = {
    "KINGA_PRIMERO_URL": "https://primero.example.org",
    "KINGA_PRIMERO_USER": "kinga-sync",
    "KINGA_PRIMERO_PASSWORD": "p" * 20,
    "KINGA_PRIMERO_WEBHOOK_KEY": "k" * 32,
}


def test_production_takes_a_complete_primero_configuration():
    settings = Settings.from_env(PRODUCTION | PRIMERO | {"KINGA_PRIMERO_PUSH": "high"})
    assert settings.primero and settings.primero_module_id == "primeromodule-cp"
    assert settings.primero_push == PushPolicy(RiskLevel.HIGH)
    assert "p" * 20 not in repr(settings) and "k" * 32 not in repr(settings)
    assert not Settings.from_env(PRODUCTION).primero  # none of it: no sync


@pytest.mark.parametrize(
    "missing", ["KINGA_PRIMERO_USER", "KINGA_PRIMERO_PASSWORD", "KINGA_PRIMERO_WEBHOOK_KEY"]
)
def test_production_refuses_a_partial_primero_configuration_naming_what_is_missing(missing):
    env = PRODUCTION | {k: v for k, v in PRIMERO.items() if k != missing}
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    assert [p for p in error.value.problems if p.startswith(f"{missing} is missing")]


def test_bad_primero_settings_are_named():
    env = PRODUCTION | PRIMERO | {"KINGA_PRIMERO_URL": "http://primero.example.org"}
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env | {"KINGA_PRIMERO_PUSH": "urgent", "KINGA_PRIMERO_TIMEOUT": "0"})
    problems = " | ".join(error.value.problems)
    for name in ("KINGA_PRIMERO_URL is not https", "KINGA_PRIMERO_PUSH", "KINGA_PRIMERO_TIMEOUT"):
        assert name in problems


def test_the_push_policy():
    assert PushPolicy.parse("all").pushes(RiskLevel.LOW)
    high = PushPolicy.parse("HIGH")
    assert high.pushes(RiskLevel.IMMEDIATE) and high.pushes(RiskLevel.HIGH)
    assert not high.pushes(RiskLevel.MEDIUM)


def test_the_example_profile_maps_every_field_kinga_sends():
    fields = load_profile(DEFAULT_DEPLOYMENT).primero_fields
    assert fields is not None
    assert fields.name("location") == "location_current"
    assert fields.name("reporter_phone") == "telephone_current"


def test_a_bad_field_map_is_refused_with_each_problem(tmp_path):
    folder = tmp_path / "profile"
    shutil.copytree(DEFAULT_DEPLOYMENT, folder)
    profile = yaml.safe_load((folder / "profile.yaml").read_text())
    profile["primero"]["fields"].update({"child_name": "name", "sex": "Sex!", "age": "risk_level"})
    (folder / "profile.yaml").write_text(yaml.safe_dump(profile))
    with pytest.raises(ProfileError) as error:
        load_profile(folder)
    problems = " | ".join(error.value.problems)
    assert "'child_name' is not a field Kinga sends" in problems
    assert "primero.fields.sex: expected a Primero field name" in problems
    assert "both write 'risk_level'" in problems
    with pytest.raises(InvalidFieldMap):
        FieldMap.from_profile({})


def test_check_logs_in_and_finds_every_field_writable(primero_runner, fake_primero):
    result = primero_runner.invoke(args=["primero", "check"])
    assert result.exit_code == 0, result.output
    assert "12 fields can all be written" in result.output
    (forms,) = fake_primero.requests
    assert forms.path == "/api/v2/forms"
    assert forms.query == {"record_type": ["case"], "module_id": ["primeromodule-cp"]}


def test_check_reports_each_field_primero_would_drop(primero_runner, fake_primero):
    fake_primero.fields["narrative"] = False  # the account's role cannot write it
    del fake_primero.fields["telephone_current"]  # not in the module's forms
    result = primero_runner.invoke(args=["primero", "check"])
    assert result.exit_code == 1
    assert "narrative → narrative: the account cannot write this field" in result.output
    assert "reporter_phone → telephone_current: no such field" in result.output
    assert "2 mapped field(s) would be dropped" in result.output


def test_a_field_outside_the_forms_is_dropped_by_primero(rt, fake_primero, primero_jobs):
    from primero_cases import open_report

    from workers.primero.sync import sync_case

    del fake_primero.fields["narrative"]
    case_id, _rows = open_report(rt)
    assert sync_case(case_id) == "synced"  # Primero says nothing: only the check tells
    (record,) = fake_primero.records.values()
    assert "narrative" not in record and record["risk_level"] == "high"


def test_check_without_primero_says_how_to_configure_it(runner):
    result = runner.invoke(args=["primero", "check"])
    assert result.exit_code == 1 and "KINGA_PRIMERO_URL" in result.output


def test_the_worker_checks_the_field_map_as_it_starts(primero_runner, fake_primero, caplog):
    fake_primero.fields["sex"] = False
    assert primero_runner.invoke(args=["worker", "--burst"]).exit_code == 0
    assert "Primero field map: sex → sex: the account cannot write" in caplog.text


def test_a_staff_account_gets_its_primero_user_name(runner):
    created = runner.invoke(
        args=["users", "create", "wanjiru", "--role", "caseworker", "--primero-user", "wanjiru.k"]
    )
    assert created.exit_code == 0, created.output
    assert '"primero_user": "wanjiru.k"' in created.output
    runner.invoke(args=["users", "create", "amina", "--role", "caseworker"])
    taken = runner.invoke(args=["users", "update", "amina", "--primero-user", "wanjiru.k"])
    assert taken.exit_code == 1 and "another account has the Primero user" in taken.output
    cleared = runner.invoke(args=["users", "update", "wanjiru", "--primero-user", ""])
    assert cleared.exit_code == 0, cleared.output
    assert '"primero_user": null' in cleared.output
