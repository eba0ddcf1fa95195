"""``kinga run`` as operators meet it: a USSD report made over HTTP shows on ``/metrics`` (the
gateway's gunicorn workers and the worker's jobs counting in ``var/metrics``), and its JSON
log lines, from the gateway and from the job that sent its alert, share the request id the
webhook was answered with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from processes import wait_until
from prometheus_client.parser import text_string_to_metric_families
from test_kinga_run import KingaRun
from ussd_client import PHONE, REPORT_ANSWERS

CASEWORKER_PHONE = "+254700111001"
REQUEST_ID = "edge-report-0001"


@pytest.fixture(scope="module")
def kinga_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KingaRun]:
    folder = tmp_path_factory.mktemp("observed")
    changes = {"KINGA_LOG_FORMAT": "json", "PROMETHEUS_MULTIPROC_DIR": None}
    run = KingaRun.start(folder, changes)
    yield run
    run.stop()


def kinga(run: KingaRun, *args: str) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("KINGA_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env["KINGA_VAR_DIR"] = str(run.var)
    subprocess.run([sys.executable, "-m", "gateway", *args], env=env, check=True)


def hop(run: KingaRun, text: str, request_id: str | None = None) -> tuple[str, str]:
    key = json.loads((run.var / "secrets.json").read_text())["KINGA_AT_WEBHOOK_KEY"]
    form = {"sessionId": "ATUid_run", "serviceCode": "*384*116#", "phoneNumber": PHONE}
    headers = {"X-Request-ID": request_id} if request_id else {}
    request = Request(
        f"http://127.0.0.1:{run.port}/ussd/africastalking?key={key}",
        data=urlencode({**form, "text": text}).encode(),
        headers=headers,
    )
    with urlopen(request, timeout=10) as answer:  # noqa: S310 (our own loopback address)
        return answer.read().decode(), answer.headers["X-Request-ID"]


def metrics(run: KingaRun) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urlopen(f"http://127.0.0.1:{run.port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def json_lines(run: KingaRun) -> list[dict]:
    lines = []
    for line in run.output().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_a_report_shows_on_metrics_and_its_log_lines_share_its_request_id(
    kinga_run: KingaRun,
) -> None:
    kinga(kinga_run, "users", "create", "wanjiru", "--role", "caseworker",
          "--phone", CASEWORKER_PHONE, "--area", "001", "--on-call")  # fmt: skip
    answers: list[str] = []
    hop(kinga_run, "")
    for answer in REPORT_ANSWERS[:-1]:
        answers.append(answer)
        hop(kinga_run, "*".join(answers))
    screen, echoed = hop(kinga_run, "*".join([*answers, REPORT_ANSWERS[-1]]), REQUEST_ID)
    assert screen.startswith("END ") and echoed == REQUEST_ID

    def alert_sent() -> list[dict]:
        return [
            line
            for line in json_lines(kinga_run)
            if line.get("request_id") == REQUEST_ID and line.get("job_id")
            and line["message"].endswith("accepted by log")
        ]  # fmt: skip

    [sent] = wait_until(alert_sent, "the alert's job to log under the request id")
    ours = [line for line in json_lines(kinga_run) if line.get("request_id") == REQUEST_ID]
    assert any(line["message"].startswith("case opened from ussd") for line in ours)
    assert any(line["logger"] == "kinga.jobs" and line["job_id"] == sent["job_id"] for line in ours)

    def counted() -> dict | None:
        samples = metrics(kinga_run)
        sent_by_job = samples.get(
            ("kinga_messages_total", frozenset({("provider", "log"), ("status", "sent")}))
        )
        return samples if sent_by_job else None

    samples = wait_until(counted, "the job's count on /metrics")
    assert samples[("kinga_reports_total", frozenset({("level", "low")}))] == 1
    webhook = frozenset({("endpoint", "/ussd/africastalking"), ("provider", "africastalking")})
    assert samples[("kinga_webhook_seconds_count", webhook)] == len(REPORT_ANSWERS) + 1
    assert (kinga_run.var / "metrics").is_dir()
    output = kinga_run.output()
    for secret in (PHONE, PHONE[1:], CASEWORKER_PHONE, CASEWORKER_PHONE[1:]):
        assert secret not in output


def test_metrics_files_are_kept_in_var(kinga_run: KingaRun) -> None:
    folder: Path = kinga_run.var / "metrics"
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)
    assert list(folder.glob("*.db"))


def test_a_worker_started_alone_sets_the_directory_and_keeps_the_live_counts(
    kinga_run: KingaRun,
) -> None:
    """Without the variable, ``kinga worker`` sets it to ``var/metrics`` and starts again
    (prometheus-client reads it on import). Cleaning the directory as it starts removes only
    what processes no longer running left: the gateway's counts stay."""
    before = metrics(kinga_run).get(
        ("kinga_alerts_total", frozenset({("kind", "new_case"), ("outcome", "sent")})), 0.0
    )
    kinga(kinga_run, "worker", "--burst")

    after = metrics(kinga_run).get(
        ("kinga_alerts_total", frozenset({("kind", "new_case"), ("outcome", "sent")})), 0.0
    )
    assert after == before >= 1
    assert (kinga_run.var / "metrics" / ".lock").exists()
