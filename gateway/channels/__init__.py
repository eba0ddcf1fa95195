"""One package per channel (``ussd``, ``sms``): webhook views, intake, sessions.

What a caller can do on any channel (follow-ups on a report, a dialog's effects) is shared
here, so both intakes behave alike.
"""
