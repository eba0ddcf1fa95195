"""The fake SMS providers (real HTTP servers on 127.0.0.1), for the tests that send."""

from __future__ import annotations

from fakes import fake_africastalking, fake_twilio, no_internet  # noqa: F401
