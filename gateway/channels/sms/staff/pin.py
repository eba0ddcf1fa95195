"""The deployment's PIN for staff phones that are shared (``KINGA_STAFF_SMS_PIN``).

When it is set, every staff command carries it right after its verb (``ACK 1234 482177302``).
A command without it, or with another, is refused before its reference is even looked up:
whoever holds the phone learns nothing about cases. Wrong PINs are counted per phone
(``gateway.channels.miss_budget``); after ``MAX_PIN_MISSES`` within the window every command
from that phone is refused, the right PIN too, until the window passes. A missing PIN (no 4 to
8 digits after the verb) is a mistake, not a guess, and is not counted.

The PIN is compared in constant time and never logged; the message log keeps the inbound text
with the PIN masked (``StaffCommand.masked``).
"""

from __future__ import annotations

import hmac
import logging

from gateway.channels.miss_budget import MissBudget
from gateway.channels.sms.staff.parsing import StaffCommand
from gateway.channels.sms.staff.replies import PIN_LIMITED, PIN_REFUSED
from gateway.runtime import Runtime

log = logging.getLogger("kinga.staff_sms")

MAX_PIN_MISSES = 5
PIN_MISS_WINDOW = 3600  # seconds
PIN_MISSES = MissBudget("kinga:pinmiss", MAX_PIN_MISSES, PIN_MISS_WINDOW)


def pin_refusal(rt: Runtime, phone: str, command: StaffCommand) -> str | None:
    """The refusal to answer when the deployment asks for a PIN and ``command`` lacks the
    right one, or the phone guessed too often; None when the command may run."""
    expected = rt.settings.staff_sms_pin
    if not expected:
        return None
    if PIN_MISSES.spent(rt, phone):
        return PIN_LIMITED
    if command.pin is None:
        return PIN_REFUSED
    if not hmac.compare_digest(command.pin.encode(), expected.encode()):
        PIN_MISSES.miss(rt, phone)
        if PIN_MISSES.spent(rt, phone):
            log.warning("staff commands from a phone limited after %s wrong PINs", MAX_PIN_MISSES)
        return PIN_REFUSED
    return None
