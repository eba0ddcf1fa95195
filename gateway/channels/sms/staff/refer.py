"""``REFER 482177302 health``: a caseworker refers a case to a service provider by SMS.

The service is named in the caseworker's language or in English; the provider is the one
chosen for it (``workers.referrals.send_referral``), with the reporter's consent to services,
which the caseworker records after the call (``CALLED 482177302 CONSENT``, ``handlers.called``).
Without it, or when the reporter refused sharing with other agencies (consent to services does
not lift that refusal), a supervisor adds ``OVERRIDE`` and the reason (``REFER 482177302 health
OVERRIDE reason``), kept as an encrypted note. The verb table (``verbs``) finds the user and the
case and answers the refusals common to every command (role, area, closed case); the rest is
here. The provider's answer (``YES``/``NO`` and the code) is ``gateway.channels.sms.referrals``.
"""

from __future__ import annotations

import logging
import re

from case_store.models import Case
from case_store.operations import InvalidNote, NoConsent, PermissionDenied
from case_store.permissions import Action, allowed
from case_store.references import format_reference
from dialogs.normalise import fold_word
from dialogs.render import N_
from gateway.channels.sms.staff.handlers import Reply, Request
from workers import referral_texts as texts
from workers.referrals import AlreadyWaiting, NoProvider, send_referral
from workers.sms.queueing import TooLong

log = logging.getLogger("kinga.referral_sms")

USAGE = N_("Kinga: to refer case {reference}, reply {REFER} {ack} and one of: {services}")
NO_CONSENT = N_(
    "Kinga: the reporter has not agreed to services for case {reference}. Not referred. "
    "If they agree, reply {CALLED}{pin} {ack} {CONSENT}. "
    "A supervisor may reply {REFER}{pin} {ack} {service} OVERRIDE and the reason."
)
NO_SHARING = N_(
    "Kinga: the reporter refused sharing case {reference} with other agencies. Not referred. "
    "A supervisor may reply {REFER}{pin} {ack} {service} OVERRIDE and the reason."
)
OVERRIDE_NOT_ALLOWED = N_(
    "Not allowed: only a supervisor may refer without the reporter's consent. Nothing changed."
)
OVERRIDE_REASON = N_(
    "Kinga: write the reason after OVERRIDE, e.g. {REFER} {ack} {service} OVERRIDE and why. "
    "Nothing changed."
)
NO_PROVIDER = N_("Kinga: no {service} provider is available for {area}. Nothing changed.")
WAITING = N_(
    "Kinga: referral {code} of case {reference} for {service} is waiting for an answer. "
    "Nothing changed."
)
NOT_SENT = N_("Kinga: the referral of case {reference} could not be sent. Nothing changed.")

_OVERRIDE = re.compile(r"OVERRIDE(?![^\W\d_])[\s:.,;-]*(.*)", re.IGNORECASE | re.DOTALL)


def refer(req: Request, case: Case) -> Reply:
    """``REFER <reference> <service> [OVERRIDE reason]`` about ``case``: the reply, with the
    provider's SMS added to the request's outbox. ``PermissionDenied`` and
    ``InvalidTransition`` (the refusals every command shares) are left to the verb table;
    nothing is written then."""
    rt, user, voice, now = req.rt, req.user, req.voice, req.now
    rest = req.command.rest
    translations = voice.translations
    values = {"reference": format_reference(case.reference), "ack": case.reference}
    words = rest.split(maxsplit=1)
    service = texts.service_words(translations).get(fold_word(words[0])) if words else None
    if service is None:
        names = ", ".join(texts.service_word(s, translations) for s in texts.SERVICE_WORDS)
        return Reply(voice.say(USAGE, services=names, **values), "refused: usage", case)
    values["service"] = texts.service_word(service, translations)
    override = _OVERRIDE.fullmatch(words[1]) if len(words) > 1 else None
    reason = override.group(1).strip() if override is not None else None
    try:
        referral, rows = send_referral(
            req.db,
            rt.vault,
            case,
            service,
            actor=user,
            profile=rt.profile,
            max_segments=rt.settings.sms_max_segments,
            now=now,
            override_reason=reason,
        )
    except NoConsent:
        if case.consent_share is False:  # consent to services does not lift that refusal
            return Reply(voice.say(NO_SHARING, **values), "refused: no sharing", case)
        return Reply(voice.say(NO_CONSENT, **values), "refused: no consent", case)
    except InvalidNote:
        return Reply(voice.say(OVERRIDE_REASON, **values), "refused: override reason", case)
    except AlreadyWaiting as waiting:
        return Reply(
            voice.say(WAITING, code=waiting.referral.code, **values), "refused: waiting", case
        )
    except NoProvider:
        location = rt.profile.location(case.location_code)
        area = location.name if location is not None else case.location_code
        return Reply(voice.say(NO_PROVIDER, area=area, **values), "refused: no provider", case)
    except TooLong as exc:
        log.error("referral of case %s by user %s not sent: %s", case.id, user.id, exc)
        return Reply(voice.say(NOT_SENT, **values), "refused: not sent", case)
    except PermissionDenied:
        if reason is not None and allowed(user, Action.REFER, case):
            return Reply(voice.say(OVERRIDE_NOT_ALLOWED), "refused: override", case)
        raise
    req.outbox.extend(rows)
    provider = referral.service_provider.name
    text = voice.say(texts.REFERRED, provider=provider, code=referral.code, **values)
    return Reply(text, "referred", case)
