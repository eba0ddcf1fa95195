"""Why an operation refused: nothing was written when one of these is raised."""

from __future__ import annotations

MAX_NOTE = 4000
# Tries at drawing an unused random reference or referral code before giving up.
REFERENCE_ATTEMPTS = 20


class ReferenceExhausted(RuntimeError):
    """No unused reference was found; with 10^8 references this means a broken generator."""


class InvalidTransition(ValueError):
    """The case is not in a state that allows this operation; nothing was written."""


class InvalidNote(ValueError):
    """A note that is empty or too long; nothing was written."""


class NoConsent(InvalidTransition):
    """The reporter has not agreed to services (or to sharing) and no supervisor recorded an
    override; nothing was written."""
