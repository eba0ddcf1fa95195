"""The references every served figure is compared with, run by the same gunicorn configuration
as Kinga (``gateway/gunicorn_config.py``) and loaded by the same wrk script.

- ``bare``: Flask answering a fixed ``CON`` screen to any POST: the framework's own cost.
- ``with_redis``: the same, after one Redis GET of the session named in the form and one
  pipelined SET of a ~600-byte JSON session: the practical ceiling of a stateful hop. It uses
  the Redis Kinga uses (``KINGA_REDIS_URL``) through the same client settings.
- ``bare_sms``: Flask answering an empty TwiML document to any POST.

Every app answers on any path, so the load generator sends exactly what it sends to Kinga.
"""

from __future__ import annotations

import json
import os

from flask import Flask, Response, request

from gateway.config.redis import redis_from_url

SCREEN = "CON Welcome to Kinga\n1. Report a concern about a child\n2. Follow up on a report"
SESSION_TTL = 300
# A session record about the size of Kinga's (a dialog state, the last answer, a few fields).
SESSION = json.dumps(
    {
        "node": "report_narrative",
        "answers": {
            "danger": "no",
            "category": "missing_separated",
            "age_band": "5_11",
            "sex": "girl",
            "area": "037",
            "place": "Kibera",
            "relationship": "community",
        },
        "page": 0,
        "invalid": 0,
        "steps": 9,
        "reply": "Tell us more, if you wish.\n0. Skip",
        "language": "en",
        "started": 1767225600.0,
        "seen": [48, "b2f1c4d9"],
        "padding": "x" * 280,
    },
    separators=(",", ":"),
)
assert 560 <= len(SESSION) <= 640, len(SESSION)

bare = Flask("bare")


@bare.post("/", defaults={"_path": ""})
@bare.post("/<path:_path>")
def bare_hop(_path: str) -> Response:
    return Response(SCREEN, mimetype="text/plain")


with_redis = Flask("with_redis")
_redis = redis_from_url(os.environ.get("KINGA_REDIS_URL", "redis://127.0.0.1:6379/0"))


@with_redis.post("/", defaults={"_path": ""})
@with_redis.post("/<path:_path>")
def redis_hop(_path: str) -> Response:
    key = "bench:reference:" + request.form.get("sessionId", "")
    _redis.get(key)
    with _redis.pipeline(transaction=False) as pipe:
        pipe.set(key, SESSION, ex=SESSION_TTL)
        pipe.execute()
    return Response(SCREEN, mimetype="text/plain")


bare_sms = Flask("bare_sms")


@bare_sms.post("/", defaults={"_path": ""})
@bare_sms.post("/<path:_path>")
def bare_sms_inbound(_path: str) -> Response:
    return Response('<?xml version="1.0" encoding="UTF-8"?><Response />', mimetype="text/xml")
