import dataclasses
import json
import shutil

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from case_store import migrate
from case_store.db import make_engine
from gateway import create_app
from gateway.cli import cli
from gateway.config.settings import DEFAULT_DEPLOYMENT, PROJECT_ROOT


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
    result = fresh.invoke(args=["db", "downgrade", "base", "--yes"])
    assert result.exit_code == 0, result.output
    assert "case" not in inspect(engine).get_table_names()
    engine.dispose()


def test_dialogs_check_passes_on_the_example_profile(runner, monkeypatch, tmp_path):
    monkeypatch.setenv("KINGA_VAR_DIR", str(tmp_path))
    result = runner.invoke(args=["dialogs", "check"])
    assert result.exit_code == 0, result.output
    assert "dialogs OK" in result.output
    lines = result.output.splitlines()
    assert lines[0] == "Worst-case hops to answer each question, by numbers alone (limit 3):"
    assert lines[2].split() == ["en", "sw", "fr", "ar", "pt"] * 2  # USSD, then SMS
    area = next(line for line in lines if line.startswith("report_area "))
    assert area.split() == ["report_area", "2", "2", "2", "3", "2", "2", "2", "2", "2", "2"]


def test_dialogs_check_fails_above_the_profiles_hop_limit(runner, monkeypatch, tmp_path):
    profile = tmp_path / "profile"
    shutil.copytree(DEFAULT_DEPLOYMENT, profile)
    text = (profile / "profile.yaml").read_text()
    (profile / "profile.yaml").write_text(
        text.replace("max_hops_per_question: 3", "max_hops_per_question: 2")
    )
    monkeypatch.setenv("KINGA_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("KINGA_DEPLOYMENT", str(profile))
    result = runner.invoke(args=["dialogs", "check"])

    assert result.exit_code != 0
    assert "(limit 2)" in result.output
    assert "node report_area, language ar: 3 hops to answer (" in result.output
    assert "more than the profile's limit of 2" in result.output


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


def test_dialogs_check_fails_when_a_country_has_no_numbers_of_its_own(
    runner, monkeypatch, tmp_path
):
    profile = tmp_path / "profile"
    shutil.copytree(DEFAULT_DEPLOYMENT, profile)
    text = (profile / "profile.yaml").read_text()
    numbers = text.index("by_country_code:", text.index("emergency_numbers:"))
    start = text.index('    "258":', numbers)
    mozambique = text[start : text.index("  by_area:")]
    (profile / "profile.yaml").write_text(text.replace(mozambique, ""))
    monkeypatch.setenv("KINGA_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("KINGA_DEPLOYMENT", str(profile))
    result = runner.invoke(args=["dialogs", "check"])
    assert result.exit_code != 0
    assert "by_country_code has no numbers for 258" in result.output
    assert "Traceback" not in result.output


# --- one-line errors, help ----------------------------------------------------------------


def command_paths(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            paths += command_paths(sub, (*path, name))
    return paths


@pytest.fixture
def kinga(settings, monkeypatch):
    """Run ``kinga`` as the console script does (its group, its error handling) on the test
    settings; ``database_url`` points it at another database."""

    def run(*args: str, database_url: str | None = None, stdin: str | None = None):
        env = {
            "KINGA_ENV": "test",
            "KINGA_VAR_DIR": str(settings.var_dir),
            "KINGA_DATABASE_URL": database_url or settings.database_url,
            "KINGA_REDIS_URL": settings.redis_url,
            "KINGA_SECRET_KEY": settings.secret_key,
            "KINGA_ENCRYPTION_KEYS": ",".join(settings.encryption_keys),
            "KINGA_PHONE_HASH_KEY": settings.phone_hash_key,
            "KINGA_AT_WEBHOOK_KEY": settings.at_webhook_key,
        }
        return CliRunner().invoke(cli, list(args), env=env, input=stdin, prog_name="kinga")

    return run


def one_line_error(result) -> str:
    """The error line that ends the output: no usage text, no traceback."""
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "Usage:" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert errors == [result.output.strip().splitlines()[-1]], result.output
    return errors[0]


@pytest.mark.parametrize("path", command_paths(cli), ids=" ".join)
def test_every_command_s_help_ends_with_an_example_of_itself(path):
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="kinga")
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1].strip()
    assert last.startswith(" ".join(("Example: kinga", *path))), result.output


def test_kinga_help_hides_flask_s_own_options():
    result = CliRunner().invoke(cli, ["--help"], prog_name="kinga")
    for option in ("--env-file", "-e,", "--app", "-A,", "--debug"):
        assert option not in result.output
    assert CliRunner().invoke(cli, ["--debug", "sms", "count", "x"]).exit_code == 2


def test_kinga_help_works_even_when_production_refuses_the_settings(tmp_path):
    env = {"KINGA_ENV": "production", "KINGA_VAR_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, ["--help"], env=env, prog_name="kinga")
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "messages" in result.output


def test_the_messages_help_tells_of_bodies():
    help_text = CliRunner().invoke(cli, ["messages", "--help"]).output
    assert "bodies never shown" not in help_text
    assert "--bodies" in help_text


@pytest.mark.parametrize(
    "args",
    [
        ["cases", "list"],
        ["cases", "show", "482-177-302"],
        ["users", "list"],
        ["messages", "list"],
        ["keys", "rotate"],
        ["retention", "purge"],
        ["simulate"],
        ["worker", "--burst"],
    ],
    ids=" ".join,
)
def test_any_command_on_an_unmigrated_database_says_to_run_db_upgrade(
    kinga, empty_database_url, args
):
    result = kinga(*args, database_url=empty_database_url, stdin="")
    assert one_line_error(result) == (
        f"Error: the database is not migrated (empty, this Kinga needs {migrate.head()}): "
        "run `kinga db upgrade`"
    )


def test_a_worker_on_a_database_one_migration_behind_names_the_revisions(kinga, empty_database_url):
    migrate.upgrade(empty_database_url, "0008")
    result = kinga("worker", "--burst", database_url=empty_database_url)
    assert "(at 0008, this Kinga needs" in one_line_error(result)


def test_an_unreachable_database_is_one_line(kinga):
    dead = "postgresql+psycopg://kinga@127.0.0.1:1/nowhere"
    assert one_line_error(kinga("users", "list", database_url=dead)).startswith(
        "Error: the database cannot be reached: "
    )


def test_downgrade_asks_first_and_changes_nothing_when_refused(kinga, empty_database_url):
    migrate.upgrade(empty_database_url)
    result = kinga("db", "downgrade", "0008", database_url=empty_database_url, stdin="n\n")
    assert result.exit_code != 0 and "Undo every migration above 0008?" in result.output
    assert migrate.current(empty_database_url) == migrate.head()
    result = kinga("db", "downgrade", "0008", "--yes", database_url=empty_database_url)
    assert result.exit_code == 0, result.output
    assert migrate.current(empty_database_url) == "0008"


@pytest.mark.parametrize(
    ("revision", "error"),
    [
        ("nonsense", "Error: unknown revision 'nonsense'; known: base, 0001, "),
        ("8", "Error: unknown revision '8'; known: base, 0001, "),
        ("0009", "Error: the database is at 0008: nothing above 0009"),
    ],
)
def test_downgrade_refuses_a_bad_revision_in_one_line(kinga, empty_database_url, revision, error):
    migrate.upgrade(empty_database_url, "0008")
    result = kinga("db", "downgrade", revision, "--yes", database_url=empty_database_url)
    assert one_line_error(result).startswith(error)
    assert migrate.current(empty_database_url) == "0008"


def test_upgrade_refuses_a_bad_revision_in_one_line(kinga, empty_database_url):
    result = kinga("db", "upgrade", "--revision", "10", database_url=empty_database_url)
    assert one_line_error(result).startswith("Error: unknown revision '10'; known: head, 0001")
    assert migrate.current(empty_database_url) is None


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["init", "zz_bogus"], "Error: translate: unknown locale 'zz_BOGUS'"),
        (["init", "sw"], "Error: translate: sw has a catalog already; "),
        (["init"], "Error: Missing argument 'LANGUAGE'."),
    ],
)
def test_translate_errors_are_kinga_s_and_write_nothing(kinga, args, error):
    catalog = PROJECT_ROOT / "locales" / "sw" / "LC_MESSAGES" / "messages.po"
    before = catalog.read_bytes()
    result = kinga("translate", *args)
    assert result.exit_code != 0
    assert error in result.output
    assert "pybabel" not in result.output and "Usage: kinga init" not in result.output
    assert catalog.read_bytes() == before
    assert not (PROJECT_ROOT / "locales" / "zz_BOGUS").exists()
