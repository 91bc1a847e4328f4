"""Another site's page cannot drive a developer's mock (issue 18, item 3).

A live mock on loopback, no control token (the default), and an attacker's page served by
a second local HTTP server on another port (another origin), opened in headless Chromium.
The page does what any page may: `text/plain` and bodiless `fetch` POSTs (no pre-flight) and
a `text/plain` form posted into a hidden frame, to `/_mock/reset`, `/_mock/clock/freeze`
and a dashboard button. The mock's state must survive all of it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest
import requests

from campaign_mock import CampaignMock

if TYPE_CHECKING:
    from playwright.sync_api import Page

ATTACK = """<!doctype html><html><body>
<iframe name="sink" style="display:none"></iframe>
<form id="form" method="POST" enctype="text/plain" target="sink" action="{mock}/_mock/reset">
<input name="x" value="y"></form>
<script>
const mock = "{mock}";
async function attack() {{
  const shots = [
    fetch(mock + "/_mock/reset", {{method: "POST", mode: "no-cors",
      headers: {{"Content-Type": "text/plain"}}, body: "{{}}"}}),
    fetch(mock + "/_mock/reset", {{method: "POST", mode: "no-cors"}}),
    fetch(mock + "/_mock/clock/freeze", {{method: "POST", mode: "no-cors",
      headers: {{"Content-Type": "text/plain"}}, body: "{{}}"}}),
    fetch(mock + "/_mock/ui/do/clock/freeze", {{method: "POST", mode: "no-cors",
      body: new URLSearchParams({{next: "/"}})}}),
  ];
  const frame = document.querySelector("iframe");
  const posted = new Promise(done => frame.addEventListener("load", done, {{once: true}}));
  document.getElementById("form").submit();
  await Promise.allSettled([...shots, posted]);
  document.title = "sent";
}}
attack();
</script></body></html>
"""


@pytest.fixture
def mock() -> Iterator[CampaignMock]:
    with CampaignMock.serve() as served:
        yield served


def _attacker(html: str) -> tuple[ThreadingHTTPServer, str]:
    """A page of another origin: its own server, on another port."""
    body = html.encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def test_a_page_of_another_site_cannot_reset_or_freeze_a_local_mock(
    mock: CampaignMock, page: Page
) -> None:
    made = requests.post(
        f"{mock.url}/campaign",
        data={"name": "Survives", "domain": 1, "list": 1},
        auth=("demo", "demo-password"),
        timeout=10,
    ).json()["data"]
    assert not mock.clock.frozen
    server, url = _attacker(ATTACK.format(mock=mock.url))
    refused: list[int] = []
    page.on(
        "response",
        lambda answer: refused.append(answer.status) if "/_mock/" in answer.url else None,
    )
    try:
        page.goto(url)
        page.wait_for_function("document.title === 'sent'")
    finally:
        server.shutdown()
        server.server_close()
    # Each of the page's five requests reached the mock and was refused there.
    assert len(refused) == 5 and all(status in {403, 415} for status in refused), refused
    assert [c["name"] for c in mock.campaigns()] == ["Survives"]
    assert mock.campaign(made["id"])["state"] == "DRAFT"
    assert not mock.clock.frozen
