"""A fake Africa's Talking bulk SMS API: ``POST /version1/messaging``.

Answers have the shapes of the real API: 201 with ``SMSMessageData`` and content type exactly
``application/json`` (the SDK parses JSON only then), per-recipient ``statusCode``s for refused
numbers, a 201 with an empty ``Recipients`` for a bad sender id, and plain-text errors.
"""

from __future__ import annotations

import json

from fakes.server import SLOW_SECONDS, FakeServer, Recorded, Reply

MESSAGING_PATH = "/version1/messaging"
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
COST = "KES 0.8000"
RETRY_AFTER = "11"
GARBLED = b"<html><body>Please log in to the network</body></html>"


def _data(message: str, recipients: list[dict[str, object]]) -> Reply:
    body = {"SMSMessageData": {"Message": message, "Recipients": recipients}}
    return Reply(201, json.dumps(body).encode(), JSON)


class FakeAfricasTalking(FakeServer):
    failures = (
        "rate_limited",  # 429 with Retry-After
        "server_error",  # 500
        "rejected",  # 201, recipient statusCode 403 InvalidPhoneNumber
        "blacklisted",  # 201, recipient statusCode 406 UserInBlacklist
        "gateway_error",  # 201, recipient statusCode 501 GatewayError
        "invalid_sender",  # 201 with an empty Recipients list
        "slow",  # a 201, but only after SLOW_SECONDS
        "garbled",  # a 201 from something in between that is not Africa's Talking (HTML)
    )

    def __init__(self, username: str, api_key: str) -> None:
        super().__init__()
        self.username = username
        self.api_key = api_key
        self.sent = 0

    def answer(self, request: Recorded, failure: str | None) -> Reply:
        if request.method != "POST" or request.path != MESSAGING_PATH:
            return Reply(404, b"Not Found", TEXT)
        if (
            request.headers.get("apikey") != self.api_key
            or request.field("username") != self.username
        ):
            return Reply(401, b"The supplied authentication is invalid", TEXT)
        to = request.field("to")
        if not to:
            return Reply(400, b"Request is missing required form field 'to'", TEXT)
        if not request.field("message"):
            return Reply(400, b"Request is missing required form field 'message'", TEXT)
        if failure == "rate_limited":
            return Reply(429, b"Too Many Requests", TEXT, {"Retry-After": RETRY_AFTER})
        if failure == "server_error":
            return Reply(500, b"Internal Server Error", TEXT)
        if failure == "garbled":
            return Reply(201, GARBLED, "text/html")
        if failure == "invalid_sender":
            return _data("InvalidSenderId", [])
        refusals = {
            "rejected": (403, "InvalidPhoneNumber"),
            "blacklisted": (406, "UserInBlacklist"),
            "gateway_error": (501, "GatewayError"),
        }
        if failure in refusals:
            code, status = refusals[failure]
            recipient = {
                "statusCode": code,
                "number": to,
                "status": status,
                "cost": "0",
                "messageId": "None",
            }
            return _data("Sent to 0/1 Total Cost: 0", [recipient])
        self.sent += 1
        recipient = {
            "statusCode": 101,
            "number": to,
            "status": "Success",
            "cost": COST,
            "messageId": f"ATXid_{self.sent:032x}",
        }
        reply = _data(f"Sent to 1/1 Total Cost: {COST}", [recipient])
        if failure == "slow":
            return Reply(reply.status, reply.body, reply.content_type, delay=SLOW_SECONDS)
        return reply
