"""Referrals by SMS: a caseworker's REFER (in their language), the reporter's consent (recorded
with CALLED … CONSENT) or a supervisor's override, the provider's text (no name, no narrative),
and the provider's YES / NO from its registered phone, each refusal changing nothing and a
replayed webhook doing nothing."""

from __future__ import annotations

import json
import logging
import re

import pytest
from referral_setup import (
    NARRATIVE,
    OTHER_PROVIDER_PHONE,
    PLACE,
    PROVIDER_PHONE,
    STRANGER_PHONE,
    add_provider,
    referrals,
    reported_case,
    sent_to,
)
from sms_client import Texter
from sqlalchemy import select
from staff import CASEWORKER_PHONE, SUPERVISOR_PHONE
from stored import snapshot

from case_store.enums import EventKind, MessagePurpose, ReferralStatus, Service
from case_store.models import Case, CaseEvent, Note, User
from case_store.operations import update_user
from case_store.references import format_reference
from dialogs.encoding import analyse
from dialogs.render import fold_to_gsm7, load_translations
from dialogs.tree import placeholders
from gateway.channels.sms.referrals import parse_referral_answer
from gateway.channels.sms.staff import refer as referral_sms
from gateway.channels.sms.staff import replies
from gateway.channels.sms.staff.replies import Voice
from gateway.config.settings import DEFAULT_SMS_MAX_SEGMENTS
from workers import referral_texts as texts

LANGUAGES = ("en", "sw", "fr", "ar", "pt")
MESSAGES = (
    texts.TO_PROVIDER,
    texts.REMINDER,
    texts.PROVIDER_ACCEPTED,
    texts.PROVIDER_DECLINED,
    texts.ALREADY_ANSWERED,
    texts.UNKNOWN_CODE,
    texts.NOT_A_PROVIDER,
    texts.NEEDS_CODE,
    texts.CASEWORKER_ACCEPTED,
    texts.CASEWORKER_DECLINED,
    texts.CASEWORKER_NO_REPLY,
    texts.REFERRED,
    referral_sms.USAGE,
    referral_sms.NO_CONSENT,
    referral_sms.NO_SHARING,
    referral_sms.OVERRIDE_NOT_ALLOWED,
    referral_sms.OVERRIDE_REASON,
    referral_sms.NO_PROVIDER,
    referral_sms.WAITING,
    referral_sms.NOT_SENT,
)
REASON = "Wanjiru's uncle threatens her tonight"


@pytest.fixture
def case(app, client, db) -> Case:
    add_provider(app)
    return reported_case(app, client, db, consent=True)


def reply_to(app, db, phone: str) -> str:
    return sent_to(app, db, phone, MessagePurpose.REPLY)[-1]


def speaks(app, username: str, language: str) -> None:
    runtime = app.extensions["kinga"]
    with runtime.sessions.begin() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        update_user(
            session, runtime.vault, user, now=user.created_at, actor="test", languages=[language]
        )


def kinds(db, case: Case) -> list[str]:
    with db() as session:
        query = select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        return [kind.value for kind in session.scalars(query)]


def referred(app, client, db, case: Case) -> str:
    """REFER as the caseworker; the code."""
    Texter(client, phone=CASEWORKER_PHONE).send(f"REFER {case.reference} health")
    (referral,) = referrals(db)
    return referral.code


# --- REFER --------------------------------------------------------------------------------


def test_refer_sends_the_provider_the_code_service_area_and_work_number_only(app, client, db, case):
    code = referred(app, client, db, case)
    (text,) = sent_to(app, db, PROVIDER_PHONE, MessagePurpose.REFERRAL)
    assert text == (
        f"Kinga referral {code}: health service needed, Mombasa. Caseworker: {CASEWORKER_PHONE}. "
        f"Reply YES {code} or NO {code} reason."
    )
    assert NARRATIVE not in text and PLACE not in text and "amina" not in text
    assert analyse(text).segments == 1
    assert reply_to(app, db, CASEWORKER_PHONE) == (
        f"Kinga: case {format_reference(case.reference)} referred to Coast Clinic for health, "
        f"code {code}. You will be told their answer."
    )
    (referral,) = referrals(db)
    assert (referral.status, referral.service.value, referral.created_by.username) == (
        ReferralStatus.PENDING,
        "medical",
        "amina",
    )
    assert kinds(db, case)[-1] == "referred"


@pytest.mark.parametrize("language", LANGUAGES)
def test_refer_in_every_language(app, client, db, case, language):
    speaks(app, "amina", language)
    translations = load_translations(language)
    word = translations.gettext(texts.SERVICE_WORDS[Service.MEDICAL])
    Texter(client, phone=CASEWORKER_PHONE).send(f"REFER {case.reference} {word.upper()}")
    (referral,) = referrals(db)
    expected = translations.gettext(texts.REFERRED).format(
        reference=format_reference(case.reference),
        provider="Coast Clinic",
        service=word,
        code=referral.code,
    )
    folded = (
        fold_to_gsm7(expected)
        if language in app.extensions["kinga"].profile.fold_accents
        else expected
    )
    assert reply_to(app, db, CASEWORKER_PHONE) == folded
    assert (language == "en") == folded.startswith(
        f"Kinga: case {format_reference(case.reference)}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_english_service_word_works_in_every_language(app, client, db, case, language):
    speaks(app, "amina", language)
    Texter(client, phone=CASEWORKER_PHONE).send(f"refer {format_reference(case.reference)} Health.")
    assert len(referrals(db)) == 1


@pytest.mark.parametrize(
    ("language", "verb", "service"),
    [("sw", "peleka", "afya"), ("fr", "Orienter", "santé"), ("ar", "إحالة", "صحية"),
     ("pt", "ENCAMINHAR", "saude")],
)  # fmt: skip
def test_refer_in_the_caseworkers_own_words(app, client, db, case, language, verb, service):
    speaks(app, "amina", language)
    Texter(client, phone=CASEWORKER_PHONE).send(f"{verb} {case.reference} {service}")
    (referral,) = referrals(db)
    assert referral.service is Service.MEDICAL
    assert referral.code in reply_to(app, db, CASEWORKER_PHONE)


@pytest.mark.parametrize(
    ("languages", "expected"),
    [
        (["sw", "en"], "Kinga rufaa {code}: huduma ya afya inahitajika, Mombasa. Mhudumu wa kesi: "
         "+254700111001. Jibu NDIYO {code} au HAPANA {code} na sababu."),
        (["de", "fr"], "Kinga orientation {code} : service demandé : santé, Mombasa. Travailleur "
         "social : +254700111001. Répondez OUI {code} ou NON {code} et le motif."),
        (["de"], "Kinga referral {code}: health service needed, Mombasa. Caseworker: "
         "+254700111001. Reply YES {code} or NO {code} reason."),
    ],
)  # fmt: skip
def test_the_provider_reads_its_first_shipped_language(app, client, db, languages, expected):
    add_provider(app, languages=languages)
    case = reported_case(app, client, db, consent=True)
    code = referred(app, client, db, case)
    (text,) = sent_to(app, db, PROVIDER_PHONE, MessagePurpose.REFERRAL)
    assert text == expected.format(code=code)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_referral_text_fits_and_keeps_its_placeholders(language):
    translations = load_translations(language)
    longest = {
        "reference": "482-177-302",
        "ack": "482177302",
        "code": "R7K2QX",
        "provider": "x" * 60,
        "area": "Elgeyo-Marakwet",
        "phone": "+254700111002",
        "services": ", ".join(translations.gettext(w) for w in texts.SERVICE_WORDS.values()),
        "service": max((translations.gettext(w) for w in texts.SERVICE_WORDS.values()), key=len),
        "yes": translations.gettext(texts.YES),
        "no": translations.gettext(texts.NO),
        "REFER": "ENCAMINHAR",  # the longest word for REFER in any language
        "CALLED": "NIMEPIGA",  # for CALLED
        "CONSENT": "AMEKUBALI",  # for the reporter's consent
        "pin": " PIN",
    }
    for msgid in MESSAGES:
        translated = translations.gettext(msgid)
        if language != "en":
            assert translated != msgid, (language, msgid)
        assert sorted(placeholders(translated)) == sorted(placeholders(msgid)), (language, msgid)
        for keyword in ("{REFER}", "OVERRIDE"):
            assert msgid.count(keyword) == translated.count(keyword), (language, msgid)
        text = translated.format_map(longest)
        assert analyse(text).segments <= DEFAULT_SMS_MAX_SEGMENTS, (language, msgid)


@pytest.mark.parametrize("language", LANGUAGES)
def test_service_and_answer_words_are_single_distinct_words(language):
    translations = load_translations(language)
    words = [translations.gettext(w) for w in texts.SERVICE_WORDS.values()]
    assert all(len(word.split()) == 1 for word in words) and len(set(words)) == len(words)
    assert len(texts.service_words(translations)) >= len(words)
    answers = texts.answer_words(LANGUAGES)
    assert sorted(answers.values()).count(True) == 5 and sorted(answers.values()).count(False) == 5


def test_refer_without_a_known_service_shows_the_choices(app, client, db, case):
    phone = Texter(client, phone=CASEWORKER_PHONE)
    phone.send(f"REFER {case.reference}")
    expected = (
        f"Kinga: to refer case {format_reference(case.reference)}, reply REFER {case.reference} "
        "and one of: health, shelter, legal, psychosocial, police, education"
    )
    assert reply_to(app, db, CASEWORKER_PHONE) == expected
    phone.send(f"REFER {case.reference} surgery")
    assert reply_to(app, db, CASEWORKER_PHONE) == expected
    assert referrals(db) == []


def test_no_provider_for_the_area(app, client, db, case):
    Texter(client, phone=CASEWORKER_PHONE).send(f"REFER {case.reference} shelter")
    assert reply_to(app, db, CASEWORKER_PHONE) == (
        "Kinga: no shelter provider is available for Mombasa. Nothing changed."
    )
    assert referrals(db) == []


def test_a_referral_waiting_for_its_answer_is_not_sent_twice(app, client, db, case):
    add_provider(app, "Second Clinic", phone=OTHER_PROVIDER_PHONE)
    code = referred(app, client, db, case)
    Texter(client, phone=CASEWORKER_PHONE).send(f"REFER {case.reference} health")
    assert reply_to(app, db, CASEWORKER_PHONE) == (
        f"Kinga: referral {code} of case {format_reference(case.reference)} for health is "
        "waiting for an answer. Nothing changed."
    )
    assert (
        len(referrals(db)) == 1
        and sent_to(app, db, OTHER_PROVIDER_PHONE, MessagePurpose.REFERRAL) == []
    )


def test_a_caseworker_refers_only_their_own_cases(app, client, db, case):
    from staff import OTHER_CASEWORKER_PHONE, add_staff

    add_staff(app, "baraka", "caseworker", OTHER_CASEWORKER_PHONE)
    Texter(client, phone=OTHER_CASEWORKER_PHONE).send(f"REFER {case.reference} health")
    assert reply_to(app, db, OTHER_CASEWORKER_PHONE).startswith("Not allowed: case ")
    assert referrals(db) == []


# --- consent and the supervisor's override -------------------------------------------------


@pytest.fixture
def unconsented(app, client, db) -> Case:
    add_provider(app)
    return reported_case(app, client, db, consent=None)


def test_without_consent_the_caseworker_is_refused_and_nothing_changes(
    app, client, db, redis_client, unconsented
):
    phone = Texter(client, phone=CASEWORKER_PHONE)
    phone.send(f"REFER {unconsented.reference} health")
    reference = format_reference(unconsented.reference)
    assert reply_to(app, db, CASEWORKER_PHONE) == (
        f"Kinga: the reporter has not agreed to services for case {reference}. Not referred. "
        f"If they agree, reply CALLED {unconsented.reference} CONSENT. "
        f"A supervisor may reply REFER {unconsented.reference} health OVERRIDE and the reason."
    )
    phone.send(f"REFER {unconsented.reference} health OVERRIDE {REASON}")
    assert reply_to(app, db, CASEWORKER_PHONE) == (
        "Not allowed: only a supervisor may refer without the reporter's consent. Nothing changed."
    )
    assert referrals(db) == [] and "referred" not in kinds(db, unconsented)
    with db() as session:
        assert session.scalars(select(Note)).all() == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_consent_recorded_after_the_call_lets_the_caseworker_refer(
    app, client, db, runner, unconsented, language
):
    """The refusal says how to record the reporter's consent, in the caseworker's words; once
    recorded (CALLED … CONSENT), REFER goes through without an override."""
    speaks(app, "amina", language)
    rt = app.extensions["kinga"]
    staff, translations = rt.tree.sms.staff, load_translations(language)
    called = staff.display(staff.verbs, "called", language)
    agreed = staff.display(staff.consent, "yes", language)
    service = translations.gettext(texts.SERVICE_WORDS[Service.MEDICAL])
    ack, reference = unconsented.reference, format_reference(unconsented.reference)
    phone = Texter(client, phone=CASEWORKER_PHONE)
    phone.send(f"REFER {ack} health")
    voice = Voice(rt, language, unconsented.created_at)
    assert reply_to(app, db, CASEWORKER_PHONE) == voice.say(
        referral_sms.NO_CONSENT, reference=reference, ack=ack, service=service
    )
    assert voice.fold(f"{called} {ack} {agreed}") in reply_to(app, db, CASEWORKER_PHONE)
    assert referrals(db) == []

    phone.send(f"{called} {ack} {agreed}")
    assert reply_to(app, db, CASEWORKER_PHONE) == voice.say(
        replies.CONTACT_CONSENT, reference=reference
    )
    phone.send(f"REFER {ack} health")
    (referral,) = referrals(db)
    assert referral.created_by.username == "amina"
    assert referral.code in reply_to(app, db, CASEWORKER_PHONE)
    assert len(sent_to(app, db, PROVIDER_PHONE, MessagePurpose.REFERRAL)) == 1
    assert kinds(db, unconsented)[-3:] == ["first_contact_made", "consent_recorded", "referred"]
    with db() as session:
        event = session.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.REFERRED)).one()
        assert event.data["after"]["consent_override"] is False
    shown = runner.invoke(args=["cases", "show", ack]).output
    assert "  consent   services: agreed; sharing with other agencies: not asked" in shown
    assert re.search(r"amina +consent to services: agreed\n", shown), shown


def test_a_refusal_recorded_after_the_call_keeps_the_caseworker_from_referring(
    app, client, db, runner, unconsented
):
    phone = Texter(client, phone=CASEWORKER_PHONE)
    phone.send(f"CALLED {unconsented.reference} CONSENT")
    phone.send(f"CALLED {unconsented.reference} NOCONSENT")
    phone.send(f"REFER {unconsented.reference} health")
    assert reply_to(app, db, CASEWORKER_PHONE).startswith(
        "Kinga: the reporter has not agreed to services for case"
    )
    assert referrals(db) == [] and "referred" not in kinds(db, unconsented)
    with db() as session:
        assert session.get(Case, unconsented.id).consent_services is False
    shown = runner.invoke(args=["cases", "show", unconsented.reference]).output
    assert "  consent   services: refused;" in shown
    assert "consent to services: refused (was agreed)" in shown


def test_consent_to_services_does_not_lift_a_refusal_to_share(app, client, db, unconsented):
    with db.begin() as session:
        session.get(Case, unconsented.id).consent_share = False
    phone = Texter(client, phone=CASEWORKER_PHONE)
    phone.send(f"CALLED {unconsented.reference} CONSENT")
    phone.send(f"REFER {unconsented.reference} health")
    assert reply_to(app, db, CASEWORKER_PHONE) == (
        f"Kinga: the reporter refused sharing case {format_reference(unconsented.reference)} "
        "with other agencies. Not referred. A supervisor may reply "
        f"REFER {unconsented.reference} health OVERRIDE and the reason."
    )
    assert referrals(db) == []
    Texter(client, phone=SUPERVISOR_PHONE).send(
        f"REFER {unconsented.reference} health OVERRIDE {REASON}"
    )
    (referral,) = referrals(db)
    assert referral.created_by.username == "daudi"
    with db() as session:
        case = session.get(Case, unconsented.id)
        assert (case.consent_services, case.consent_share) == (True, False)


def test_a_supervisor_overrides_by_sms_with_a_reason_kept_encrypted(app, client, db, unconsented):
    supervisor = Texter(client, phone=SUPERVISOR_PHONE)
    supervisor.send(f"REFER {unconsented.reference} health OVERRIDE")
    assert reply_to(app, db, SUPERVISOR_PHONE).startswith("Kinga: write the reason after OVERRIDE")
    assert referrals(db) == []
    supervisor.send(f"REFER {unconsented.reference} health override: {REASON}")
    (referral,) = referrals(db)
    assert referral.created_by.username == "daudi"
    (text,) = sent_to(app, db, PROVIDER_PHONE, MessagePurpose.REFERRAL)
    assert SUPERVISOR_PHONE in text and "Wanjiru" not in text
    vault = app.extensions["kinga"].vault
    with db() as session:
        event = session.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.REFERRED)).one()
        assert event.data["after"]["consent_override"] is True
        note = session.get(Note, event.data["after"]["reason_note_id"])
        assert vault.decrypt(note.body_encrypted) == REASON
        assert "Wanjiru" not in json.dumps(event.data)


def test_the_caseworker_holding_the_case_hears_of_a_supervisors_referral_and_its_answer(
    app, client, db, unconsented
):
    """amina holds the case; daudi refers it over her head: she is told it was referred, and
    what the provider answered, as daudi is."""
    Texter(client, phone=SUPERVISOR_PHONE).send(
        f"REFER {unconsented.reference} health OVERRIDE {REASON}"
    )
    (referral,) = referrals(db)
    reference = format_reference(unconsented.reference)
    assert sent_to(app, db, CASEWORKER_PHONE, MessagePurpose.REFERRAL) == [
        f"Kinga: case {reference} referred to Coast Clinic for health, code {referral.code}. "
        "You will be told their answer."
    ]
    Texter(client, phone=PROVIDER_PHONE).send(f"YES {referral.code}")
    accepted = f"Kinga: Coast Clinic accepted referral {referral.code} (case {reference}, health)."
    assert sent_to(app, db, CASEWORKER_PHONE, MessagePurpose.REFERRAL)[-1] == accepted
    assert sent_to(app, db, SUPERVISOR_PHONE, MessagePurpose.REFERRAL) == [accepted]


def test_the_caseworker_who_refers_is_told_once(app, client, db, case):
    code = referred(app, client, db, case)
    assert sent_to(app, db, CASEWORKER_PHONE, MessagePurpose.REFERRAL) == []
    Texter(client, phone=PROVIDER_PHONE).send(f"YES {code}")
    assert len(sent_to(app, db, CASEWORKER_PHONE, MessagePurpose.REFERRAL)) == 1


def test_a_supervisor_overrides_from_the_command_line(app, db, runner, unconsented):
    reference = format_reference(unconsented.reference)
    refused = runner.invoke(
        args=["cases", "refer", reference, "--service", "health", "--as", "amina"]
    )
    assert refused.exit_code != 0 and "has not agreed to services" in refused.output
    not_theirs = runner.invoke(
        args=["cases", "refer", reference, "--service", "health", "--as", "amina",
              "--override-reason", REASON]
    )  # fmt: skip
    assert not_theirs.exit_code != 0 and "without consent (supervisors only)" in not_theirs.output
    assert referrals(db) == []
    done = runner.invoke(
        args=["cases", "refer", reference, "--service", "health", "--as", "daudi",
              "--override-reason", REASON]
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    shown = json.loads(done.output)
    assert (shown["provider"], shown["service"], shown["status"], shown["referred_by"]) == (
        "Coast Clinic",
        "health",
        "pending",
        "daudi",
    )
    (text,) = sent_to(app, db, PROVIDER_PHONE, MessagePurpose.REFERRAL)
    assert shown["code"] in text and SUPERVISOR_PHONE in text
    again = runner.invoke(args=["cases", "refer", reference, "--service", "health", "--as", "daudi",
                                "--override-reason", REASON])  # fmt: skip
    assert again.exit_code != 0 and "waits for its provider's answer" in again.output


def test_the_command_line_refuses_unknown_cases_users_and_services(app, db, runner, case):
    reference = format_reference(case.reference)
    for args, message in (
        (["482-177-302", "--service", "health", "--as", "amina"], "no case with that reference"),
        ([reference, "--service", "health", "--as", "nobody"], "no user named 'nobody'"),
        ([reference, "--service", "surgery", "--as", "amina"], "Invalid value for '--service'"),
        ([reference, "--service", "police", "--as", "amina"], "no active police provider"),
    ):
        result = runner.invoke(args=["cases", "refer", *args])
        assert result.exit_code != 0 and message in result.output, result.output
    assert referrals(db) == []


# --- the provider's answer -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "accepted", "reason"),
    [
        ("YES {code}", True, ""),
        ("yes {lower}.", True, ""),
        ("Ndiyo: {code}", True, ""),
        ("oui {lower} !", True, ""),
        ("نعم {code}", True, ""),
        ("Sim, {code}", True, ""),
        ("NO {code} no bed tonight", False, "no bed tonight"),
        ("hapana {lower}, hatuna nafasi", False, "hatuna nafasi"),
        ("Non {code}.", False, ""),
        ("لا {code} لا يوجد سرير", False, "لا يوجد سرير"),
        ("nao {code}", False, ""),
        ("NÃO {code}", False, ""),
    ],
)
def test_answers_in_every_language_any_case_and_punctuation(text, accepted, reason):
    answer = parse_referral_answer(text.format(code="R7K2QX", lower="r7k2qx"), LANGUAGES)
    assert answer is not None
    assert (answer.accepted, answer.code, answer.reason) == (accepted, "R7K2QX", reason)


@pytest.mark.parametrize("text", ["YES", "YES R7K2Q", "YES R7K2QXY", "MAYBE R7K2QX", "YES R0K2QX"])
def test_what_is_no_answer(text):
    assert parse_referral_answer(text, LANGUAGES) is None


def test_yes_records_the_answer_tells_the_caseworker_and_thanks_the_provider(app, client, db, case):
    code = referred(app, client, db, case)
    speaks(app, "amina", "sw")
    Texter(client, phone=PROVIDER_PHONE).send(f"yes {code.lower()}.")
    (referral,) = referrals(db)
    assert referral.status is ReferralStatus.ACCEPTED and referral.answered_at is not None
    assert kinds(db, case)[-1] == "referral_answered"
    assert reply_to(app, db, PROVIDER_PHONE) == (
        f"Kinga: referral {code} accepted, thank you. The caseworker has been told."
    )
    (told,) = sent_to(app, db, CASEWORKER_PHONE, MessagePurpose.REFERRAL)
    reference = format_reference(case.reference)
    assert told == f"Kinga: Coast Clinic amekubali rufaa {code} (kesi {reference}, afya)."


def test_no_with_a_reason_is_kept_encrypted_and_shown_on_the_timeline(
    app, client, db, runner, case
):
    code = referred(app, client, db, case)
    Texter(client, phone=PROVIDER_PHONE).send(f"NO {code} {REASON}")
    (referral,) = referrals(db)
    vault = app.extensions["kinga"].vault
    assert referral.status is ReferralStatus.DECLINED
    assert vault.decrypt(referral.answer_reason_encrypted) == REASON
    (told,) = sent_to(app, db, CASEWORKER_PHONE, MessagePurpose.REFERRAL)
    assert told == (
        f"Kinga: Coast Clinic declined referral {code} (case {format_reference(case.reference)}, "
        f"health). To refer elsewhere: REFER {case.reference} health"
    )
    assert "Wanjiru" not in told
    shown = runner.invoke(args=["cases", "show", case.reference]).output
    assert f"referral {code} (health) sent to Coast Clinic" in shown
    assert f"referral {code} (health) declined: {REASON}" in shown
    assert kinds(db, case)[-1] == "revealed"  # showing the reason is audited


@pytest.mark.parametrize("answer", ["YES", "NO"])
def test_a_code_already_answered_is_refused_and_changes_nothing(
    app, client, db, redis_client, case, answer
):
    code = referred(app, client, db, case)
    provider = Texter(client, phone=PROVIDER_PHONE)
    provider.send(f"YES {code}")
    before = len(sent_to(app, db, CASEWORKER_PHONE, MessagePurpose.REFERRAL))
    provider.send(f"{answer} {code} changed our minds")
    assert reply_to(app, db, PROVIDER_PHONE) == (
        f"Kinga: referral {code} was already answered. Nothing changed."
    )
    (referral,) = referrals(db)
    assert referral.status is ReferralStatus.ACCEPTED
    assert len(sent_to(app, db, CASEWORKER_PHONE, MessagePurpose.REFERRAL)) == before
    assert kinds(db, case).count("referral_answered") == 1


def test_a_replayed_answer_does_nothing_twice(app, client, db, redis_client, case):
    code = referred(app, client, db, case)
    provider = Texter(client, phone=PROVIDER_PHONE)
    assert provider.send(f"YES {code}", provider_id="SM" + "5" * 32).status_code == 200
    before = snapshot(db, redis_client)
    assert provider.send(f"YES {code}", provider_id="SM" + "5" * 32).status_code == 200
    assert snapshot(db, redis_client) == before


def test_an_answer_from_another_phone_or_for_another_code_changes_nothing(
    app, client, db, redis_client, case
):
    add_provider(app, "Second Clinic", phone=OTHER_PROVIDER_PHONE)
    code = referred(app, client, db, case)
    stranger = Texter(client, phone=STRANGER_PHONE)
    stranger.send(f"YES {code}")
    assert reply_to(app, db, STRANGER_PHONE) == (
        "Kinga: this phone is not registered to answer referrals. Nothing changed."
    )
    Texter(client, phone=OTHER_PROVIDER_PHONE).send(f"YES {code}")
    assert reply_to(app, db, OTHER_PROVIDER_PHONE) == (
        f"Kinga: no referral {code} for this phone. Nothing changed."
    )
    Texter(client, phone=PROVIDER_PHONE).send("NO ABCDEF")
    assert reply_to(app, db, PROVIDER_PHONE) == (
        "Kinga: no referral ABCDEF for this phone. Nothing changed."
    )
    (referral,) = referrals(db)
    assert referral.status is ReferralStatus.PENDING
    assert sent_to(app, db, CASEWORKER_PHONE, MessagePurpose.REFERRAL) == []
    assert "referral_answered" not in kinds(db, case)


@pytest.mark.parametrize("text", ["YES", "ndiyo.", "NO R0K2QX", "Yes!"])
def test_a_provider_answering_without_the_code_is_asked_for_it(
    app, client, db, redis_client, case, text
):
    """Not taken into a report's first question ("Is a child in danger right now?")."""
    code = referred(app, client, db, case)
    provider = Texter(client, phone=PROVIDER_PHONE)
    provider.send(text)
    assert reply_to(app, db, PROVIDER_PHONE) == (
        "Kinga: add the referral code from our message: YES code, or NO code and the reason. "
        "Nothing changed."
    )
    (referral,) = referrals(db)
    assert referral.status is ReferralStatus.PENDING
    provider.send(f"YES {code}")  # no conversation was started: the answer counts
    assert referrals(db)[0].status is ReferralStatus.ACCEPTED


def test_a_provider_is_asked_for_the_code_in_its_language(app, client, db, case):
    add_provider(app, "Second Clinic", phone=OTHER_PROVIDER_PHONE, languages=["sw"])
    Texter(client, phone=OTHER_PROVIDER_PHONE).send("NDIYO")
    assert reply_to(app, db, OTHER_PROVIDER_PHONE) == (
        "Kinga: ongeza msimbo wa rufaa ulio kwenye ujumbe wetu: NDIYO msimbo, au HAPANA msimbo "
        "na sababu. Hakuna kilichobadilika."
    )


def test_a_providers_yes_in_its_own_report_answers_the_question(app, client, db, case):
    """A provider's phone may report a concern too: there YES answers the dialog."""
    provider = Texter(client, phone=PROVIDER_PHONE)
    provider.send("REPORT")
    assert reply_to(app, db, PROVIDER_PHONE).startswith("Is a child in danger right now?")
    provider.send("No")
    assert reply_to(app, db, PROVIDER_PHONE).startswith("What is happening?")


def test_yes_no_words_from_anyone_else_are_a_conversation(app, client, db, case):
    """ "No chance" from a reporter is no referral answer: CHANCE is no code of ours; "YES"
    alone from a reporter is theirs to answer too."""
    Texter(client, phone=STRANGER_PHONE).send("YES")
    assert "referral" not in reply_to(app, db, STRANGER_PHONE)
    Texter(client, phone=STRANGER_PHONE).send("No chance")
    replies = sent_to(app, db, STRANGER_PHONE, MessagePurpose.REPLY)
    assert replies and "referral" not in replies[-1]


def test_no_phone_number_reaches_the_logs(app, client, db, caplog, case):
    with caplog.at_level(logging.DEBUG, logger="kinga"):
        code = referred(app, client, db, case)
        Texter(client, phone=PROVIDER_PHONE).send(f"NO {code} {REASON}")
        Texter(client, phone=STRANGER_PHONE).send(f"YES {code}")
    assert "referral" in caplog.text
    for secret in (PROVIDER_PHONE, CASEWORKER_PHONE, STRANGER_PHONE, REASON, NARRATIVE):
        assert secret not in caplog.text
        assert secret.lstrip("+") not in caplog.text
