"""The fake Primero (a real HTTP server on 127.0.0.1) and an app and job context wired to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fakes.primero import FakePrimero
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from primero_cases import PRIMERO_PASSWORD, PRIMERO_USER, WEBHOOK_KEY

from gateway.config.settings import Settings
from gateway.providers.log import LogSender
from gateway.runtime import Runtime
from workers import context
from workers.context import JobContext


@pytest.fixture
def fake_primero() -> Iterator[FakePrimero]:
    with FakePrimero(PRIMERO_USER, PRIMERO_PASSWORD) as fake:
        yield fake


@pytest.fixture
def primero_settings(settings: Settings, fake_primero: FakePrimero) -> Settings:
    return replace(
        settings,
        primero_url=fake_primero.base_url,
        primero_user=PRIMERO_USER,
        primero_password=PRIMERO_PASSWORD,
        primero_webhook_key=WEBHOOK_KEY,
        primero_timeout=1,
    )


@pytest.fixture
def primero_app(primero_settings: Settings, db, redis_client) -> Flask:
    from gateway import create_app

    application = create_app(primero_settings)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def rt(primero_app: Flask) -> Runtime:
    runtime: Runtime = primero_app.extensions["kinga"]
    return runtime


@pytest.fixture
def primero_client(primero_app: Flask) -> FlaskClient:
    return primero_app.test_client()


@pytest.fixture
def primero_runner(primero_app: Flask) -> FlaskCliRunner:
    return primero_app.test_cli_runner()


@pytest.fixture
def primero_jobs(rt: Runtime) -> Iterator[JobContext]:
    """The job context ``kinga worker`` installs with these settings."""
    yield context.install(rt.job_context((LogSender(),)))
    context.uninstall()
