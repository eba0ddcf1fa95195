"""``/metrics`` after a scripted USSD report: its names and labels, what the web app and the
worker's jobs counted (through prometheus-client's files, as under gunicorn and RQ), the
gauges read at scrape time, and who may read it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from ussd_client import PHONE, REPORT_ANSWERS, Caller

from case_store.models import Case
from case_store.operations import create_user
from gateway import create_app
from gateway.metrics import files

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
WEBHOOK = frozenset({("endpoint", "/ussd/africastalking"), ("provider", "africastalking")})
CASEWORKER_PHONE = "+254700111001"
TOKEN = "metrics-token-of-at-least-32-bytes-long"


def scrape(client, **kwargs) -> tuple[Samples, str]:
    answer = client.get("/metrics", **kwargs)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    text = answer.get_data(as_text=True)
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return samples, text


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_a_ussd_report_and_its_jobs_show_in_the_metrics(app, client, runner):
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
    before, _ = scrape(client)

    Caller(client).report(REPORT_ANSWERS)
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    after, text = scrape(client)

    hops = len(REPORT_ANSWERS) + 1
    assert delta(before, after, "kinga_webhook_seconds_count", **dict(WEBHOOK)) == hops
    buckets = {labels for name, labels in after if name == "kinga_webhook_seconds_bucket"}
    assert WEBHOOK | {("le", "+Inf")} in buckets
    assert delta(before, after, "kinga_dialog_completions_total", channel="ussd") == 1
    assert delta(before, after, "kinga_reports_total", level="low") == 1
    assert delta(before, after, "kinga_alerts_total", kind="new_case", outcome="sent") == 1
    # The alert, sent by the worker's job (a forked work horse) through the ``log`` provider.
    assert delta(before, after, "kinga_messages_total", provider="log", status="sent") == 1
    for name in ("kinga_queue_jobs", "kinga_failed_jobs"):
        assert {labels for n, labels in after if n == name} == {
            frozenset({("queue", q)}) for q in ("urgent", "default", "slow")
        }
    assert after[("kinga_up", frozenset({("part", "redis")}))] == 1
    assert after[("kinga_up", frozenset({("part", "database")}))] == 1
    for secret in (PHONE, PHONE[1:], CASEWORKER_PHONE, CASEWORKER_PHONE[1:], "Kibera"):
        assert secret not in text
    label_names = {name for _metric, labels in after for name, _value in labels}
    assert label_names <= {
        "endpoint", "provider", "channel", "question", "level", "kind", "outcome", "status",
        "queue", "deadline", "part", "le",
    }  # fmt: skip


def test_a_session_dropped_on_a_question_counts_once_under_that_question(app, client):
    caller = Caller(client, session_id="ATUid_dropped")
    caller.dial()
    caller.answer("1")
    rt = app.extensions["kinga"]
    question = rt.ussd_sessions.load("africastalking", caller.session_id).state["node"]
    before, _ = scrape(client)
    ended = {
        "sessionId": caller.session_id,
        "phoneNumber": PHONE,
        "status": "Incomplete",
        "durationInMillis": "42000",
        "serviceCode": "*384*116#",
    }
    key = rt.settings.at_webhook_key

    for _notice in range(2):  # the provider's retry changes nothing
        answer = client.post(f"/ussd/africastalking/events?key={key}", data=ended)
        assert answer.status_code == 200
    after, _ = scrape(client)

    assert (
        delta(before, after, "kinga_dialog_dropoffs_total", channel="ussd", question=question) == 1
    )


def test_overdue_cases_and_missed_calls_are_read_at_scrape_time(app, client, db):
    Caller(client).report(REPORT_ANSWERS)
    key = app.extensions["kinga"].settings.at_webhook_key
    flash = {"isActive": "1", "sessionId": "ATVId_m", "direction": "Inbound", "callerNumber": PHONE}
    assert client.post(f"/voice/africastalking?key={key}", data=flash).status_code == 200
    with db.begin() as session:
        case = session.query(Case).one()
        case.assign_by = datetime.now(UTC) - timedelta(minutes=1)

    samples, _ = scrape(client)

    assert samples[("kinga_overdue_cases", frozenset({("deadline", "assign")}))] == 1
    assert samples[("kinga_missed_calls_waiting", frozenset())] == 1


@pytest.fixture
def guarded(settings, db, redis_client) -> Iterator:
    def build(**changes):
        app = create_app(replace(settings, **changes))
        app.config["TESTING"] = True
        return app.test_client()

    yield build


def test_with_a_token_only_its_bearer_may_read(guarded):
    client = guarded(metrics_token=TOKEN)

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401
    public = {"REMOTE_ADDR": "41.90.64.9"}
    granted = client.get(
        "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, environ_base=public
    )
    assert granted.status_code == 200


@pytest.mark.parametrize(
    ("address", "status"),
    [("127.0.0.1", 200), ("10.1.2.3", 200), ("192.168.0.5", 200), ("::1", 200),
     ("41.90.64.9", 403), ("8.8.8.8", 403), ("2001:4860::8888", 403)],
)  # fmt: skip
def test_without_a_token_only_private_addresses_may_read(guarded, address, status):
    client = guarded()
    answer = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert answer.status_code == status


def test_through_an_untrusted_proxy_the_address_is_not_believed(guarded):
    client = guarded()
    forwarded = {"X-Forwarded-For": "10.0.0.7"}
    assert client.get("/metrics", headers=forwarded).status_code == 403


def test_behind_a_trusted_proxy_the_client_address_decides(guarded):
    client = guarded(trusted_proxies=1)
    loopback = {"REMOTE_ADDR": "127.0.0.1"}
    outside = client.get("/metrics", headers={"X-Forwarded-For": "8.8.8.8"}, environ_base=loopback)
    inside = client.get("/metrics", headers={"X-Forwarded-For": "10.0.0.7"}, environ_base=loopback)
    assert (outside.status_code, inside.status_code) == (403, 200)


COUNT_AND_EXIT = """
import sys
from prometheus_client import Counter
Counter("kinga_probe", "A probe.", ["part"]).labels(part=sys.argv[1]).inc(int(sys.argv[2]))
"""


def test_dead_processes_files_fold_into_the_archive_and_keep_their_counts(tmp_path: Path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(folder)}
    for part, count in (("a", 2), ("a", 3), ("b", 1)):
        subprocess.run(
            [sys.executable, "-c", COUNT_AND_EXIT, part, str(count)], env=env, check=True
        )
    assert len(list(folder.glob("counter_*.db"))) == 3

    collected = {
        (sample.name, sample.labels.get("part")): sample.value
        for family in files.FilesCollector(folder).collect()
        for sample in family.samples
    }

    assert collected == {("kinga_probe_total", "a"): 5.0, ("kinga_probe_total", "b"): 1.0}
    assert [p.name for p in folder.glob("counter_*.db")] == ["counter_archive.db"]
    again = files.FilesCollector(folder).collect()
    assert {(s.labels["part"], s.value) for f in again for s in f.samples} == {
        ("a", 5.0),
        ("b", 1.0),
    }


# A process that keeps counting in the shared folder while others scrape it and start: its
# files grow past their first memory map (many label values) as it goes, and it only stops
# once the test says so.
COUNT_UNTIL_TOLD = """
import sys, time
from pathlib import Path
from prometheus_client import Counter, Histogram
counter = Counter("kinga_live", "A live probe.", ["part"])
latency = Histogram("kinga_live_seconds", "A live probe.", ["part"])
parts = int(sys.argv[1])
for round in range(3):
    for part in range(parts):
        counter.labels(part=str(part)).inc()
        latency.labels(part=str(part % 50)).observe(0.01)
Path(sys.argv[2]).touch()
while not Path(sys.argv[3]).exists():
    counter.labels(part="last").inc()
    time.sleep(0.001)
print(int(counter.labels(part="last")._value.get()))
"""


def test_a_living_process_keeps_its_files_while_others_fold_and_clean(tmp_path: Path):
    """A scrape folds dead processes' files and a gateway starting on the same host cleans the
    folder, while a living process writes to its own memory-mapped files: that process is
    never touched (a file shrunk or replaced under its map would kill it with SIGBUS) and every
    count, dead or alive, is in the sum."""
    var = tmp_path / "var"
    folder = var / files.FOLDER
    folder.mkdir(parents=True)
    env = {"PROMETHEUS_MULTIPROC_DIR": str(folder)}
    counted, stop = tmp_path / "counted", tmp_path / "stop"
    parts = 12_000  # some 1.7 MB of keys: past the first 1 MiB map, so the file grows under it
    live = subprocess.Popen(
        [sys.executable, "-c", COUNT_UNTIL_TOLD, str(parts), str(counted), str(stop)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    cleaner = (
        "import sys; from pathlib import Path; from gateway.metrics import files; "
        "files.prepare(Path(sys.argv[1]))"
    )
    try:
        rounds = 0
        while not counted.exists() or rounds < 6:
            subprocess.run([sys.executable, "-c", COUNT_AND_EXIT, "dead", "1"], env=env, check=True)
            subprocess.run([sys.executable, "-c", cleaner, str(var)], env={}, check=True)
            list(files.FilesCollector(folder).collect())
            rounds += 1
            assert live.poll() is None, "the living process died while others folded and cleaned"
            assert (folder / f"counter_{live.pid}.db").exists()
    finally:
        stop.touch()
        out, _ = live.communicate(timeout=60)
    assert live.returncode == 0
    last = int(out)

    collected = {
        (sample.name, sample.labels.get("part")): sample.value
        for family in files.FilesCollector(folder).collect()
        for sample in family.samples
    }
    # The cleaner removes dead processes' files (and the archive) when it starts a host's
    # processes afresh, so only the living process's counts are sure to be there, all of them.
    assert collected[("kinga_live_total", "last")] == last
    assert all(collected[("kinga_live_total", str(part))] == 3 for part in range(parts))
    assert collected[("kinga_live_seconds_count", "7")] == 3 * parts / 50
