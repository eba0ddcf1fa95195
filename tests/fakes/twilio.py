"""A fake Twilio Messages API: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``.

Answers have the shapes of Twilio's real answers (the 201 message resource, the legacy error
body ``{code, message, more_info, status}``), including error messages that echo the phone
number, so tests can check that Kinga never passes those on.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from email.utils import format_datetime

from fakes.server import SLOW_SECONDS, FakeServer, Recorded, Reply

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/Messages\.json$")
JSON = "application/json; charset=utf-8"
RETRY_AFTER = "7"
GARBLED = b"<html><body>Please log in to the network</body></html>"


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Reply(status, json.dumps(body).encode(), JSON, headers or {})


class FakeTwilio(FakeServer):
    failures = (
        "rate_limited",  # 429 with Retry-After
        "server_error",  # 500
        "rejected",  # 400, 21211: the To number is not valid
        "invalid_sender",  # 400, 21212: the From number or sender id is not ours
        "opted_out",  # 400, 21610: the recipient replied STOP
        "slow",  # a 201, but only after SLOW_SECONDS
        "garbled",  # a 201 from something in between that is not Twilio (an HTML page)
        "held",  # accepted (and counted as sent), but the 201 is held until ``release``
    )

    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sent = 0

    def answer(self, request: Recorded, failure: str | None) -> Reply:
        match = MESSAGES_PATH.match(request.path)
        if request.method != "POST" or match is None:
            return _error(404, 20404, "The requested resource was not found")
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if match["sid"] != self.account_sid or request.headers.get("authorization") != (
            f"Basic {expected}"
        ):
            return _error(401, 20003, "Authenticate")
        to, sender = request.field("To"), request.field("From")
        service = request.field("MessagingServiceSid")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not sender and not service:
            return _error(400, 21603, "A 'From' phone number is required.")
        if not request.field("Body"):
            return _error(400, 21602, "Message body is required.")
        if failure == "rate_limited":
            return _error(429, 20429, "Too Many Requests", {"Retry-After": RETRY_AFTER})
        if failure == "server_error":
            return _error(500, 20500, "Internal Server Error")
        if failure == "rejected":
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if failure == "invalid_sender":
            return _error(
                400,
                21212,
                f"The 'From' number {sender} is not a valid phone number, shortcode, "
                "or alphanumeric sender ID.",
            )
        if failure == "opted_out":
            return _error(400, 21610, f"Attempt to send to unsubscribed recipient {to}")
        if failure == "garbled":
            return Reply(201, GARBLED, "text/html")
        self.sent += 1
        sid = f"SM{self.sent:032x}"
        now = format_datetime(datetime.now(UTC))
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        message = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": request.field("Body"),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if sender else "accepted",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        }
        delay = SLOW_SECONDS if failure == "slow" else 0.0
        return Reply(201, json.dumps(message).encode(), JSON, delay=delay, held=failure == "held")
