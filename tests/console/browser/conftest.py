"""Browser tests: the console served by a real HTTP server on 127.0.0.1, driven in Debian's
headless Chromium by Playwright (``/usr/bin/chromium``: Playwright downloads no browser).

``make test`` and ``.ci/run`` install Chromium where it is missing (``make browser``); the
tests are skipped, saying why, only where it cannot be had. Screenshots are kept under
``artefacts/browser/`` (gitignored) for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = Path(__file__).resolve().parents[3] / "artefacts" / "browser"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the session."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: `make browser` installs Debian's chromium "
            "(apt-get, as root); without it the browser tests cannot run"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, live_url: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser tab (its own cookies) on the live console."""
    context = chromium.new_context(base_url=live_url, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    yield tab
    context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest):
    """Save the tab as ``artefacts/browser/<test>-<step>.png``."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    def take(tab: Any, step: str) -> Path:
        path = ARTEFACTS / f"{request.node.name}-{step}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    yield take
