"""What a reporter writes, taken for what it means, end to end over the SMS webhooks.

An exit word never unsubscribes; after STOP the replies to requests are still sent (by the
worker, not only queued); a first message in words is the report and reaches the case.
"""

from __future__ import annotations

import pytest
from sms_client import PHONE, Texter, inbound, outbound, texts
from sqlalchemy import select

import workers.context as worker_context
from case_store.models import Case, Reporter

MOZAMBIQUE = "+258840020001"  # Portuguese by the example profile's country codes


@pytest.fixture(autouse=True)
def clean_senders():
    yield
    worker_context.uninstall()


def ok(response) -> None:
    assert response.status_code == 200, response.get_data(as_text=True)


def opted_out(db) -> bool:
    with db() as session:
        reporter = session.scalars(select(Reporter)).one_or_none()
        return reporter is not None and reporter.opted_out


@pytest.mark.parametrize("provider", ["twilio", "africastalking"])
def test_sair_ends_the_conversation_and_help_and_report_are_answered(
    app, client, db, provider
) -> None:
    # The reported sequence: DENUNCIAR, Sair, AJUDA, DENUNCIAR from a Mozambican number.
    texter = Texter(client, provider, phone=MOZAMBIQUE)
    for text in ["DENUNCIAR", "Sair", "AJUDA", "DENUNCIAR"]:
        ok(texter.send(text))

    bodies = texts(app, outbound(db))
    assert len(bodies) == 5  # question, goodbye, numbers + keywords, question
    assert bodies[1] == "Adeus."
    assert bodies[2].startswith("Se houver perigo agora, ligue:")
    assert bodies[4] == bodies[0]
    assert not opted_out(db)


@pytest.mark.parametrize("word", ["CANCEL", "END", "QUIT", "الغاء"])
def test_no_exit_word_unsubscribes(client, db, word) -> None:
    texter = Texter(client)
    ok(texter.send("REPORT"))
    ok(texter.send(word))
    assert not opted_out(db)


def test_after_stop_the_worker_sends_the_replies_to_requests(app, client, db, runner) -> None:
    texter = Texter(client)
    for text in ["STOP", "HELP", "R 3 1 2 047 Left alone since Monday"]:
        ok(texter.send(text))
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output

    replies = outbound(db)
    assert len(replies) == 4  # the STOP confirmation, two HELP messages, the reference
    assert {(m.provider, m.status.value) for m in replies} == {("log", "sent")}
    assert opted_out(db)


def test_a_first_message_in_words_is_the_start_of_the_narrative(app, client, db) -> None:
    opening = "I want to report a child being beaten"
    texter = Texter(client)
    answers = [opening, "no", "1", "2", "A girl", "1", "0", "3", "Every night", "no", "no", "1"]
    for text in answers:
        ok(texter.send(text))

    vault = app.extensions["kinga"].vault
    with db() as session:
        case = session.scalars(select(Case)).one()
        assert vault.decrypt(case.narrative_encrypted) == f"{opening}\nEvery night"
        assert (case.category.value, case.child_sex.value) == ("physical_violence", "girl")
    assert len(inbound(db)) == len(answers)
    assert PHONE not in texts(app, outbound(db))[-1]
