"""``kinga jobs failed`` and ``kinga jobs retry``: jobs that really failed on a real Redis,
listed with their reason and no personal data, and put back on their queue."""

from __future__ import annotations

import json

import pytest
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

import workers.context as worker_context
from gateway.providers.log import LogSender
from workers.queues import DEFAULT, SLOW

PHONE_DIGITS = "254712345678"  # a number as an exception may quote it, without "+"


@pytest.fixture(autouse=True)
def no_context():
    worker_context.uninstall()  # a bare worker: Kinga's jobs fail loudly without a context
    yield
    worker_context.uninstall()


def work(redis_client, *names: str) -> None:
    queues = [Queue(name, connection=redis_client, serializer=JSONSerializer) for name in names]
    SimpleWorker(queues, connection=redis_client, serializer=JSONSerializer).work(burst=True)


def listed(runner) -> list[dict]:
    result = runner.invoke(args=["jobs", "failed", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def failed(redis_client) -> dict[str, str]:
    """Two jobs that fail for real: a Kinga job run without a job context, and a job whose
    error and arguments quote a phone number. Their ids, by name."""
    default = Queue(DEFAULT, connection=redis_client, serializer=JSONSerializer)
    slow = Queue(SLOW, connection=redis_client, serializer=JSONSerializer)
    follow_ups = default.enqueue("workers.follow_ups.send_follow_ups")
    parse = slow.enqueue("ipaddress.ip_address", address=PHONE_DIGITS)
    work(redis_client, DEFAULT, SLOW)
    assert len(default.failed_job_registry) == len(slow.failed_job_registry) == 1
    return {"follow_ups": follow_ups.id, "parse": parse.id}


def test_failed_jobs_are_listed_with_their_reason_and_no_number(runner, failed):
    jobs = listed(runner)

    by_id = {job["id"]: job for job in jobs}
    assert set(by_id) == set(failed.values())
    follow_ups = by_id[failed["follow_ups"]]
    assert (follow_ups["job"], follow_ups["queue"]) == (
        "workers.follow_ups.send_follow_ups",
        DEFAULT,
    )
    assert follow_ups["reason"] == (
        "NoContext: no job context in this process; start workers with `kinga worker`"
    )
    assert follow_ups["failed_at"] and follow_ups["args"] == {}
    parse = by_id[failed["parse"]]
    assert (parse["job"], parse["queue"]) == ("ipaddress.ip_address", SLOW)
    assert parse["reason"].startswith("ValueError: ") and "2547•••••678" in parse["reason"]
    assert parse["args"] == {"address": "2547•••••678"}
    assert PHONE_DIGITS not in json.dumps(jobs)
    assert "Traceback" not in json.dumps(jobs)

    text = runner.invoke(args=["jobs", "failed"])
    assert text.exit_code == 0
    assert failed["follow_ups"] in text.output and "NoContext" in text.output
    assert PHONE_DIGITS not in text.output


def test_no_failed_jobs(runner, redis_client):
    assert runner.invoke(args=["jobs", "failed"]).output == "No failed jobs.\n"
    assert listed(runner) == []


def test_a_retried_job_runs_again_and_leaves_the_list(app, runner, redis_client, failed):
    result = runner.invoke(args=["jobs", "retry", failed["follow_ups"]])
    assert result.exit_code == 0, result.output
    assert result.output == f"{failed['follow_ups']} put back on the default queue.\n"
    assert [job["id"] for job in listed(runner)] == [failed["parse"]]

    # With the worker's context installed, as `kinga worker` does, it now succeeds.
    worker_context.install(app.extensions["kinga"].job_context([LogSender()]))
    work(redis_client, DEFAULT)
    default = Queue(DEFAULT, connection=redis_client, serializer=JSONSerializer)
    assert failed["follow_ups"] in default.finished_job_registry.get_job_ids()
    assert [job["id"] for job in listed(runner)] == [failed["parse"]]


def test_retry_all_puts_every_failed_job_back(runner, redis_client, failed):
    result = runner.invoke(args=["jobs", "retry", "--all"])
    assert result.exit_code == 0, result.output
    assert result.output == "2 failed job(s) put back on their queue.\n"
    assert listed(runner) == []
    default = Queue(DEFAULT, connection=redis_client, serializer=JSONSerializer)
    slow = Queue(SLOW, connection=redis_client, serializer=JSONSerializer)
    assert default.job_ids == [failed["follow_ups"]] and slow.job_ids == [failed["parse"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["jobs", "retry"], "give one JOB_ID or --all"),
        (["jobs", "retry", "x", "--all"], "give one JOB_ID or --all"),
        (["jobs", "retry", "outbox-999999"], "no failed job 'outbox-999999'"),
    ],
)
def test_a_bad_retry_is_refused_and_changes_nothing(runner, redis_client, failed, args, message):
    before = listed(runner)
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert listed(runner) == before
