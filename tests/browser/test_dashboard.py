"""The mock's dashboard in a real headless Chromium (issue 11, item 1): a person watches a
campaign send without reloading, opens its callbacks and redelivers one to a receiver that
counts it, and moves the mock's clock from the page.

A live mock (`CampaignMock.serve`: waitress and delivery workers) on a frozen clock, which
the tests move through the mock's Python handle (`mock.clock`) or the page's own buttons;
a `SinkServer` is the integrator's receiver. Each test saves a screenshot in its tmp dir.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import pytest
import requests
from tests.browser.conftest import snapshot
from tests.serving import AnsweringReceiver

from campaign_mock import CampaignMock
from campaign_mock.testing.sink import CallbackSink, SinkServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

TOKEN = "browser-test-control-token"
#: Real seconds a page may take to show what changed: it polls every second.
SHOWN = 10_000


@pytest.fixture
def mock() -> Iterator[CampaignMock]:
    with CampaignMock.serve() as served:
        served.clock.freeze()
        yield served


@pytest.fixture
def sink() -> Iterator[CallbackSink]:
    with SinkServer() as server:
        yield server.open()


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def shown_time(at: float) -> str:
    """The dashboard's spelling of a mock time."""
    moment = datetime.fromtimestamp(at, UTC)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return text + (f".{moment.microsecond // 1000:03d}Z" if moment.microsecond else "Z")


def create_ready(mock: CampaignMock, callback: str, in_seconds: float = 60) -> int:
    """A READY campaign to list 1 (Customers: 6 contacts), its callbacks to `callback`."""
    when = int(mock.clock.now()) + int(in_seconds)
    answer = requests.post(
        f"{mock.url}/campaign",
        auth=mock.auth,
        data={
            "name": "Spring sale",
            "domain": 1,
            "list": 1,
            "state": "READY",
            "when": when,
            "event_callback": callback,
        },
        timeout=10,
    ).json()
    assert answer["success"], answer
    ident: int = answer["data"]["id"]
    return ident


def send_to_the_end(mock: CampaignMock, ident: int) -> None:
    """To `when` (the send starts), then on until every event is reported and answered."""
    when = mock.campaign(ident)["when"]
    assert isinstance(when, int)
    mock.clock.advance(when - mock.clock.now())
    mock.clock.advance(7200)
    mock.settle_deliveries()
    assert mock.campaign(ident)["state"] == "DONE"


def live(page: Page, region: str = "#campaign") -> None:
    """Until the page's live `region` has been polled once: its first answer replaces the
    markup the page came with, so an element found before may be gone after."""
    expect(page.locator(f"{region}[data-polled]")).to_have_count(1, timeout=SHOWN)


def wait_until(done: Any, timeout: float = 10.0) -> bool:
    """Real time, for a receiver on another thread."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_campaign_goes_ready_sending_done_without_a_reload(
    page: Page, mock: CampaignMock, sink: CallbackSink, tmp_path: Path
) -> None:
    ident = create_ready(mock, sink.url)
    page.goto(mock.url + "/")
    row = page.locator(f'tr[data-campaign="{ident}"]')
    state = row.locator("td.state-cell .state")
    expect(state).to_have_text("READY")
    expect(row).to_contain_text("Customers (1)")
    page.evaluate("window.stillTheSamePage = true")

    mock.clock.advance(60)  # its `when`
    expect(state).to_have_text("SENDING", timeout=SHOWN)
    mock.clock.advance(7200)
    expect(state).to_have_text("DONE", timeout=SHOWN)

    history = row.locator("ol.history li")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("READY")
    expect(history.nth(0)).to_contain_text("by client")
    expect(history.nth(1)).to_contain_text("SENDING")
    expect(history.nth(1)).to_contain_text("by server")
    expect(history.nth(2)).to_contain_text("DONE")
    assert page.evaluate("window.stillTheSamePage") is True  # never reloaded
    # the state filter
    page.locator('[data-state-filter="DONE"]').click()
    expect(page.locator(f'tr[data-campaign="{ident}"]')).to_be_visible()
    page.locator('[data-state-filter="READY"]').click()
    expect(page.locator("tr[data-campaign]")).to_have_count(0)
    page.locator('[data-state-filter="DONE"]').click()
    snapshot(page, tmp_path, "dashboard.png", docs="dashboard.png", full_page=True)


def test_open_a_campaigns_callbacks_and_redeliver_one(
    page: Page, mock: CampaignMock, sink: CallbackSink, tmp_path: Path
) -> None:
    ident = create_ready(mock, sink.url)
    send_to_the_end(mock, ident)
    page.goto(mock.url + "/")
    page.locator(f'tr[data-campaign="{ident}"] a').first.click()
    expect(page.locator("#campaign-state")).to_have_text("DONE")
    expect(page.locator("svg.timeline g.channel")).to_have_count(2)  # email and sms
    expect(
        page.locator('svg.timeline [data-channel="email"] [data-event="delivered"]')
    ).to_be_visible()

    callback = page.locator("details.callback").last  # the oldest: batch 1
    batch = callback.get_attribute("data-batch")
    callback.locator(":scope > summary").click()
    expect(callback.locator("code.url")).to_have_text(sink.url)
    callback.locator("details.raw summary").click()  # the raw body, behind a click
    expect(callback.locator("pre.body")).to_contain_text("event=")
    expect(callback.locator("tr.attempt")).to_have_count(1)
    expect(callback.locator("tr.attempt")).to_contain_text("200")
    expect(callback.locator("tr.attempt")).to_contain_text("acknowledged")

    received = len(sink.callbacks)
    assert received > 0
    callback.locator("button.redeliver").click()
    expect(page.locator("#flash")).to_contain_text(f"callback #{batch}")
    assert wait_until(lambda: len(sink.callbacks) == received + 1), sink.callbacks
    # the page shows the new attempt without a reload, and the callback stays open
    reopened = page.locator(f"#batch-{batch}")
    expect(reopened.locator("tr.attempt")).to_have_count(2, timeout=SHOWN)
    expect(reopened.locator("tr.attempt").nth(1)).to_contain_text("redelivery")
    assert reopened.evaluate("d => d.open") is True
    # what the receiver got once more is the body the page shows for that callback
    assert sink.callbacks[-1].body.decode() == reopened.locator("pre.body").inner_text()
    snapshot(page, tmp_path, "campaign.png", docs="dashboard-campaign.png", full_page=True)


def test_advance_the_clock_from_the_page(page: Page, mock: CampaignMock, tmp_path: Path) -> None:
    mock.clock.resume()
    page.goto(mock.url + "/")
    expect(page.locator("#clock-mode")).to_have_text("running")
    page.locator("#clock-freeze").click()
    expect(page.locator("#clock-mode")).to_have_text("frozen", timeout=SHOWN)
    assert mock.clock.frozen
    frozen_at = mock.clock.now()
    expect(page.locator("#clock-now")).to_have_text(shown_time(frozen_at), timeout=SHOWN)

    page.locator("#advance-seconds").fill("3600")
    page.locator("#clock-advance").click()
    expect(page.locator("#clock-now")).to_have_text(shown_time(frozen_at + 3600), timeout=SHOWN)
    assert mock.clock.now() == frozen_at + 3600  # the mock's own clock moved, not the page's
    page.screenshot(path=tmp_path / "clock.png")

    page.locator("#clock-resume").click()
    expect(page.locator("#clock-mode")).to_have_text("running", timeout=SHOWN)
    assert not mock.clock.frozen


def test_with_a_control_token_the_dashboard_asks_for_it_once(
    page: Page, sink: CallbackSink, tmp_path: Path
) -> None:
    with CampaignMock.serve(control_token=TOKEN) as guarded:
        guarded.clock.freeze()
        ident = create_ready(guarded, sink.url)
        refused = page.goto(guarded.url + "/")
        assert refused is not None and refused.status == 401
        expect(page.locator("h1")).to_contain_text("the control token")
        page.locator('input[name="token"]').fill(TOKEN)
        page.locator("button").click()
        expect(page.locator(f'tr[data-campaign="{ident}"] td.state-cell .state')).to_have_text(
            "READY"
        )
        assert TOKEN not in page.url
        # polling and buttons go on with the cookie alone
        page.locator("#clock-advance").click()
        expect(page.locator(f'tr[data-campaign="{ident}"] td.state-cell .state')).to_have_text(
            "SENDING", timeout=SHOWN
        )
        page.screenshot(path=tmp_path / "token.png")


def test_flush_then_abort_a_sending_campaign_from_its_page(
    page: Page, mock: CampaignMock, sink: CallbackSink, tmp_path: Path
) -> None:
    mock.configure(send_rate=0.01)  # a message every 100 s: it keeps sending
    ident = create_ready(mock, sink.url)
    mock.clock.advance(60)  # its `when`: the first message goes
    mock.clock.advance(30)  # its first events happened; their 60 s window is still open
    page.goto(f"{mock.url}/_mock/ui/campaigns/{ident}")
    expect(page.locator("#campaign-state")).to_have_text("SENDING")
    expect(page.locator("details.callback")).to_have_count(0)
    assert sink.callbacks == []

    page.locator("#flush").click()
    expect(page.locator("#flash")).to_contain_text("goes out now")
    assert wait_until(lambda: len(sink.callbacks) > 0), "flush sent nothing"
    expect(page.locator("details.callback").first).to_be_visible(timeout=SHOWN)

    page.locator("#abort").click()
    expect(page.locator("#campaign-state")).to_have_text("ERROR", timeout=SHOWN)
    assert mock.campaign(ident)["state"] == "ERROR"
    expect(page.locator("#abort")).to_have_count(0)  # nothing left to abort
    page.screenshot(path=tmp_path / "aborted.png", full_page=True)


@contextmanager
def _api_page(browser: Browser, mock: CampaignMock, ident: int) -> Iterator[Page]:
    """The API's own URL of campaign `ident` in a browser with the API's credentials (V-5)."""
    username, password = mock.auth
    context = browser.new_context(http_credentials={"username": username, "password": password})
    try:
        page = context.new_page()
        page.goto(f"{mock.url}/campaign/{ident}")
        yield page
    finally:
        context.close()


def test_the_apis_campaign_url_is_the_same_page_for_a_browser(
    browser: Browser, mock: CampaignMock, sink: CallbackSink, tmp_path: Path
) -> None:
    """V-1: a browser that opens GET /campaign/<id> (with the API's credentials, V-5) gets
    the campaign's page, linked to the live one in the dashboard."""
    ident = create_ready(mock, sink.url)
    send_to_the_end(mock, ident)
    with _api_page(browser, mock, ident) as page:
        expect(page.locator("#campaign-name")).to_have_text("Spring sale")
        expect(page.locator("#campaign-state")).to_have_text("DONE")
        expect(page.locator("details.callback")).not_to_have_count(0)
        expect(page.locator("button.redeliver")).to_have_count(0)  # the dashboard's
        page.locator("details.json summary").click()
        expect(page.locator("details.json pre")).to_contain_text('"state": "DONE"')
        page.screenshot(path=tmp_path / "api-page.png", full_page=True)
        page.get_by_role("link", name="Open this campaign in the dashboard").click()
        expect(page).to_have_url(f"{mock.url}/_mock/ui/campaigns/{ident}")
        expect(page.locator("button.redeliver")).not_to_have_count(0)


def test_browsing_the_dashboard_adds_nothing_to_the_request_journal(
    page: Page, mock: CampaignMock, sink: CallbackSink
) -> None:
    """Each page load made the browser ask for `/favicon.ico`, journalled as a failed API
    request (404) at the top of `?failed=1`. The dashboard has its own icon now, and its
    pages and assets are never API traffic."""
    ident = create_ready(mock, sink.url)
    journal = requests.get(f"{mock.url}/_mock/requests", timeout=10).json()["data"]["requests"]
    assert [entry["path"] for entry in journal] == ["/campaign"]
    served: list[str] = []  # every path the mock's app answers, to know the icon was asked for
    inner = mock.app.wsgi_app

    def noting(environ: Any, start_response: Any) -> Any:
        served.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    mock.app.wsgi_app = noting  # type: ignore[method-assign]
    pages = ["/", "/_mock/ui/", f"/_mock/ui/campaigns/{ident}", "/_mock/ui/fixtures"]
    for path in [*pages, "/_mock/ui/requests", "/_mock/ui/requests?failed=1"]:
        page.goto(mock.url + path)
        expect(page.locator("header.top")).to_be_visible()
    icons = ("/favicon.ico", "/_mock/ui/static/favicon.svg")
    assert wait_until(lambda: any(path in icons for path in served)), served
    expect(page.locator("#requests, main").first).not_to_contain_text("/favicon.ico")
    after = requests.get(f"{mock.url}/_mock/requests", timeout=10).json()["data"]["requests"]
    assert after == journal
    icon = requests.get(f"{mock.url}/favicon.ico", timeout=10)  # asked for by name: the same
    assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/svg+xml")
    assert requests.get(f"{mock.url}/_mock/requests", timeout=10).json()["data"]["requests"] == (
        journal
    )


# -- issue 19, item 5: the questions people open the dashboard with ---------------------

MAGIC = "simulator.campaign-mock.dev"
#: One list of magic addresses and numbers (docs/simulation.md): each message's fate is known.
FATES = {
    "accounts": [{"username": "demo", "password": "demo-password", "api_keys": ["demo-key-1"]}],
    "domains": [{"id": 1, "name": "mail.example.com", "is_sending": True, "is_bouncing": True}],
    "lists": [
        {
            "id": 1,
            "name": "Fates",
            "contacts": [
                {"id": 1, "email": f"clicked@{MAGIC}", "telephone": "+15005550000"},
                {"id": 2, "email": f"opened@{MAGIC}", "telephone": "+15005550001"},
                {"id": 3, "email": f"bounce@{MAGIC}"},
                {"id": 4, "email": f"delivered@{MAGIC}"},
            ],
            "segments": [],
        }
    ],
    "payloads": ["email", "sms"],
}
#: What each message goes through, in order, and the outcome the page must name.
EXPECTED = {
    ("email", f"clicked@{MAGIC}"): ["submitted", "delivered", "opened", "clicked"],
    ("email", f"opened@{MAGIC}"): ["submitted", "delivered", "opened"],
    ("email", f"bounce@{MAGIC}"): ["submitted", "bounced"],
    ("email", f"delivered@{MAGIC}"): ["submitted", "delivered"],
    ("sms", "+15005550000"): ["delivered"],
    ("sms", "+15005550001"): ["bounced"],
}


def parse_shown(text: str) -> float:
    """A mock time as the dashboard spells it, back to Unix seconds."""
    shape = "%Y-%m-%d %H:%M:%S.%fZ" if "." in text else "%Y-%m-%d %H:%M:%SZ"
    return datetime.strptime(text, shape).replace(tzinfo=UTC).timestamp()


def test_each_messages_outcome_and_the_time_of_each_event(
    page: Page, sink: CallbackSink, tmp_path: Path
) -> None:
    """Per recipient: each message's channel, outcome and every event at its mock time,
    the same events the receiver was told of (each within its callback's window)."""
    with CampaignMock.serve(FATES) as mock:
        mock.clock.freeze()
        settings = mock.configure(delays={"opened": 10, "clicked": 5})
        ident = create_ready(mock, sink.url)
        send_to_the_end(mock, ident)
        page.goto(f"{mock.url}/_mock/ui/campaigns/{ident}")
        live(page)
        rows = page.locator("table.messages tr.message")
        expect(rows).to_have_count(len(EXPECTED))
        told: dict[tuple[str, str], dict[str, int]] = {}  # (channel, address) -> event -> when
        for callback in sink.callbacks:
            for key, address in parse_qsl(callback.body.decode()):
                if key.startswith(("email[", "telephone[")):
                    channel = "email" if key.startswith("email") else "sms"
                    told.setdefault((channel, address), {})[callback.event] = callback.when
        window = settings["window"]
        assert isinstance(window, int | float)
        for (channel, address), events in EXPECTED.items():
            row = page.locator(f'tr.message[data-channel="{channel}"][data-address="{address}"]')
            outcome = "bounced" if "bounced" in events else events[-1]
            expect(row.locator("td.outcome")).to_have_text(outcome)
            shown = row.locator("ol.events li")
            expect(shown).to_have_count(len(events))
            assert [shown.nth(i).get_attribute("data-event") for i in range(len(events))] == events
            times = [
                parse_shown(shown.nth(i).locator("time").inner_text()) for i in range(len(events))
            ]
            assert times == sorted(times), (address, times)
            for event, at in zip(events, times, strict=True):
                when = told[channel, address][event]  # the receiver was told of it
                assert when <= at < when + window + 1, (address, event, at, when)
                assert at <= mock.clock.now()
        snapshot(
            page.locator("table.messages"), tmp_path, "messages.png", docs="dashboard-messages.png"
        )


def test_a_callbacks_fields_decoded_and_its_raw_body_one_click_away(
    page: Page, mock: CampaignMock, sink: CallbackSink
) -> None:
    ident = create_ready(mock, sink.url)
    send_to_the_end(mock, ident)
    page.goto(f"{mock.url}/_mock/ui/campaigns/{ident}")
    live(page)
    # the email `delivered` callback of the Customers list: several addresses
    callback = page.locator("details.callback", has_text="delivered · email").first
    callback.locator(":scope > summary").click()
    received = [c for c in sink.callbacks if c.event == "delivered" and c.channel == "email"]
    body = received[0].body.decode()
    fields = callback.locator("table.fields tbody tr")
    expected = parse_qsl(body, keep_blank_values=True)
    assert len(expected) > 3 and expected[2] == ("email[0]", "ana@example.com")
    expect(fields).to_have_count(len(expected))
    shown = [
        (fields.nth(i).locator("th").inner_text(), fields.nth(i).locator("td").inner_text())
        for i in range(len(expected))
    ]
    assert shown == expected  # decoded, repeated keys in the order sent
    expect(callback.locator("table.fields")).not_to_contain_text("%40")
    raw = callback.locator("details.raw pre.body")
    expect(raw).to_be_hidden()  # the raw bytes are one click away
    callback.locator("details.raw summary").click()
    expect(raw).to_be_visible()
    assert raw.inner_text() == body and "email%5B0%5D=ana%40example.com" in body


def test_the_receivers_answer_to_each_attempt_is_shown(
    page: Page, mock: CampaignMock, tmp_path: Path
) -> None:
    """A real receiver that answers 503 with a header and a body, then 201 with JSON: each
    attempt shows its status, the headers in order, and the body."""
    busy = b"busy, try again later"
    thanks = b'{"received": true, "note": "thanks"}'
    with AnsweringReceiver(503, [("X-Receiver", "hooks-7"), ("Retry-After", "30")], busy) as hook:
        ident = create_ready(mock, hook.url)
        when = mock.campaign(ident)["when"]
        assert isinstance(when, int)
        mock.clock.advance(when - mock.clock.now())
        mock.clock.advance(400)  # the first window's callbacks went, and failed
        assert hook.received
        hook.status, hook.body = 201, thanks
        mock.clock.advance(7200)
        mock.settle_deliveries()
    page.goto(f"{mock.url}/_mock/ui/campaigns/{ident}")
    live(page)
    callback = page.locator("#batch-1")
    callback.locator(":scope > summary").click()
    answers = callback.locator("tr.answer")
    expect(answers).not_to_have_count(1)
    first, last = answers.first, answers.last
    expect(first.locator(".answer-status")).to_have_text("answered 503")
    headers = first.locator("table.answer-headers tr")
    names = [headers.nth(i).locator("th").inner_text() for i in range(headers.count())]
    assert names[:2] == ["Server", "Date"] and names[2:4] == ["X-Receiver", "Retry-After"]
    expect(headers.nth(2).locator("td")).to_have_text("hooks-7")
    expect(first.locator("pre.answer-body")).to_have_text(busy.decode())
    expect(last.locator(".answer-status")).to_have_text("answered 201")
    expect(last.locator("pre.answer-body")).to_have_text(thanks.decode())
    snapshot(callback, tmp_path, "callback.png", docs="dashboard-callback.png")


#: The Resume button of a clock at speed 60 (the page's multiplication sign).
RESUME_AT_60 = "Resume at \u00d760"


def test_only_the_clock_controls_that_fit_its_state(page: Page, mock: CampaignMock) -> None:
    """Frozen: Resume (at the clock's speed) and Advance, no Freeze; running: Freeze alone.
    The buttons follow the clock without a reload, whoever moved it."""
    requests.put(f"{mock.url}/_mock/clock", json={"speed": 60}, timeout=10).raise_for_status()
    page.goto(mock.url + "/")
    expect(page.locator("#clock-mode")).to_have_text("frozen")
    expect(page.locator("#clock-freeze")).to_have_count(0)
    expect(page.locator("#clock-resume")).to_have_text(RESUME_AT_60)
    expect(page.locator("#clock-advance")).to_be_visible()

    page.locator("#clock-resume").click()
    expect(page.locator("#clock-mode")).to_have_text("running", timeout=SHOWN)
    expect(page.locator("#clock-freeze")).to_be_visible(timeout=SHOWN)
    expect(page.locator("#clock-resume")).to_have_count(0)
    expect(page.locator("#clock-advance, #advance-seconds")).to_have_count(0)
    assert not mock.clock.frozen

    mock.clock.freeze()  # moved elsewhere: the page follows
    expect(page.locator("#clock-freeze")).to_have_count(0, timeout=SHOWN)
    expect(page.locator("#clock-resume")).to_have_text(RESUME_AT_60)
    clock = requests.get(f"{mock.url}/_mock/clock", timeout=10).json()["data"]
    assert clock["speed"] == 60


def test_the_read_only_campaign_page_has_no_controls(
    browser: Browser, mock: CampaignMock, sink: CallbackSink, tmp_path: Path
) -> None:
    """The API's own URL as a page (V-1) changes nothing: no button, form or input at all,
    the clock's included."""
    ident = create_ready(mock, sink.url)
    send_to_the_end(mock, ident)
    with _api_page(browser, mock, ident) as page:
        expect(page.locator("#campaign-state")).to_have_text("DONE")
        expect(page.locator("#clock-now")).to_be_visible()  # the clock is shown, not moved
        expect(page.locator("button, form, input, select, textarea")).to_have_count(0)
        expect(page.locator("[data-live]")).to_have_count(0)  # a snapshot: nothing polls
        snapshot(page, tmp_path, "api-page.png", docs="dashboard-api-page.png", full_page=True)
