"""Primero's webhooks: the x-api-key header, a status or workflow change applied once through
the named operations (owing the reporter a follow-up), replays and older updates ignored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from primero_cases import WEBHOOK_KEY, open_report, state
from sqlalchemy import func, select

from case_store.enums import CaseStatus, EventKind, WorkflowStage
from case_store.models import Case, CaseEvent, OutboxRow
from workers.primero.sync import sync_case

URL = "/primero/webhook"


def post(client, body: object, key: str | None = WEBHOOK_KEY):
    headers = {} if key is None else {"x-api-key": key}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(URL, data=data, headers=headers, content_type="application/json")


def update(primero_id: str, at: datetime, **fields: str) -> dict[str, object]:
    data = {"id": primero_id, "last_updated_at": at.isoformat(), **fields}
    return {"event": "case.update", "data": data}


def snapshot(rt, case_id: int) -> tuple[object, ...]:
    with rt.sessions() as db:
        case = db.get(Case, case_id)
        events = db.scalar(select(func.count()).where(CaseEvent.case_id == case_id))
        outbox = db.scalar(select(func.count()).select_from(OutboxRow))
        return case.status, case.workflow_stage, case.follow_up_due_at, events, outbox


@pytest.fixture
def synced(rt, fake_primero, primero_jobs) -> tuple[int, str]:
    case_id, _rows = open_report(rt, sms_updates="yes")
    assert sync_case(case_id) == "synced"
    primero_id = state(rt, case_id)["primero_id"]
    assert primero_id is not None
    return case_id, primero_id


@pytest.mark.parametrize("key", [None, "", "wrong-key", WEBHOOK_KEY + "x"])
def test_a_webhook_without_the_key_is_refused_and_changes_nothing(rt, primero_client, synced, key):
    case_id, primero_id = synced
    before = snapshot(rt, case_id)
    response = post(primero_client, update(primero_id, datetime.now(UTC), status="closed"), key)
    assert response.status_code == 403
    assert snapshot(rt, case_id) == before


@pytest.mark.parametrize(
    "body",
    [b"not json", {"data": "x"}, {"event": "case.update", "data": {}}, {"data": {"id": 7}}],
)
def test_an_unreadable_webhook_is_a_400_and_changes_nothing(rt, primero_client, synced, body):
    case_id, _primero_id = synced
    before = snapshot(rt, case_id)
    assert post(primero_client, body).status_code == 400
    assert snapshot(rt, case_id) == before


def test_a_close_in_primero_closes_the_case_once_and_owes_a_follow_up(
    rt, primero_client, synced, fake_primero
):
    case_id, primero_id = synced
    at = datetime.now(UTC)
    body = update(primero_id, at, status="closed", workflow="closed")

    assert post(primero_client, body).status_code == 204
    after = snapshot(rt, case_id)
    assert post(primero_client, body).status_code == 204  # Primero's replay
    older = update(primero_id, at - timedelta(minutes=5), status="open", workflow="new")
    assert post(primero_client, older).status_code == 204  # arrives late: ignored

    assert snapshot(rt, case_id) == after
    status, stage, follow_up_due, _events, _outbox = after
    assert status is CaseStatus.CLOSED and stage is WorkflowStage.CLOSED
    assert follow_up_due is not None
    with rt.sessions() as db:
        closed = db.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "closed")
        ).one()
        assert closed.actor == "primero"
    assert sync_case(case_id) == "up_to_date"  # nothing is sent back to Primero
    assert fake_primero.requests_to("PATCH") == []


def test_a_workflow_step_and_a_reopening_in_primero(rt, primero_client, synced):
    case_id, primero_id = synced
    at = datetime.now(UTC)
    assert post(primero_client, update(primero_id, at, workflow="case_plan")).status_code == 204
    assert snapshot(rt, case_id)[1] is WorkflowStage.CASE_PLAN
    closed = update(primero_id, at + timedelta(seconds=1), status="closed")
    reopened = update(primero_id, at + timedelta(seconds=2), status="open", workflow="reopened")
    assert post(primero_client, closed).status_code == 204
    assert post(primero_client, reopened).status_code == 204

    status, stage, *_rest = snapshot(rt, case_id)
    assert (status, stage) == (CaseStatus.OPEN, WorkflowStage.ASSESSMENT)
    with rt.sessions() as db:
        kinds = db.scalars(
            select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).all()
    assert kinds[-3:] == [EventKind.WORKFLOW_CHANGED, EventKind.CLOSED, EventKind.REOPENED]


def test_a_record_kinga_did_not_send_is_ignored(rt, primero_client, synced):
    case_id, _primero_id = synced
    before = snapshot(rt, case_id)
    body = {"event": "case.create", "data": {"id": "0f7c", "status": "closed"}}
    assert post(primero_client, body).status_code == 204
    assert snapshot(rt, case_id) == before
