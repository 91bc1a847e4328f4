"""The dashboard in a real headless Chromium under its Content-Security-Policy (issue 18,
item 8): another site's page on another local port that frames it gets nothing rendered in
the frame (no clickjacking of its buttons), while the dashboard itself still works: live
updates, buttons, the styled token page, and not one CSP violation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
import requests

from campaign_mock import CampaignMock

if TYPE_CHECKING:
    from playwright.sync_api import Page

TOKEN = "framing-test-control-token"
#: Records every CSP violation the page reports (an init script: the policy does not bind it).
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
def mock() -> Iterator[CampaignMock]:
    with CampaignMock.serve(control_token=TOKEN) as served:
        served.clock.freeze()
        yield served


@pytest.fixture
def framing_site(mock: CampaignMock) -> Iterator[str]:
    """Another origin (its own local port) whose page frames the mock's dashboard."""
    page = (
        f'<!doctype html><title>other site</title><h1 id="other">other site</h1>'
        f'<iframe id="framed" src="{mock.url}/_mock/ui/" width="800" height="600"></iframe>'
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_another_sites_frame_of_the_dashboard_renders_nothing(
    mock: CampaignMock, framing_site: str, page: Page
) -> None:
    # The person has opened the dashboard before: the browser holds its cookie (SameSite
    # Strict is no help here: both sites are 127.0.0.1, the same site to a browser).
    page.goto(f"{mock.url}/_mock/ui/?token={TOKEN}")
    expect(page.locator("#clock-controls button").first).to_be_visible()  # the clock's buttons
    page.goto(framing_site)
    expect(page.locator("#other")).to_be_visible()
    framed = page.locator("#framed").element_handle()
    assert framed is not None
    frame = framed.content_frame()
    assert frame is not None
    frame.wait_for_load_state()
    assert not frame.url.startswith(mock.url), frame.url  # Chromium's error page instead
    assert frame.locator("#clock-controls button").count() == 0
    assert "campaign-mock" not in frame.content()


def test_the_dashboard_works_under_its_policy_without_a_violation(
    mock: CampaignMock, page: Page
) -> None:
    page.add_init_script(WATCH_VIOLATIONS)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # The token page renders styled: its inline stylesheet is allowed by its hash.
    asked = page.goto(f"{mock.url}/_mock/ui/")
    assert asked is not None and asked.status == 401
    assert "frame-ancestors 'none'" in asked.headers["content-security-policy"]
    assert page.evaluate("getComputedStyle(document.body).maxWidth") != "none"
    opened = page.goto(f"{mock.url}/_mock/ui/?token={TOKEN}")
    assert opened is not None and opened.status == 200
    assert opened.headers["x-frame-options"] == "DENY"
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # dashboard.css
    # Live: a campaign created behind the page's back shows up without a reload.
    created = requests.post(
        f"{mock.url}/campaign",
        auth=mock.auth,
        data={"name": "Framed sale", "domain": 1, "list": 1},
        timeout=10,
    ).json()
    assert created["success"], created
    expect(page.locator('tr[data-campaign="1"]')).to_contain_text("Framed sale", timeout=10_000)
    # A button: the script posts it with fetch and shows the answer.
    page.locator("#clock-resume").click()
    expect(page.locator("#flash")).to_have_class("ok")
    expect(page.locator("#clock")).not_to_contain_text("frozen", timeout=10_000)
    assert page.evaluate("window.__violations") == []
    assert not [e for e in errors if "Content Security Policy" in e], errors
