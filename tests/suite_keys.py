"""The keys and secrets the suite's settings carry, in one place: the settings fixtures (and
the gateways the reliability tests start) use them, and the leak check
(``tests/security/test_leaks.py``) looks for each, and for the fake providers' credentials, in
every log record and file of the session: a secret is never logged."""

from __future__ import annotations

SECRET_KEY = "test-secret-key"
FERNET_KEY = "x3hWgUZUQ3Ws0yh7kJhZyb7bI2PgsX7qZmCQJQ7xX9s="
PHONE_HASH_KEY = "test-phone-hash-key"
AT_WEBHOOK_KEY = "test-webhook-key"
# What the recorded Twilio webhooks under tests/fixtures/providers/twilio/sms/ are signed with.
TWILIO_WEBHOOK_TOKEN = "twilio-webhook-test-token"
PUBLIC_URL = "https://kinga.example.org"

# The settings' environment for these keys.
ENV = {
    "KINGA_SECRET_KEY": SECRET_KEY,
    "KINGA_ENCRYPTION_KEYS": FERNET_KEY,
    "KINGA_PHONE_HASH_KEY": PHONE_HASH_KEY,
    "KINGA_AT_WEBHOOK_KEY": AT_WEBHOOK_KEY,
    "KINGA_TWILIO_AUTH_TOKEN": TWILIO_WEBHOOK_TOKEN,
    "KINGA_PUBLIC_URL": PUBLIC_URL,
}
SECRETS = (SECRET_KEY, FERNET_KEY, PHONE_HASH_KEY, AT_WEBHOOK_KEY, TWILIO_WEBHOOK_TOKEN)
