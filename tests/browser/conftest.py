"""A real headless browser for the tests: Debian's `chromium` driven by Playwright's package.

Never `playwright install` (no download beyond package registries): Playwright launches the
system's chromium through `executable_path`. Without either, the tests skip with one line
saying what to install; `.ci/run` installs chromium, so in CI they run. Test modules import
Playwright's types under TYPE_CHECKING only, so a missing package skips rather than errors.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

#: Viewport of every page: a laptop screen, so "in the viewport" means what a person sees.
VIEWPORT = {"width": 1280, "height": 800}
#: A folder (`docs/images`) the screenshots the docs show are refreshed in, when set:
#: `CAMPAIGN_MOCK_DOCS_IMAGES=docs/images pytest tests/browser`.
DOCS_IMAGES = os.environ.get("CAMPAIGN_MOCK_DOCS_IMAGES")


def snapshot(
    target: Any, tmp_path: Path, name: str, *, docs: str | None = None, **options: Any
) -> Path:
    """A screenshot of a page or an element in the test's tmp dir; one the docs show (`docs`:
    its name under docs/images) is copied to `DOCS_IMAGES` too, when that is set."""
    taken = tmp_path / name
    target.screenshot(path=taken, **options)
    if docs is not None and DOCS_IMAGES:
        shutil.copyfile(taken, Path(DOCS_IMAGES) / docs)
    return taken


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


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own context (no cookies or storage shared between tests)."""
    context = browser.new_context(viewport=VIEWPORT)
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    try:
        yield opened
    finally:
        context.close()
