"""``/readyz`` tells the truth: a database behind the code's migrations is not ready."""

from __future__ import annotations

import dataclasses
import logging

from case_store import migrate
from gateway import create_app


def test_a_migrated_database_is_ready(client):
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok"}


def test_a_database_never_migrated_is_not_ready(settings, redis_client, empty_database_url):
    app = create_app(dataclasses.replace(settings, database_url=empty_database_url))
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json() == {
        "status": "unavailable",
        "down": ["migrations"],
        "migrations": {"current": None, "expected": migrate.head()},
    }


def test_a_database_one_migration_behind_names_both_revisions(
    settings, redis_client, empty_database_url
):
    migrate.upgrade(empty_database_url, "0008")
    behind = dataclasses.replace(settings, database_url=empty_database_url)
    client = create_app(behind).test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["migrations"] == {"current": "0008", "expected": migrate.head()}
    migrate.upgrade(empty_database_url)
    assert client.get("/readyz").status_code == 200


def test_a_pilot_s_unsafe_settings_are_warnings_in_the_log_and_in_readyz(
    settings, redis_client, caplog
):
    pilot = dataclasses.replace(settings, env="production", unsafe=("log", "sqlite"))
    caplog.set_level(logging.WARNING, logger="kinga")
    client = create_app(pilot).test_client()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("KINGA_ALLOW_UNSAFE=log: the log SMS provider" in w for w in warnings)
    assert any("KINGA_ALLOW_UNSAFE=sqlite: the database is SQLite" in w for w in warnings)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok", "warnings": list(pilot.warnings)}
