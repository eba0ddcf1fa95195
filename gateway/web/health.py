"""Liveness and readiness for load balancers and orchestrators.

``/readyz`` is polled, so it stays cheap: one query for the database's migration revision
(which also proves the database answers), one Redis PING. A database behind the code's
migrations is not ready — every hop would fail on a missing table or column — and the answer
names both revisions. Unsafe settings a production pilot accepted are repeated as warnings.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from case_store import migrate
from gateway.runtime import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Any:
    rt = runtime()
    answer: dict[str, Any] = {"status": "ok"}
    down: list[str] = []
    try:
        with rt.engine.connect() as conn:
            revision = migrate.revision(conn)
    except SQLAlchemyError:
        down.append("database")
    else:
        if revision != migrate.head():
            down.append("migrations")
            answer["migrations"] = {"current": revision, "expected": migrate.head()}
    try:
        rt.redis.ping()
    except RedisError:
        down.append("redis")
    if rt.settings.warnings:
        answer["warnings"] = list(rt.settings.warnings)
    if down:
        return jsonify({**answer, "status": "unavailable", "down": down}), 503
    return jsonify(answer)
