"""``kinga areas list``, and one reading of an area on every command that takes one: the code
as listed (``047``), the short code (``47``) or the name in any case (``nairobi``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from case_store.models import User
from case_store.operations import open_case
from case_store.report_contract import Report


def test_areas_list_prints_every_code_and_name(runner):
    result = runner.invoke(args=["areas", "list", "--json"])
    assert result.exit_code == 0, result.output
    areas = json.loads(result.output)
    assert len(areas) == 47
    assert areas[0] == {"code": "001", "name": "Mombasa"}
    assert areas[-1] == {"code": "047", "name": "Nairobi"}


def test_users_create_accepts_the_code_the_short_code_or_the_name(runner, db):
    result = runner.invoke(
        args=["users", "create", "amina", "--role", "caseworker", "--area", "47",
              "--area", "MOMBASA", "--area", "047"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["areas"] == ["001", "047"]
    with db() as session:
        assert session.scalars(select(User.areas)).one() == ["001", "047"]


def test_a_misspelt_area_is_refused_with_a_hint_and_changes_nothing(runner, db):
    result = runner.invoke(args=["users", "create", "amina", "--role", "caseworker",
                                 "--area", "Nairobbi"])  # fmt: skip
    assert result.exit_code != 0
    assert "unknown area 'Nairobbi'; did you mean 047 Nairobi?" in result.output
    assert "--area" in result.output
    with db() as session:
        assert session.scalars(select(User)).all() == []


def test_cases_list_reads_areas_the_same_way(app, runner):
    rt = app.extensions["kinga"]
    answers = {
        "danger": "no", "category": "neglect", "age_band": "5_11", "sex": "girl", "area": "047",
        "relationship": "community", "callback": "no",
    }  # fmt: skip
    report = Report(
        channel="ussd",
        provider="africastalking",
        external_id="ATUid_areas",
        phone="+254722000001",
        language="en",
        answers=answers,
        started_at=datetime.now(UTC),
    )
    with rt.sessions.begin() as session:
        reference = open_case(session, rt.vault, report, now=datetime.now(UTC)).reference

    def listed(area: str) -> list[str]:
        result = runner.invoke(args=["cases", "list", "--json", "--area", area])
        assert result.exit_code == 0, result.output
        return [row["reference"].replace("-", "") for row in json.loads(result.output)]

    assert listed("047") == listed("47") == listed("nairobi") == [reference]
    assert listed("1") == []
    refused = runner.invoke(args=["cases", "list", "--area", "48"])
    assert refused.exit_code != 0 and "unknown area '48'" in refused.output
