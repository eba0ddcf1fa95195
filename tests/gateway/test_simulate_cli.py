"""``kinga simulate``: USSD sessions and SMS conversations in the terminal, for real."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import func, select
from ussd_client import REPORT_ANSWERS

from case_store.masking import mask_phone
from case_store.models import Message
from case_store.models.cases import Case
from dialogs.engine import start
from dialogs.render import load_translations, render
from gateway import create_app
from gateway.cli.simulate import simulate_command

HEADER = re.compile(r"^--- (CON|END) · (\d+)/(\d+) (GSM-7|UCS-2) · \d+ characters ---$", re.M)


def lines_of(answers: list[str]) -> str:
    return "".join(f"{answer}\n" for answer in answers)


def test_a_full_report_runs_to_the_end_and_is_stored(runner, db):
    result = runner.invoke(simulate_command, ["--channel", "ussd"], input=lines_of(REPORT_ANSWERS))
    assert result.exit_code == 0, result.output
    headers = HEADER.findall(result.output)
    assert [kind for kind, *_ in headers] == ["CON"] * len(REPORT_ANSWERS) + ["END"]
    assert all(int(used) <= int(limit) for _kind, used, limit, _encoding in headers)
    assert "Welcome to Kinga" in result.output
    assert re.search(r"Your reference is \d{3}-\d{3}-\d{3}\.", result.output)
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_the_phone_number_is_only_shown_masked(runner):
    phone = "+254799123456"
    result = runner.invoke(simulate_command, ["--phone", phone], input="0\n")
    assert result.exit_code == 0, result.output
    assert mask_phone(phone) in result.output
    assert "799123456" not in result.output


def test_lang_forces_the_language_of_the_session(runner, app):
    rt = app.extensions["kinga"]
    expected = render(start(rt.tree, rt.context("sw")).screen, load_translations("sw"))
    english = render(start(rt.tree, rt.context("en")).screen, load_translations("en"))
    assert expected != english

    result = runner.invoke(simulate_command, ["--lang", "sw"], input="0\n")
    assert result.exit_code == 0, result.output
    assert "language sw" in result.output
    assert expected in result.output
    assert english not in result.output


def test_lang_wins_over_what_the_number_did_before(runner, app):
    rt = app.extensions["kinga"]
    menu_sw = render(start(rt.tree, rt.context("sw")).screen, load_translations("sw"))
    reported = runner.invoke(simulate_command, [], input=lines_of(REPORT_ANSWERS))
    assert reported.exit_code == 0, reported.output  # the number reported, in English
    assert "Welcome to Kinga" in reported.output

    forced = runner.invoke(simulate_command, ["--lang", "sw"], input="0\n")
    dropped = runner.invoke(simulate_command, [], input="1\n2\n")  # hangs up mid-report
    offered = runner.invoke(simulate_command, ["--lang", "sw"], input="0\n")

    assert forced.exit_code == 0, forced.output
    assert menu_sw in forced.output and "Welcome to Kinga" not in forced.output
    assert dropped.exit_code == 1 and "Welcome to Kinga" in dropped.output
    # The dropped report is offered back, in the language asked for.
    assert "Your last session was cut off." not in offered.output
    assert "1. Endelea" in offered.output


def test_lang_wins_over_an_sms_conversation_left_open(runner):
    left = runner.invoke(simulate_command, ["--channel", "sms"], input="REPORT\n")
    forced = runner.invoke(simulate_command, ["--channel", "sms", "--lang", "sw"], input="2\n")

    assert "Is a child in danger right now?" in left.output
    assert forced.exit_code == 0, forced.output
    assert "What is happening?" not in forced.output and "Kuna tatizo gani?" in forced.output


def test_an_answer_with_a_star_reaches_the_case_whole(runner, app, db):
    answers = [*REPORT_ANSWERS]
    answers[8] = "He said *stop* twice"  # the narrative
    result = runner.invoke(simulate_command, [], input=lines_of(answers))
    assert result.exit_code == 0, result.output
    vault = app.extensions["kinga"].vault
    with db() as session:
        case = session.scalars(select(Case)).one()
        assert vault.decrypt(case.narrative_encrypted) == "He said *stop* twice"


def test_input_that_ends_early_hangs_up_and_fails(runner):
    result = runner.invoke(simulate_command, [], input="1\n")
    assert result.exit_code == 1
    assert "input ended before the session did" in result.output


SMS_REPORT = ["REPORT", "2", "3", "2", "1", "1", "Kibera", "3", "Alone at night", "2", "2", "1"]
SMS_HEADER = re.compile(
    r"^--- SMS · (GSM-7|UCS-2) · \d+ characters · (\d+) segment\(s\) ---$", re.M
)


def test_an_sms_conversation_runs_through_the_real_intake(runner, db):
    result = runner.invoke(simulate_command, ["--channel", "sms"], input=lines_of(SMS_REPORT))
    assert result.exit_code == 0, result.output
    assert len(SMS_HEADER.findall(result.output)) >= len(SMS_REPORT)
    assert re.search(r"Your reference is \d{3}-\d{3}-\d{3}\.", result.output)
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


@pytest.mark.parametrize("channel", ["sms", "ussd"])
def test_the_simulation_never_runs_with_real_providers(settings, db, redis_client, channel):
    app = create_app(dataclasses.replace(settings, sms_providers=("twilio", "log")))
    result = app.test_cli_runner().invoke(simulate_command, ["--channel", channel], input="1\n")
    assert result.exit_code != 0
    assert "KINGA_SMS_PROVIDERS=log" in result.output
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
    assert redis_client.keys("*") == []


def test_a_language_without_a_catalog_is_refused(runner):
    result = runner.invoke(simulate_command, ["--lang", "xx"], input="")
    assert result.exit_code == 2
    assert "'xx' has no catalog" in result.output


def test_a_bad_phone_number_is_refused_without_echoing_it(runner):
    result = runner.invoke(simulate_command, ["--phone", "+25479912"], input="")
    assert result.exit_code == 2
    assert "--phone" in result.output
    assert "79912" not in result.output


def test_an_exit_word_over_sms_leaves_help_and_report_answered(runner, db):
    # printf 'DENUNCIAR\nSair\nAJUDA\nDENUNCIAR\n' | kinga simulate --channel sms --phone +258…
    result = runner.invoke(
        simulate_command,
        ["--channel", "sms", "--phone", "+258840020001"],
        input=lines_of(["DENUNCIAR", "Sair", "AJUDA", "DENUNCIAR"]),
    )
    assert result.exit_code == 0, result.output
    assert "(no reply)" not in result.output
    assert len(SMS_HEADER.findall(result.output)) == 5
    assert "Adeus." in result.output
    assert "vai receber mais mensagens" not in result.output  # no STOP confirmation
