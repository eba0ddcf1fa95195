"""From an inbound SMS to a reply sent by ``kinga worker``: the worker builds its senders from
the settings (here the ``log`` provider, and Twilio pointed at the fake server)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from fakes import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN
from sms_client import PHONE, REPORT_ANSWERS, Texter, outbound

import workers.context as worker_context
from gateway import create_app
from gateway.config.settings import SettingsError
from gateway.providers.installed import build_senders
from gateway.providers.log import LogSender


@pytest.fixture(autouse=True)
def clean_senders():
    yield
    worker_context.uninstall()


def test_kinga_worker_sends_the_replies_through_the_log_provider(app, client, db, runner):
    texter = Texter(client)
    for answer in REPORT_ANSWERS:
        assert texter.send(answer).status_code == 200
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output

    replies = outbound(db)
    assert len(replies) == len(REPORT_ANSWERS)
    assert {(m.provider, m.status.value, m.attempts) for m in replies} == {("log", "sent", 1)}
    assert all(m.provider_id == f"log-{m.public_id}" for m in replies)

    listed = runner.invoke(args=["messages", "list", "--json", "--direction", "out"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert len(rows) == len(REPORT_ANSWERS)
    # The reporter chose to stay anonymous: no reply is filed under the case.
    assert all(row["case"] is None for row in rows)
    assert {row["phone"] for row in rows} == {"+2547•••••321"}
    assert {row["provider"] for row in rows} == {"log"}
    assert PHONE not in listed.output and "Kibera" not in listed.output
    assert "Thank you" not in listed.output  # bodies are never printed


def test_kinga_worker_sends_through_twilio_with_failover_order_from_settings(
    app,
    client,
    db,
    runner,
    fake_twilio,
    no_internet,
):
    runtime = app.extensions["kinga"]
    runtime.settings = replace(
        runtime.settings,
        sms_providers=("twilio", "log"),
        twilio_account_sid=TWILIO_ACCOUNT_SID,
        twilio_auth_token=TWILIO_AUTH_TOKEN,
        twilio_from="+15005550006",
        twilio_api_url=fake_twilio.base_url,
    )
    fake_twilio.fail_next("invalid_sender")
    # The inbound webhook is signed with the test token; this test only sends.
    from datetime import UTC, datetime

    from case_store.enums import MessagePurpose
    from gateway.channels.sms.intake import queue_sms
    from workers.dispatch import dispatch

    with db.begin() as session:
        _message, row = queue_sms(
            session,
            runtime.vault,
            phone=PHONE,
            text="Hello",
            purpose=MessagePurpose.REPLY,
            max_segments=4,
            now=datetime.now(UTC),
        )
    dispatch(runtime.redis, [row])
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    (sent,) = outbound(db)
    assert sent.provider == "log" and sent.attempts == 2
    assert len(fake_twilio.requests) == 1


def test_messages_list_filters(app, client, runner):
    texter = Texter(client, "africastalking")
    texter.send("HELP")
    rows = json.loads(runner.invoke(args=["messages", "list", "--json"]).output)
    assert [row["direction"] for row in rows].count("in") == 1
    assert [row["direction"] for row in rows].count("out") == 2
    inbound_only = json.loads(
        runner.invoke(args=["messages", "list", "--json", "--direction", "in"]).output
    )
    assert [row["direction"] for row in inbound_only] == ["in"]
    assert inbound_only[0]["provider"] == "africastalking"
    assert inbound_only[0]["characters"] == 4
    one = json.loads(runner.invoke(args=["messages", "list", "--json", "--limit", "1"]).output)
    assert len(one) == 1
    later = json.loads(
        runner.invoke(args=["messages", "list", "--json", "--since", "2999-01-01"]).output
    )
    assert later == []
    bad = runner.invoke(args=["messages", "list", "--since", "yesterday"])
    assert bad.exit_code != 0 and "--since" in bad.output


def test_senders_are_built_in_the_order_of_kinga_sms_providers(settings):
    configured = replace(
        settings,
        sms_providers=("log", "twilio", "africastalking"),
        twilio_account_sid=TWILIO_ACCOUNT_SID,
        twilio_auth_token=TWILIO_AUTH_TOKEN,
        twilio_from="+15005550006",
        at_username="kinga",
        at_api_key="key",
    )
    assert [s.name for s in build_senders(configured)] == ["log", "twilio", "africastalking"]
    assert isinstance(build_senders(settings)[0], LogSender)


@pytest.mark.parametrize(
    ("providers", "message"),
    [
        (("twilio",), "KINGA_TWILIO_ACCOUNT_SID, KINGA_TWILIO_AUTH_TOKEN and KINGA_TWILIO_FROM"),
        (("carrier-pigeon",), "known providers: twilio, africastalking, log"),
    ],
)
def test_a_misconfigured_provider_stops_the_worker_with_a_clear_message(
    settings, providers, message
):
    with pytest.raises(SettingsError, match=message):
        build_senders(replace(settings, sms_providers=providers, twilio_account_sid=""))


def test_message_bodies_show_only_outside_production(app, client, runner, settings, db):
    Texter(client, "africastalking").send("HELP")
    plain = json.loads(runner.invoke(args=["messages", "list", "--json"]).output)
    assert all("body" not in row for row in plain)
    shown = json.loads(runner.invoke(args=["messages", "list", "--json", "--bodies"]).output)
    assert {row["body"] for row in shown if row["direction"] == "in"} == {"HELP"}
    assert any("116" in row["body"] for row in shown if row["direction"] == "out")

    production = create_app(replace(settings, env="production")).test_cli_runner()
    refused = production.invoke(args=["messages", "list", "--bodies"])
    assert refused.exit_code != 0
    assert "refused when KINGA_ENV=production" in refused.output
    assert "HELP" not in refused.output


@pytest.mark.parametrize(
    ("callback", "sms", "linked"), [("2", "2", False), ("1", "2", True), ("2", "1", True)]
)
def test_an_anonymous_reporter_is_not_tied_to_the_case_by_the_message_log(
    app, client, db, callback, sms, linked
):
    """Only a reporter who agreed to a call back or to SMS updates (whose number is kept)."""
    texter = Texter(client)
    answers = list(REPORT_ANSWERS)
    answers[answers.index("She is alone at night") + 1] = callback
    answers[answers.index("She is alone at night") + 2] = sms
    if callback == "1":
        answers.insert(answers.index("She is alone at night") + 2, "4")  # any time
    for answer in answers:
        assert texter.send(answer).status_code == 200
    with db() as session:
        from sqlalchemy import select

        from case_store.models import Case, Message

        case = session.scalars(select(Case)).one()
        assert (case.callback_consent, case.sms_consent) == (callback == "1", sms == "1")
        assert (case.reporter.phone_encrypted is not None) is linked
        filed = session.scalars(select(Message).where(Message.case_id == case.id)).all()
    assert bool(filed) is linked
