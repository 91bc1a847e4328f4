"""The suite's HTML report, read in a real browser the way a QA lead reads it.

Each test runs the suite (its CLI, or `run_selection` for the callbacks layer) against a
server, opens the HTML file it wrote in headless Chromium (file://, nothing else fetched),
looks at what is on the first screen, follows links, and saves a screenshot (report.png)
under the test's tmp_path (the failing one also report-failure.png, after following the link).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from click.testing import CliRunner

from campaign_contract.cli import main
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection
from campaign_contract.report import render_html
from campaign_contract.robustness.wrong import PREFIX as WRONG_PREFIX
from contract.callback_variants import CALLBACK_VARIANTS, callbacks_config, served
from contract_suite.apps import PASSWORD, create_app, serve
from contract_suite.test_cli import write_config

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

#: A width where table columns and list items are squeezed: long rule ids would wrap there.
NARROW = {"width": 380, "height": 800}


def run_cli_report(tmp_path: Path, url: str, only: str) -> Path:
    """`campaign-contract run ... --html report.html` against a broken `url`; the page."""
    page = tmp_path / "report.html"
    args = ["run", "--base-url", url, "--config", str(write_config(tmp_path)), "--only", only]
    args += ["--skip", "schema,stateful,callbacks", "--seed", "3", "--html", str(page)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output  # a rule failed
    return page


def callbacks_report(tmp_path: Path, variant: str | None) -> Path:
    """The callbacks layer against the sped-up mock (broken by `variant`), as an HTML file."""
    broken = next(v for v in CALLBACK_VARIANTS if v.name == variant) if variant else None
    with served(broken.apply if broken else None) as url:
        report = run_selection(
            callbacks_config(url, tmp_path), selection=Selection(only=("callbacks",)), seed=5
        )
    page = tmp_path / "report.html"
    page.write_text(render_html(report), "utf-8")
    return page


def open_offline(page: Page, path: Path) -> list[str]:
    """Open the file; the list fills with every URL the page asks for (besides itself)."""
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(path.as_uri())
    return [url for url in fetched if url != path.as_uri()]


def in_viewport(page: Page, locator: Locator) -> bool:
    """Whether the element's top edge is on the screen (so a reader sees where it starts)."""
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None
    return -1 < box["y"] < size["height"] and box["height"] > 0  # -1: sub-pixel scrolling


def one_line(locator: Locator) -> bool:
    """The element is laid out on one line: one box, no taller than 1.5 of its line height."""
    lines, height, line = locator.evaluate(
        "e => [e.getClientRects().length, e.getBoundingClientRect().height,"
        " parseFloat(getComputedStyle(e).lineHeight)]"
    )
    return bool(lines == 1 and height < 1.5 * line)


def wrapped_rule_ids(page: Page) -> list[str]:
    ids = page.locator(".rule")
    return [ids.nth(i).inner_text() for i in range(ids.count()) if not one_line(ids.nth(i))]


def test_a_failing_report_leads_from_its_top_list_to_the_failing_curl(
    page: Page, tmp_path: Path
) -> None:
    with serve(create_app(frozenset({"no_challenge"}))) as url:
        report = run_cli_report(tmp_path, url, "V-4,V-5")
    assert open_offline(page, report) == []  # one self-contained file: nothing fetched

    verdict = page.locator("h1")
    assert "does not conform" in verdict.inner_text()
    failing = page.locator("nav.failing")
    first_table = page.locator("table").first
    assert in_viewport(page, verdict) and in_viewport(page, failing)
    assert failing.bounding_box()["y"] < first_table.bounding_box()["y"]  # type: ignore[index]
    links = failing.locator("a.rule")
    assert [links.nth(i).inner_text() for i in range(links.count())] == ["V-4"]

    page.screenshot(path=str(tmp_path / "report.png"))
    link = links.first
    target = page.locator('[id="V-4"]')
    curl = target.locator("pre.curl").first
    assert curl.inner_text().startswith("$ curl -sS -i ")
    assert not in_viewport(page, curl), "the failure should start below the first screen"
    link.click()
    assert page.evaluate("location.hash") == "#V-4"
    assert curl.is_visible() and in_viewport(page, curl)
    assert in_viewport(page, target.locator("h3"))
    page.screenshot(path=str(tmp_path / "report-failure.png"))

    # The wrong password the suite made up is shown as sent; the configured password never is.
    text = page.locator("body").inner_text()
    assert re.search(rf"-u alice:{WRONG_PREFIX}[0-9a-f]+(?![\w-])", text)
    assert "REDACTED-" not in text
    assert PASSWORD not in page.content()


def test_rule_ids_never_wrap_even_on_a_narrow_screen(page: Page, tmp_path: Path) -> None:
    with serve(create_app(frozenset({"no_challenge"}))) as url:
        report = run_cli_report(tmp_path, url, "V-4,V-5")
    page.set_viewport_size(NARROW)  # type: ignore[arg-type]
    page.goto(report.as_uri())
    assert page.locator(".rule").count() > 40
    assert wrapped_rule_ids(page) == []
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    # The check can fail: the same page with wrapping allowed breaks ids at their hyphen.
    page.add_style_tag(content=".rule,td.rule-cell{white-space:normal!important}")
    assert wrapped_rule_ids(page) != []


def test_a_failing_callbacks_report_shows_setup_once_and_the_timeline(
    page: Page, tmp_path: Path
) -> None:
    report = callbacks_report(tmp_path, "c_json_body")
    assert open_offline(page, report) == []
    assert "does not conform" in page.locator("h1").inner_text()
    links = page.locator("nav.failing a.rule")
    assert "C-2" in [links.nth(i).inner_text() for i in range(links.count())]

    # The POSTs that created the campaigns are shown once, under Setup, and each finding
    # that starts from one (C-1, C-2: then the callbacks) links there instead of repeating it.
    setups = page.locator("#setup .setup")
    assert setups.count() >= 1
    first = setups.first
    anchor = first.get_attribute("id")
    assert "POST" in first.locator("h3").inner_text() and "/campaign" in first.inner_text()
    creation = first.locator("pre.curl").inner_text()
    references = page.locator(f'.finding:has(a[href="#{anchor}"])')
    assert references.count() >= 2
    for i in range(references.count()):
        shown = references.nth(i).locator("pre.curl")
        assert creation not in [shown.nth(j).inner_text() for j in range(shown.count())]
    page.locator(f'.finding a[href="#{anchor}"]').first.click()
    assert in_viewport(page, first)

    # Every finding still has a curl command of its own.
    findings = page.locator(".finding")
    assert findings.count() > 0
    for i in range(findings.count()):
        assert findings.nth(i).locator("pre.curl").count() >= 1

    picture = page.locator("#callbacks svg.timeline")
    picture.scroll_into_view_if_needed()
    assert picture.is_visible()
    assert page.locator("#callbacks rect.bar").count() > 0
    assert page.locator("#callbacks line.c3-bound").count() == 1
    assert "C-3: 300 s" in page.locator("#callbacks").inner_text()
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)


def test_a_passing_report_says_so_at_the_top(page: Page, tmp_path: Path) -> None:
    report = callbacks_report(tmp_path, None)
    assert open_offline(page, report) == []
    verdict = page.locator("h1")
    assert verdict.inner_text() == "campaign-contract: conforms"
    assert in_viewport(page, verdict) and in_viewport(page, page.locator("#all-passed"))
    assert page.locator("nav.failing").count() == 0 and page.locator(".failure").count() == 0
    # Its timeline: every judged callback drawn under the line the suite fails at, C-3's
    # 300 s plus the config's clock_skew (120 s here): a loaded machine may draw one a little
    # past the 300 s themselves (the suite reckons a starved receiver's wait as lateness).
    dots = page.locator("#callbacks circle.callback")
    assert dots.count() > 0
    bound_y = page.locator("#callbacks line.c3-bound").get_attribute("y1")
    allowed_y = page.locator("#callbacks line.c3-allowed").get_attribute("y1")
    assert bound_y is not None and allowed_y is not None
    assert float(allowed_y) < float(bound_y)  # drawn above it: later
    judged = page.locator('#callbacks circle.callback:not([fill="none"])')
    assert judged.count() > 0
    for i in range(judged.count()):
        assert float(judged.nth(i).get_attribute("cy") or 0) > float(allowed_y)  # below it
    page.screenshot(path=str(tmp_path / "report.png"))
