"""``kinga simulate``: one USSD session or SMS conversation in the terminal, for real.

USSD: each answer is sent as Africa's Talking sends it (the cumulative ``text``,
``1*2*Kibera``) to ``intake.ussd_hop`` — the function the webhook calls — so the session lives
in Redis, the report is committed to the database and the screens are the ones a phone shows.

SMS: each line is one inbound SMS handed to ``sms_intake.receive`` — what both SMS webhooks
call — and the replies it queued are read back from the message log.

What a session queues is really queued for sending (SMS replies; a USSD reporter's reference
by SMS when they agree to SMS updates; staff alerts), so both channels run only while
``KINGA_SMS_PROVIDERS`` is ``log``: simulating must never text a real phone.

``--lang`` forces the language by giving the intake a copy of the runtime whose profile maps
every number to that language and which wins over every language remembered from before the
run (the reporter's choice or last report, a dropped session offered back, an SMS conversation
left open); choosing another language in the run's own Language menu still works. The phone
number is only ever shown masked.
"""

from __future__ import annotations

import dataclasses
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Final

import click
from flask.cli import with_appcontext

from case_store.masking import mask_phone
from case_store.queries.messages import find_message
from dialogs.encoding import analyse, ussd_capacity
from dialogs.render import LOCALES_DIR, language_chain
from gateway.channels.sms import intake as sms_intake
from gateway.channels.ussd import intake
from gateway.phones import InvalidPhoneNumber, to_e164
from gateway.providers.africastalking import ussd as africastalking_ussd
from gateway.providers.events import InboundSms, UssdRequest
from gateway.runtime import ForcedLanguage, Runtime, require_migrated, runtime
from gateway.web.simulator import DEFAULT_PHONE, NETWORK_CODE, SESSION_PREFIX

CHANNELS: Final = ("ussd", "sms")
SMS_PROVIDER: Final = "simulator"
NEEDS_LOG: Final = (
    "a simulated session queues real messages (replies, a reference by SMS, alerts): "
    "run it with KINGA_SMS_PROVIDERS=log only"
)


def shipped_languages() -> tuple[str, ...]:
    """Languages with a catalog under ``locales/`` (English is the message ids themselves)."""
    found = {p.parent.parent.name for p in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po")}
    return tuple(sorted(found | {"en"}))


@click.command("simulate")
@click.option("--channel", type=click.Choice(CHANNELS), default="ussd", show_default=True)
@click.option(
    "--lang",
    "language",
    default=None,
    help="Force this language (default: the profile's language for the number's country code).",
)
@click.option(
    "--phone",
    default=DEFAULT_PHONE,
    help="Caller's number in E.164 form (default: a Kenyan test number). Shown only masked.",
)
@with_appcontext
def simulate_command(channel: str, language: str | None, phone: str) -> None:
    """Run a session in the terminal: print each screen, read an answer, until the end.

    End of input (Ctrl-D) hangs up like a dropped call and exits with status 1.

    Example: kinga simulate --channel sms --lang sw
    """
    try:
        phone = to_e164(phone)
    except InvalidPhoneNumber as exc:
        raise click.BadParameter(str(exc), param_hint="--phone") from None
    rt = runtime()
    require_migrated(rt)
    if language is not None:
        if language_chain(language)[-1] not in shipped_languages():
            raise click.BadParameter(
                f"{language!r} has no catalog; shipped: {', '.join(shipped_languages())}",
                param_hint="--lang",
            )
        rt = forcing_language(rt, language)
    if rt.settings.sms_providers != ("log",):
        raise click.ClickException(NEEDS_LOG)
    if channel == "sms":
        _run_sms(rt, phone)
    else:
        _run_ussd(rt, phone)


def forcing_language(rt: Runtime, language: str) -> Runtime:
    """A runtime whose profile gives every number ``language`` (enabled for the session), over
    any language remembered from before now."""
    profile = rt.profile
    languages = (
        profile.languages if language in profile.languages else (*profile.languages, language)
    )
    forced = dataclasses.replace(
        profile, default_language=language, language_by_country_code={}, languages=languages
    )
    return dataclasses.replace(
        rt, profile=forced, forced_language=ForcedLanguage(language, time.time())
    )


def _run_ussd(rt: Runtime, phone: str) -> None:
    session_id = f"{SESSION_PREFIX}{secrets.token_hex(8)}"
    service_code = rt.profile.service_code
    click.echo(
        f"Dialling {service_code} as {mask_phone(phone)} "
        f"(language {rt.profile.language_for(phone)}, session {session_id})."
    )
    click.echo("Type an answer and press Enter; end of input hangs up.")
    answers: list[str] = []
    while True:
        request = UssdRequest(
            session_id=session_id,
            service_code=service_code,
            phone=phone,
            network_code=NETWORK_CODE,
            text="*".join(answers),
            new_answer=africastalking_ussd.new_answer,
        )
        reply = intake.ussd_hop(rt, africastalking_ussd.NAME, request)
        capacity = ussd_capacity(reply.text, rt.profile.screen_budget)
        over = "" if capacity.used <= capacity.limit else " TOO LONG"
        click.echo(
            f"\n--- {'END' if reply.end else 'CON'} · {capacity.used}/{capacity.limit} "
            f"{capacity.encoding} · {len(reply.text)} characters{over} ---"
        )
        click.echo(reply.text)
        if reply.end:
            return
        click.echo("> ", nl=False)
        line = sys.stdin.readline()
        if not line:
            raise click.ClickException(
                "input ended before the session did; it stays open until it expires, "
                "like a dropped call"
            )
        answers.append(line.rstrip("\r\n"))


def _run_sms(rt: Runtime, phone: str) -> None:
    click.echo(f"Texting Kinga as {mask_phone(phone)} (language {rt.profile.language_for(phone)}).")
    click.echo("Type a message (REPORT, HELP, STATUS 482-177-302 …); end of input stops.")
    while True:
        click.echo("> ", nl=False)
        line = sys.stdin.readline()
        if not line:
            return
        sms = InboundSms(
            provider=SMS_PROVIDER,
            provider_id=f"{SESSION_PREFIX}{secrets.token_hex(8)}",
            sender=phone,
            recipient=SMS_PROVIDER,
            text=line.rstrip("\r\n"),
            received_at=datetime.now(UTC),
        )
        result = sms_intake.receive(rt, sms)
        with rt.sessions() as db:
            for public_id in result.replies:
                message = find_message(db, public_id=public_id)
                if message is None or message.body_encrypted is None:
                    continue
                body = rt.vault.decrypt(message.body_encrypted)
                size = analyse(body)
                click.echo(
                    f"\n--- SMS · {size.encoding} · {size.characters} characters · "
                    f"{size.segments} segment(s) ---"
                )
                click.echo(body)
        if not result.replies:
            click.echo("(no reply)")
