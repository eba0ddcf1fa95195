"""The ``log`` development provider: sends nothing.

The send job records every attempt in the message log whatever the provider, so a message
"sent" through ``log`` is there, status ``sent``, for ``kinga messages list --json`` (or the
simulator) to show; the log line says how long it was and who it was for, masked. It has no
inbound webhook: inbound SMS in development come through the simulator or the real adapters'
URLs.
"""

from __future__ import annotations

import logging

from case_store.masking import mask_phone
from gateway.providers.provider import Provider
from workers.sms.provider_api import MessageStatus, OutboundSms, SendResult

NAME = "log"

log = logging.getLogger("kinga.sms.log")


class LogSender:
    """Accepts every message at once and sends none; the provider id is derived from ours."""

    name = NAME

    def __repr__(self) -> str:
        return "LogSender()"

    def send(self, sms: OutboundSms) -> SendResult:
        log.info(
            "log provider: message %s for %s (%s characters) recorded, not sent",
            sms.message_id,
            mask_phone(sms.to),
            len(sms.body),
        )
        return SendResult(
            provider=NAME, provider_id=f"log-{sms.message_id}", status=MessageStatus.SENT
        )


PROVIDER = Provider(name=NAME, channel="sms", blueprint=None, sender=lambda _settings: LogSender())
