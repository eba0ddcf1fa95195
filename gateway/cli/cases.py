"""``kinga cases show|list|unlink``: administrator commands on the cases.

Output is JSON for scripts. Personal fields (reporter number, place, narrative) are masked
unless ``--reveal`` is given, and every reveal is itself an audit event on the case.
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
from case_store.models import Case, CaseEvent
from case_store.operations import InvalidTransition, record_reveal, unlink_repeat
from case_store.queries.cases import find_case_by_reference, is_overdue, list_cases
from case_store.queries.messages import case_messages
from case_store.queries.users import list_users
from case_store.references import format_reference
from gateway.cli.areas import area_codes
from gateway.cli.case_timeline import render_case, timeline
from gateway.runtime import Runtime, runtime

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
        if not as_json and case.notes:
            revealed.append("notes")
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
        },
        "repeat": {
            "of": format_reference(case.repeat_of.reference) if case.repeat_of else None,
            "reason": case.repeat_reason.value if case.repeat_reason else None,
            "confirmed": case.repeat_confirmed,
        },
        "merged_into": format_reference(case.merged_into.reference) if case.merged_into else None,
        "primero": {"id": case.primero_id, "sync_state": case.primero_sync_state.value},
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
