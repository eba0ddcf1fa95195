"""The console's static files, addressed by their content: ``console.css?v=<hash>``.

A browser on a slow link fetches the stylesheet once and keeps it for a year; a new version
has a new hash, so a changed file is fetched at once. A request without the current hash is
answered with Flask's usual revalidation.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Final

from flask import request, url_for
from werkzeug.security import safe_join

STATIC: Final = Path(__file__).resolve().parent / "static"
YEAR: Final = 365 * 24 * 3600


@lru_cache(maxsize=32)
def _version(filename: str) -> str | None:
    path = safe_join(str(STATIC), filename)
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    return url_for("console.static", filename=filename, v=_version(filename))


def max_age(filename: str | None) -> int | None:
    """A year for a file asked for by its current hash; None (revalidate) otherwise."""
    version = None if filename is None else _version(filename)
    return YEAR if version is not None and request.args.get("v") == version else None
