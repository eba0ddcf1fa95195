"""The field map against Primero's forms: every field Kinga writes must be one the service
account can write in the module's case forms, since Primero drops any other silently.

``kinga primero check`` prints the problems; ``kinga worker`` logs them as it starts.
"""

from __future__ import annotations

import logging

from workers.context import PrimeroSync
from workers.primero.client import PrimeroError

log = logging.getLogger("kinga.primero")


def field_map_problems(primero: PrimeroSync) -> list[str]:
    """What is wrong with the field map, one line per field (empty: nothing). Raises the
    client's errors (``LoginRefused``, ``Retryable``, ``PrimeroError``) when the forms cannot
    be read."""
    fields = primero.client.form_fields(primero.module_id)
    problems = []
    for ours, theirs in primero.fields.fields.items():
        found = fields.get(theirs)
        if found is None:
            problems.append(
                f"{ours} → {theirs}: no such field in the case forms of {primero.module_id} "
                "that the account sees; Primero would drop it"
            )
        elif not found.editable:
            problems.append(
                f"{ours} → {theirs}: the account cannot write this field; Primero would drop it"
            )
    return problems


def warn_field_map(primero: PrimeroSync) -> list[str]:
    """As a worker starts: log each field Primero would drop, or why the forms could not be
    read (one request; a refused login is left to the first job, which stops the queue)."""
    try:
        problems = field_map_problems(primero)
    except PrimeroError as exc:
        log.error("Primero's forms could not be read to check the field map: %s", exc)
        return [str(exc)]
    for problem in problems:
        log.error("Primero field map: %s", problem)
    return problems
