"""What every provider webhook does: verify → parse → intake → render.

A bad signature or key is a 403 and changes nothing; a payload we cannot accept
(``InvalidPayload``) is a 400 with the reason; a database or Redis outage during an SMS intake
is a 503, so the provider may try again, and nothing half done is left behind. (A USSD hop
answers its caller even then: the intake turns an outage into a closing screen with the
helpline.) SMS replies never ride in the answer: they are queued and sent by the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from flask import abort, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from gateway.providers.events import InvalidPayload

log = logging.getLogger("kinga.webhooks")

T = TypeVar("T")


def refuse_unless(verified: bool, provider: str, reason: str) -> None:
    """A 403 with ``reason`` when the request did not prove it comes from ``provider``."""
    if not verified:
        log.warning("%s webhook %s refused: %s", provider, request.path, reason)
        abort(403, description=reason)


def parsed(parse: Callable[[], T]) -> T:
    try:
        return parse()
    except InvalidPayload as exc:
        abort(400, description=str(exc))


def handled(run: Callable[[], T]) -> T:
    try:
        return run()
    except (RedisError, SQLAlchemyError):
        log.exception("webhook %s failed; the provider may retry", request.path)
        abort(503, description="try again later")
