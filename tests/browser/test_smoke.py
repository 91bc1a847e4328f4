"""The harness itself: the browser renders a page and reports what it laid out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_the_browser_renders_a_local_file(page: Page, tmp_path: Path) -> None:
    html = tmp_path / "smoke.html"
    html.write_text("<!DOCTYPE html><title>smoke</title><h1 id='h'>hello</h1>", "utf-8")
    page.goto(html.as_uri())
    assert page.title() == "smoke"
    assert page.locator("#h").inner_text() == "hello"
    box = page.locator("#h").bounding_box()
    assert box is not None and box["height"] > 0
    page.screenshot(path=str(tmp_path / "smoke.png"))
    assert (tmp_path / "smoke.png").stat().st_size > 0
