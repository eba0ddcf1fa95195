"""``kinga cases show|list|unlink|refer``: administrator commands on the cases.

Output is JSON for scripts. Personal fields (reporter number, place, narrative) are masked
unless ``--reveal`` is given, and every reveal is itself an audit event on the case.
``refer`` acts as a named user (``--as``): the referral is theirs, checked against their role
and areas, and the provider is given their work phone.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click
from flask.cli import with_appcontext

from case_store.crypto import Vault
from case_store.enums import CaseStatus, RiskLevel
from case_store.masking import mask_phone
from case_store.models import Case, CaseEvent, Referral
from case_store.operations import (
    InvalidNote,
    InvalidTransition,
    NoConsent,
    PermissionDenied,
    record_reveal,
    unlink_repeat,
)
from case_store.queries.cases import find_case_by_reference, is_overdue, list_cases
from case_store.queries.messages import case_messages
from case_store.queries.users import find_user, list_users
from case_store.references import format_reference
from case_store.service_types import SERVICE_TYPES, service_type
from gateway.case_timeline import render_case, revealed_by, timeline
from gateway.cli.areas import area_codes
from gateway.runtime import Runtime, runtime
from workers.dispatch import dispatch
from workers.referrals import AlreadyWaiting, NoProvider, NoWorkPhone, send_referral
from workers.sms.queueing import TooLong

HIDDEN = "[hidden]"
CLI_ACTOR = "admin_cli"
REVEALED_FIELDS = ("narrative", "place", "reporter_phone")


@click.group("cases")
def cases_group() -> None:
    """Look at cases (personal fields masked unless --reveal).

    Example: kinga cases list --overdue
    """


@cases_group.command("show")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts (default: readable text).")
@click.option("--reveal", is_flag=True, help="Show personal fields in clear; this is audited.")
@with_appcontext
def cases_show(reference: str, as_json: bool, reveal: bool) -> None:
    """Print the case with REFERENCE (482-177-302 or 482177302) and its timeline: audit
    events, notes (decrypted; the view is audited) and messages (numbers masked).

    Example: kinga cases show 482-177-302
    """
    rt = runtime()
    now = datetime.now(UTC)
    with rt.sessions.begin() as session:
        case = find_case_by_reference(session, reference)
        if case is None:
            raise click.ClickException("no case with that reference")
        revealed = [f for f in REVEALED_FIELDS if reveal and _encrypted(case, f) is not None]
        if not as_json:
            revealed += revealed_by(case)
        if revealed:
            record_reveal(session, case, revealed, now=now, actor_label=CLI_ACTOR)
        if as_json:
            output = json.dumps(case_document(rt, case, now=now, reveal=reveal), ensure_ascii=False)
        else:
            users = {user.id: user.username for user in list_users(session)}
            lines = timeline(case, case_messages(session, case.id), rt.vault, users)
            personal = _personal(rt.vault, case, reveal)
            output = render_case(case, lines, profile=rt.profile, personal=personal)
    click.echo(output)


@cases_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One line of JSON (default: indented).")
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice([s.value for s in CaseStatus])
)
@click.option("--area", "areas", multiple=True, help="Area code or name; repeat for several.")
@click.option("--level", "levels", multiple=True, type=click.Choice([lv.value for lv in RiskLevel]))
@click.option("--overdue", is_flag=True, help="Only active cases past a deadline.")
@click.option(
    "--unalerted", is_flag=True, help="Only cases whose alert reached nobody (nobody on call)."
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@with_appcontext
def cases_list(
    as_json: bool,
    statuses: tuple[str, ...],
    areas: tuple[str, ...],
    levels: tuple[str, ...],
    overdue: bool,
    unalerted: bool,
    limit: int,
) -> None:
    """Print cases matching every filter, soonest deadline first (no personal fields).

    Example: kinga cases list --json --level immediate --area 047
    """
    rt = runtime()
    now = datetime.now(UTC)
    codes = area_codes(rt.profile, areas)
    with rt.sessions() as session:
        cases = list_cases(
            session,
            statuses=[CaseStatus(s) for s in statuses] or None,
            location_codes=codes or None,
            levels=[RiskLevel(lv) for lv in levels] or None,
            overdue_at=now if overdue else None,
            unalerted_only=unalerted,
            limit=limit,
        )
        rows = [case_summary(case, now=now) for case in cases]
    click.echo(json.dumps(rows, indent=2 if not as_json else None, ensure_ascii=False))


@cases_group.command("unlink")
@click.argument("reference")
@with_appcontext
def cases_unlink(reference: str) -> None:
    """Undo the repeat link of the case with REFERENCE (audited): both cases carry on apart.

    Example: kinga cases unlink 482-177-302
    """
    rt = runtime()
    with rt.sessions.begin() as session:
        case = find_case_by_reference(session, reference)
        if case is None:
            raise click.ClickException("no case with that reference")
        original = case.repeat_of
        try:
            unlink_repeat(session, case, now=datetime.now(UTC), actor_label=CLI_ACTOR)
        except InvalidTransition:
            raise click.ClickException("that case is not linked to another case") from None
        assert original is not None
        click.echo(
            f"case {format_reference(case.reference)} no longer linked to "
            f"{format_reference(original.reference)}"
        )


@cases_group.command("refer")
@click.argument("reference")
@click.option("--service", required=True, type=click.Choice(list(SERVICE_TYPES)))
@click.option(
    "--as",
    "username",
    required=True,
    help="The caseworker or supervisor referring: the provider gets their work phone.",
)
@click.option(
    "--override-reason",
    help="Refer without the reporter's consent (supervisors only): why. Audited.",
)
@with_appcontext
def cases_refer(reference: str, service: str, username: str, override_reason: str | None) -> None:
    """Refer the case with REFERENCE to a provider of SERVICE in its area and text the provider
    (as REFER by SMS does). Needs the reporter's consent to services (recorded by the caseworker
    with CALLED 482177302 CONSENT by SMS), or a supervisor's --override-reason (kept as an
    encrypted note on the case).

    Example: kinga cases refer 482-177-302 --service health --as wanjiru
    """
    rt = runtime()
    with rt.sessions.begin() as session:
        case = find_case_by_reference(session, reference)
        if case is None:
            raise click.ClickException("no case with that reference")
        user = find_user(session, username)
        if user is None:
            raise click.ClickException(f"no user named {username!r} (`kinga users list`)")
        try:
            referral, rows = send_referral(
                session,
                rt.vault,
                case,
                SERVICE_TYPES[service],
                actor=user,
                profile=rt.profile,
                max_segments=rt.settings.sms_max_segments,
                now=datetime.now(UTC),
                override_reason=override_reason,
            )
        except (NoConsent, InvalidNote, PermissionDenied, InvalidTransition) as exc:
            raise click.ClickException(_refusal(exc, username, override_reason)) from None
        except AlreadyWaiting as waiting:
            raise click.ClickException(
                f"referral {waiting.referral.code} for {service} waits for its provider's answer"
            ) from None
        except NoWorkPhone:
            raise click.ClickException(
                f"{username!r} has no work phone: the provider would have nobody to call"
            ) from None
        except NoProvider:
            raise click.ClickException(
                f"no active {service} provider for area {case.location_code} that this case was "
                "not sent to already (`kinga services list`)"
            ) from None
        except TooLong as exc:
            raise click.ClickException(str(exc)) from None
        document = referral_document(referral)
    dispatch(rt.redis, rows)
    click.echo(json.dumps(document, ensure_ascii=False))


def _refusal(exc: Exception, username: str, override_reason: str | None) -> str:
    if isinstance(exc, NoConsent):
        return (
            "the reporter has not agreed to services (or refused sharing); the caseworker "
            "records their consent with CALLED <reference> CONSENT by SMS, or a supervisor may "
            "refer with --override-reason"
        )
    if isinstance(exc, InvalidNote):
        return "--override-reason needs a reason"
    if isinstance(exc, PermissionDenied):
        without = " without consent (supervisors only)" if override_reason is not None else ""
        return f"{username!r} may not refer this case{without}"
    return f"not referred: {exc}"


def referral_document(referral: Referral) -> dict[str, Any]:
    return {
        "code": referral.code,
        "service": service_type(referral.service),
        "provider": referral.service_provider.name,
        "provider_id": referral.service_provider_id,
        "status": referral.status.value,
        "referred_by": referral.created_by.username,
        "created_at": referral.created_at.isoformat(),
        "reminded_at": _iso(referral.reminded_at),
        "unanswered_at": _iso(referral.unanswered_at),
        "answered_at": _iso(referral.answered_at),
    }


def case_summary(case: Case, *, now: datetime) -> dict[str, Any]:
    """What a list shows: no free text, no number."""
    return {
        "reference": format_reference(case.reference),
        "status": case.status.value,
        "stage": case.workflow_stage.value,
        "level": case.risk_level.value,
        "immediate_danger": case.immediate_danger,
        "category": case.category.value,
        "location_code": case.location_code,
        "created_at": case.created_at.isoformat(),
        "assign_by": case.assign_by.isoformat(),
        "first_contact_by": case.first_contact_by.isoformat(),
        "assigned": case.assigned_to_id is not None,
        "overdue": is_overdue(case, now),
        "alert_pending_since": _iso(case.alert_pending_since),
        "repeat_of": format_reference(case.repeat_of.reference) if case.repeat_of else None,
    }


def case_document(rt: Runtime, case: Case, *, now: datetime, reveal: bool) -> dict[str, Any]:
    mapping = rt.profile.categories.get(case.category)
    return {
        "reference": format_reference(case.reference),
        "status": case.status.value,
        "closure_reason": case.closure_reason.value if case.closure_reason else None,
        "stage": case.workflow_stage.value,
        "level": case.risk_level.value,
        "immediate_danger": case.immediate_danger,
        "categories": [case.category.value],
        "category_mappings": {
            "primero_protection_concerns": list(mapping.primero_protection_concerns),
            "chi_category": mapping.chi_category,
        }
        if mapping
        else None,
        "child": {
            "age_band": case.child_age_band.value,
            "age_years": case.child_age_years,
            "age_estimated": case.child_age_estimated,
            "sex": case.child_sex.value,
        },
        "location_code": case.location_code,
        "reporter_relationship": case.reporter_relationship.value,
        "perpetrator": {
            "relationship": case.perpetrator_relationship.value
            if case.perpetrator_relationship
            else None,
            "lives_with_child": case.perpetrator_lives_with_child,
        },
        "created_at": case.created_at.isoformat(),
        "deadlines": {
            "assign_by": case.assign_by.isoformat(),
            "first_contact_by": case.first_contact_by.isoformat(),
            "first_contacted_at": _iso(case.first_contacted_at),
            "overdue": is_overdue(case, now),
        },
        "alerts": {
            "pending_since": _iso(case.alert_pending_since),
            "fallback_at": _iso(case.fallback_alerted_at),
        },
        "assignment": {
            "assigned_to": case.assigned_to.username if case.assigned_to else None,
            "assigned_at": _iso(case.assigned_at),
            "acknowledged_at": _iso(case.acknowledged_at),
        },
        "consent": {
            "services": case.consent_services,
            "share": case.consent_share,
            "callback": case.callback_consent,
            "callback_time": case.callback_time.value if case.callback_time else None,
            "sms_updates": case.sms_consent,
        },
        "follow_up": {
            "due_at": _iso(case.follow_up_due_at),
            "last_sent_at": _iso(case.follow_up_sent_at),
        },
        "repeat": {
            "of": format_reference(case.repeat_of.reference) if case.repeat_of else None,
            "reason": case.repeat_reason.value if case.repeat_reason else None,
            "confirmed": case.repeat_confirmed,
        },
        "merged_into": format_reference(case.merged_into.reference) if case.merged_into else None,
        "referrals": [referral_document(referral) for referral in case.referrals],
        "primero": {
            "id": case.primero_id,
            "sync_state": case.primero_sync_state.value,
            "error": case.primero_error,
            "attempts": case.primero_attempts,
            "last_attempt_at": _iso(case.primero_last_attempt_at),
        },
        "personal": _personal(rt.vault, case, reveal),
        "audit": [_event(event) for event in case.events],
    }


def _personal(vault: Vault, case: Case, reveal: bool) -> dict[str, str | None]:
    result: dict[str, str | None] = {}
    for name in REVEALED_FIELDS:
        token = _encrypted(case, name)
        if token is None:
            result[name] = None
        elif reveal:
            result[name] = vault.decrypt(token)
        elif name == "reporter_phone":
            result[name] = mask_phone(vault.decrypt(token))
        else:
            result[name] = HIDDEN
    return result


def _encrypted(case: Case, name: str) -> bytes | None:
    if name == "narrative":
        return case.narrative_encrypted
    if name == "place":
        return case.place_encrypted
    return case.reporter.phone_encrypted if case.reporter else None


def _event(event: CaseEvent) -> dict[str, Any]:
    return {
        "kind": event.kind.value,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "actor_user_id": event.actor_user_id,
        "data": event.data,
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
