"""``kinga worker`` (and so ``kinga run``) warns once, as it starts, of the areas that have
nobody on call at some time in the next 24 hours."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from staff import NAIROBI, NAIROBI_PHONE, SUPERVISOR_PHONE, add_staff

from case_store.db import make_engine, make_sessionmaker
from workers.coverage import warn_uncovered_areas


def start_worker(runner, caplog) -> list[str]:
    with caplog.at_level(logging.WARNING, logger="kinga.coverage"):
        result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    return [record.getMessage() for record in caplog.records if record.name == "kinga.coverage"]


def test_the_worker_warns_once_of_areas_with_nobody_on_call(app, runner, caplog):
    add_staff(app, "chebet", "caseworker", NAIROBI_PHONE, areas=[NAIROBI], on_call=True)
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE, areas=["001"])  # off call
    (warning,) = start_worker(runner, caplog)
    assert warning.startswith("nobody on call in the next 24 hours for 46 areas: 001 Mombasa, ")
    assert "046 Nyamira" in warning and "047 Nairobi" not in warning
    assert "pending" in warning and "fallback" in warning


def test_gaps_are_named_by_day_and_hour(app, runner, caplog):
    rt = app.extensions["kinga"]
    add_staff(app, "chebet", "supervisor", NAIROBI_PHONE, on_call=True)
    assert start_worker(runner, caplog) == []
    result = runner.invoke(
        args=["users", "on-call", "chebet", "--off", "--window", "Mon-Sun 08:00-20:00"]
    )
    assert result.exit_code == 0, result.output
    (warning,) = start_worker(runner, caplog)
    assert "for 47 areas: every area (" in warning and "20:00" in warning
    assert "Mombasa" not in warning  # not the whole list when no area is covered
    assert rt.profile.time_zone.key in warning


def test_a_roster_it_cannot_read_is_logged_and_does_not_stop_the_worker(app, tmp_path, caplog):
    unmigrated = make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    with caplog.at_level(logging.ERROR, logger="kinga.coverage"):
        found = warn_uncovered_areas(
            unmigrated, app.extensions["kinga"].profile, now=datetime.now(UTC)
        )
    assert found == 0
    assert "could not read the roster" in caplog.text
