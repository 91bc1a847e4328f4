"""The session's headless browser: Debian's `chromium` driven by Playwright's package, one per
test process. Playwright's sync API runs one event loop per thread, so a second session-scoped
`browser` (another directory's copy of the fixture) failed with "using Playwright Sync API
inside the asyncio loop" once both ran in one xdist worker; tests/conftest.py holds the one.

Never `playwright install` (no download beyond package registries): Playwright launches the
system's chromium through `executable_path`. Without either, the tests skip with one line
saying what to install; `.ci/run` installs chromium, so in CI they run. Test modules import
Playwright's types under TYPE_CHECKING only, so a missing package skips rather than errors.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def chromium_path() -> str | None:
    """Debian's chromium, wherever PATH has it (or its usual place)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session (each test gets its own page and context)."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("browser tests need Debian's chromium: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need Playwright: .venv/bin/pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            # Root in a container: no sandbox; /dev/shm is small there.
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        try:
            yield launched
        finally:
            launched.close()
