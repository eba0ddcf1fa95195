import dataclasses
import json
import shutil

import pytest
from sqlalchemy import inspect

from case_store import migrate
from case_store.db import make_engine
from gateway import create_app
from workers.settings import DEFAULT_DEPLOYMENT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Habari", {"encoding": "GSM-7", "characters": 6, "segments": 1}),
        ("“Quoted” – fine", {"encoding": "GSM-7", "characters": 15, "segments": 1}),
        ("x" * 161, {"encoding": "GSM-7", "characters": 161, "segments": 2}),
        ("Référence ç", {"encoding": "UCS-2", "characters": 11, "segments": 1}),
        ("€" * 80, {"encoding": "GSM-7", "characters": 80, "segments": 1}),
        ("€" * 81, {"encoding": "GSM-7", "characters": 81, "segments": 2}),
    ],
)
def test_sms_count_prints_json(runner, text, expected):
    result = runner.invoke(args=["sms", "count", text])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == expected


def test_db_upgrade_and_downgrade_on_a_fresh_database(app, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    settings = dataclasses.replace(app.extensions["kinga"].settings, database_url=url)
    fresh = create_app(settings).test_cli_runner()
    result = fresh.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert migrate.current(url) is not None
    engine = make_engine(url)
    assert {"case", "contact", "reporter"} <= set(inspect(engine).get_table_names())
    result = fresh.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert "case" not in inspect(engine).get_table_names()
    engine.dispose()


def test_dialogs_check_passes_on_the_example_profile(runner, monkeypatch, tmp_path):
    monkeypatch.setenv("KINGA_VAR_DIR", str(tmp_path))
    result = runner.invoke(args=["dialogs", "check"])
    assert result.exit_code == 0, result.output
    assert "dialogs OK" in result.output


def test_dialogs_check_prints_every_problem_and_fails(runner, monkeypatch, tmp_path):
    profile = tmp_path / "profile"
    shutil.copytree(DEFAULT_DEPLOYMENT, profile)
    text = (profile / "profile.yaml").read_text()
    (profile / "profile.yaml").write_text(
        text.replace("[en, sw, fr, ar, pt]", "[en, sw, fr, ar, pt, de]")
    )
    monkeypatch.setenv("KINGA_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("KINGA_DEPLOYMENT", str(profile))
    result = runner.invoke(args=["dialogs", "check"])
    assert result.exit_code != 0
    assert "language de: no catalog" in result.output
