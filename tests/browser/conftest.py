"""Pages in the session's headless Chromium (`browser`, in tests/conftest.py: one Playwright
per test process, whichever directories use it), and screenshots the docs show."""

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
