"""Request ids: one per web request, carried into the jobs it causes, so that one report can be
followed in the logs from its webhook to the SMS its jobs sent.

The gateway sets ``REQUEST_ID`` for each request (``gateway.logs``); ``workers.dispatch`` puts
it in the meta of every job enqueued meanwhile; the worker sets it again, with ``JOB_ID``, while
it runs that job (``workers.queues``), and a job's own jobs inherit it the same way. Jobs
enqueued by the outbox sweep, after their request was over, carry none. ``ContextFilter`` adds
both to every log record.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from case_store.masking import LONG_NUMBER

META_KEY = "request_id"
# What we take from a client's X-Request-ID: a short token of safe characters, and no number
# that could be a phone's (it is logged as it is).
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")

REQUEST_ID: ContextVar[str | None] = ContextVar("kinga_request_id", default=None)
JOB_ID: ContextVar[str | None] = ContextVar("kinga_job_id", default=None)


def new_request_id() -> str:
    """16 URL-safe characters: 96 random bits."""
    return secrets.token_urlsafe(12)


def accepted_request_id(given: str | None) -> str:
    """``given`` when it is a safe token, else a new id."""
    if given and SAFE_ID.fullmatch(given) and not LONG_NUMBER.search(given):
        return given
    return new_request_id()


@contextmanager
def tracing(request_id: str | None, job_id: str | None = None) -> Iterator[None]:
    """Log (and enqueue) under ``request_id`` (and ``job_id``) within the block."""
    request_token = REQUEST_ID.set(request_id)
    job_token = JOB_ID.set(job_id)
    try:
        yield
    finally:
        JOB_ID.reset(job_token)
        REQUEST_ID.reset(request_token)


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``job_id`` (None outside a request or job) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.job_id = JOB_ID.get()
        return True
