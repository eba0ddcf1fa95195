"""Staff commands by SMS: a caseworker or supervisor answers an alert from their work phone.

An inbound SMS from a phone that belongs to a user and starting with a staff verb is a staff
command; anything else from that phone (STOP, a report of their own) is an ordinary
conversation. The verbs, in English from every staff phone and in each language's own words
(the dialog tree's ``sms.staff`` section):

- ``ACK 482177302``: claim the case when nobody holds it, and acknowledge it;
- ``CALLED 482177302``: first contact made, the first-contact clock stops; ``CALLED 482177302
  CONSENT`` (or ``NOCONSENT``) also records the reporter's answer to being referred to
  services, even when the first contact was recorded before;
- ``NOTE 482177302 text``: add a note;
- ``LEVEL 482177302 HIGH [reason]``: raise the level, or lower it with a reason;
- ``REFER 482177302 health [OVERRIDE reason]``: refer it to a service provider (``refer``);
- ``CLOSE 482177302 RESOLVED [text]``: close it (extra words become a note first);
- ``CASES``: the open cases on the user's plate, most urgent first, in one SMS;
- ``HELP``: the commands, in one SMS.

With ``KINGA_STAFF_SMS_PIN`` set, the PIN follows the verb (``ACK 1234 482177302``). Replies
are in the user's language and name only the reference. Every change goes through a named
operation and its permission check; a refusal writes nothing and is answered with the reason.
Idempotency comes from the inbound receipt: a replayed webhook never runs a command twice.

``parsing`` reads a message, ``verbs`` holds the table of verbs and runs one, ``handlers``
does what each verb does (``refer`` the referral), ``replies`` words the answers, ``pin``
checks the PIN.
"""

from gateway.channels.sms.staff.handlers import Reply
from gateway.channels.sms.staff.parsing import StaffCommand
from gateway.channels.sms.staff.verbs import read_staff_command, run_staff_command

__all__ = ["Reply", "StaffCommand", "read_staff_command", "run_staff_command"]
