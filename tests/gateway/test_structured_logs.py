"""Structured logs: one JSON object a line, every field masked, and a request id that follows a
USSD report from its webhook into the job that sends its alert."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ussd_client import PHONE, REPORT_ANSWERS, Caller

from case_store.operations import create_user
from gateway import logs

CASEWORKER_PHONE = "+254700111001"
Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def json_lines(tmp_path: Path) -> Iterator[Lines]:
    """The root logger writing JSON lines to a file, as in production: line-buffered, so a
    work horse RQ forks writes its lines there too."""
    path = tmp_path / "kinga.log"
    stream = path.open("a", buffering=1, encoding="utf-8")
    handler = logs.json_handler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)
    stream.close()


def test_the_web_lines_and_the_job_lines_of_a_report_share_its_request_id(
    app, client, runner, json_lines: Lines
) -> None:
    rt = app.extensions["kinga"]
    with rt.sessions.begin() as session:
        create_user(
            session,
            rt.vault,
            username="wanjiru",
            role="caseworker",
            phone=CASEWORKER_PHONE,
            areas=["001"],
            on_call=True,
            now=datetime.now(UTC),
        )

    Caller(client).report(REPORT_ANSWERS)
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output

    lines = json_lines()
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert all(datetime.fromisoformat(line["time"]).tzinfo is not None for line in lines)
    [opened] = [line for line in lines if line["message"].startswith("case opened from ussd")]
    request_id = opened["request_id"]
    assert request_id and opened["job_id"] is None
    jobs = [line for line in lines if line["job_id"] is not None]
    started = [line for line in jobs if line["logger"] == "kinga.jobs"]
    assert len(started) == 1 and "send_urgent" in started[0]["message"]
    job_id = started[0]["job_id"]
    sent = [line for line in jobs if line["message"].endswith("accepted by log")]
    assert [(line["request_id"], line["job_id"]) for line in sent] == [(request_id, job_id)]
    text = "\n".join(json.dumps(line) for line in lines)
    for secret in (PHONE, PHONE[1:], CASEWORKER_PHONE, CASEWORKER_PHONE[1:], "Kibera"):
        assert secret not in text


def test_a_safe_request_id_is_kept_and_echoed_any_other_is_replaced(client) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "edge-4f2c9a1b"})
    assert kept.headers["X-Request-ID"] == "edge-4f2c9a1b"

    for unsafe in ("+254711000456", "254711000456", "short", "x" * 200, "a b c d e f g h"):
        answer = client.get("/healthz", headers={"X-Request-ID": unsafe})
        made = answer.headers["X-Request-ID"]
        assert made != unsafe and len(made) == 16
    assert client.get("/healthz").headers["X-Request-ID"] != made


def test_a_phone_in_any_field_of_a_record_comes_out_masked(json_lines: Lines) -> None:
    log = logging.getLogger("kinga.test")
    try:
        raise ValueError("no route to 254711000456")
    except ValueError:
        log.exception(
            "call from %s",
            "0711000456",
            extra={
                "caller": "+254711000456",
                "numbers": {"to": ["254711000456", "ok"], "raw": 254711000456},
                "case_id": 42,
            },
        )

    [line] = json_lines()
    assert line["message"] == "call from 07•••••456"
    assert line["caller"] == "+2547•••••456"
    assert line["numbers"] == {"to": ["2547•••••456", "ok"], "raw": "2547•••••456"}
    assert line["case_id"] == 42
    assert "ValueError: no route to 2547•••••456" in line["exc_info"]
    assert "711000456" not in json.dumps(line)
