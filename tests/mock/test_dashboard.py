"""The dashboard through Flask's test client (issue 11, item 1): what each page shows, that
its buttons change the mock, that it is guarded like `/_mock/` and never shows a secret.

The real browser's view (live updates, buttons pressed) is tests/browser/test_dashboard*.py.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign_mock import create_app
from campaign_mock.delivery import CallableTransport
from campaign_mock.domain.clock import MockClock
from campaign_mock.fixtures.document import fixtures_from_document
from campaign_mock.http.context import mock_of
from campaign_mock.http.dashboard import views as dashboard_views

from .conftest import NOW

PASSWORD = "pw-Zq81-never-shown"
API_KEY = "key-Jx27-never-shown"
OTHER_PASSWORD = "pw-Kk55-other-account"
TOKEN = "control-Tt90-token"
HOOK = "http://receiver.test/hook?campaign=7"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FIXTURES = {
    "accounts": [
        {"username": "ana", "password": PASSWORD, "api_keys": [API_KEY]},
        {"username": "rui", "password": OTHER_PASSWORD},
    ],
    "domains": [{"id": 1, "name": "mail.example.com"}],
    "lists": [
        {
            "id": 1,
            "name": "Customers",
            "contacts": [
                {"id": 1, "email": "a@example.com", "telephone": "+351910000001"},
                {"id": 2, "email": "b@example.com"},
            ],
            "segments": [{"id": 5, "name": "VIP", "contacts": [1]}],
        }
    ],
}


def basic(user: str = "ana", password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Receiver:
    """Counts the callbacks delivered in-process; answers `status`."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.status = 200

    def __call__(self, url: str, body: bytes) -> int:
        self.bodies.append(body)
        return self.status


def make_app(**options: Any) -> tuple[Flask, MockClock, Receiver]:
    clock = MockClock(start=NOW, frozen=True)
    app = create_app(fixtures_from_document(FIXTURES), clock=clock, **options)
    receiver = Receiver()
    mock_of(app).dispatcher.transport = CallableTransport(receiver)
    return app, clock, receiver


@pytest.fixture
def mock() -> Iterator[tuple[Flask, MockClock, Receiver]]:
    yield make_app()


def text(client: FlaskClient, url: str, status: int = 200, **kwargs: Any) -> str:
    """The page at `url`, asked for as a browser does."""
    kwargs["headers"] = {"Accept": BROWSER, **kwargs.get("headers", {})}
    answer = client.get(url, **kwargs)
    assert answer.status_code == status, (url, answer.status_code, answer.data[:300])
    return answer.get_data(as_text=True)


def create(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    params = {"name": "Spring sale", "domain": 1, "list": 1, **fields}
    answer = client.post("/campaign", json=params, headers=basic())
    assert answer.json and answer.json["success"], answer.json
    data: dict[str, Any] = answer.json["data"]
    return data


def sent_campaign(app: Flask, clock: MockClock) -> int:
    """A campaign sent to its end, its callbacks delivered: id 1."""
    client = app.test_client()
    create(client, state="READY", when=NOW + 60, event_callback=HOOK, segments=[5])
    advance(app, 60)  # to `when`: a jump past it would start the send where it lands
    advance(app, 7200)
    mock_of(app).dispatcher.deliver_due()
    return 1


def advance(app: Flask, seconds: float) -> None:
    """As a test moves the mock's clock: through the control API, which draws the sends up
    to the new time before moving there."""
    answer = app.test_client().post("/_mock/clock/advance", json={"seconds": seconds})
    assert answer.json and answer.json["success"], answer.json


def press(client: FlaskClient, url: str, **form: str) -> dict[str, Any]:
    answer = client.post(url, data=form, headers={"Accept": "application/json"})
    assert answer.json is not None, answer.data
    found: dict[str, Any] = answer.json
    return found


def test_the_root_is_the_dashboard_and_lists_campaigns_with_their_history(mock: Any) -> None:
    app, clock, _ = mock
    client = app.test_client()
    sent_campaign(app, clock)
    create(client, name="Draft one")
    client.put("/_mock/campaigns/2/state", json={"state": "ERROR"})
    page = text(client, "/")
    assert "<h1>Campaigns</h1>" in page and _row(page, 1) == _row(text(client, "/_mock/ui/"), 1)
    row = _row(page, 1)
    assert "Spring sale" in row and "Customers (1)" in row and "VIP (5)" in row
    assert "2026-11-27 00:01:00Z" in row  # its `when`
    # READY by the client, SENDING and DONE by the server, each with its mock time
    steps = re.findall(r'state-(\w+)">\w+</span> <span class="nowrap">([^<]+)</span> '
                       r'<span class="by by-(\w+)"', row)  # fmt: skip
    assert [(s, by) for s, _, by in steps] == [
        ("READY", "client"),
        ("SENDING", "server"),
        ("DONE", "server"),
    ]
    assert steps[0][1] == "2026-11-27 00:00:00Z" and steps[1][1] == "2026-11-27 00:01:00Z"
    assert "by control" in _row(page, 2)  # forced to ERROR through the control API


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_the_root_is_no_page_for_a_client_that_is_not_a_browser(accept: str | None) -> None:
    """V-1: JSON unless text/html is preferred; `/` is no API path (V-4: 404, before 401)."""
    app, _, _ = make_app(control_token=TOKEN)
    headers = {"Accept": accept} if accept else {}
    answer = app.test_client().get("/", headers=headers)
    assert answer.status_code == 404 and answer.mimetype == "application/json"
    assert answer.json == {
        "success": False,
        "data": {
            "error": "No such resource: /; open it in a browser for the mock's dashboard "
            "(Accept: text/html)",
            "code": "not_found",
            "errors": {},
        },
    }


def test_the_table_lists_the_newest_campaigns_only(
    mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _, _ = mock
    client = app.test_client()
    monkeypatch.setattr(dashboard_views, "MAX_ROWS", 2)
    for n in range(3):
        create(client, name=f"Campaign {n}")
    page = text(client, "/_mock/ui/")
    assert re.findall(r'<tr data-campaign="(\d+)"', page) == ["3", "2"]
    assert "The newest 2 of 3 shown" in page


def test_campaigns_filter_by_state(mock: Any) -> None:
    app, clock, _ = mock
    client = app.test_client()
    sent_campaign(app, clock)
    create(client, name="Still a draft")
    done = text(client, "/_mock/ui/?state=DONE")
    assert "Spring sale" in done and "Still a draft" not in done
    drafts = text(client, "/_mock/ui/part/campaigns?state=DRAFT")
    assert "Still a draft" in drafts and "Spring sale" not in drafts
    assert "DONE (1)" in drafts and "DRAFT (1)" in drafts
    assert "Still a draft" in text(client, "/_mock/ui/?state=nonsense")  # unknown: all


def test_a_campaign_page_shows_audience_timeline_and_every_callback_attempt(mock: Any) -> None:
    app, _, receiver = mock
    client = app.test_client()
    receiver.status = 503  # the first attempts fail, then the receiver recovers
    create(client, state="READY", when=NOW + 60, event_callback=HOOK, segments=[5])
    advance(app, 60)
    advance(app, 7200)
    mock_of(app).dispatcher.deliver_due()
    receiver.status = 200
    advance(app, 3600)
    mock_of(app).dispatcher.deliver_due()
    page = text(client, "/_mock/ui/campaigns/1")
    assert "Customers: 2 contacts; sends to its segments" in page
    assert "a@example.com" in page and "+351910000001" in page
    assert "b@example.com" not in page  # not in segment 5
    # the timeline: one panel per channel, a line per event type, counted from the batches
    assert '<svg class="timeline"' in page
    assert re.search(r'data-channel="email".*data-event="delivered" data-total="1"', page)
    assert re.search(r'data-channel="sms".*data-event="delivered" data-total="1"', page)
    # every callback: URL, body, each attempt with its status and its next retry
    assert page.count('<details class="callback') >= 2
    assert f'<code class="url">{HOOK.replace("&", "&amp;")}</code>' in page
    assert "event=delivered&amp;when=" in page
    row = r'<tr class="attempt outcome-(\w+)">(?:(?!</tr>).)*?<span class="status">(\d+)'
    attempts = re.findall(row, page, re.S)
    assert ("failed", "503") in attempts and ("acknowledged", "200") in attempts
    assert re.search(r"<td class=\"nowrap\">2026-11-27 \d\d:\d\d:\d\d(\.\d+)?Z</td></tr>", page)


def test_the_buttons_redeliver_flush_and_abort(mock: Any) -> None:
    app, clock, receiver = mock
    client = app.test_client()
    sent_campaign(app, clock)
    before = len(receiver.bodies)
    done = press(client, "/_mock/ui/do/redeliver/1")
    assert done["ok"], done
    mock_of(app).dispatcher.deliver_due()
    assert len(receiver.bodies) == before + 1
    assert "<td>redelivery</td>" in text(client, "/_mock/ui/part/campaigns/1")
    assert press(client, "/_mock/ui/do/redeliver/999") == {
        "ok": False,
        "message": "delivery batch 999 does not exist",
    }
    # abort: only a SENDING campaign; it ends in ERROR
    create(client, name="Long one", state="READY", when=NOW + 7360, event_callback=HOOK)
    refused = press(client, "/_mock/ui/do/abort/2")
    assert not refused["ok"] and "not SENDING" in refused["message"]
    assert 'id="abort"' not in text(client, "/_mock/ui/part/campaigns/2")
    advance(app, 100)  # its `when`: it starts sending
    assert 'id="abort"' in text(client, "/_mock/ui/part/campaigns/2")
    assert press(client, "/_mock/ui/do/abort/2")["ok"]
    assert 'state-ERROR">ERROR' in text(client, "/_mock/ui/campaigns/2")
    # flush: a plain form (no script) is sent back to its page
    answer = client.post("/_mock/ui/do/flush", data={"next": "/_mock/ui/campaigns/2"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/_mock/ui/campaigns/2"
    outside = client.post("/_mock/ui/do/flush", data={"next": "//evil.example/"})
    assert outside.headers["Location"] == "/"


def test_no_other_site_can_press_a_button(mock: Any) -> None:
    """Without a token too: a form on another site's page POSTing to a local mock."""
    app, clock, _ = mock
    client = app.test_client()
    before = clock.now()
    answer = client.post(
        "/_mock/ui/do/clock/advance",
        data={"seconds": "86400"},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403 and clock.now() == before
    assert press(client, "/_mock/ui/do/clock/advance", seconds="1")["ok"]  # no Origin: curl


def test_the_clock_buttons_move_the_mocks_clock(mock: Any) -> None:
    app, clock, _ = mock
    client = app.test_client()
    assert 'id="clock-mode" class="mode mode-frozen">frozen' in text(client, "/")
    assert press(client, "/_mock/ui/do/clock/advance", seconds="3600")["ok"]
    assert clock.now() == NOW + 3600
    assert "2026-11-27 01:00:00Z" in text(client, "/_mock/ui/part/clock")
    assert not press(client, "/_mock/ui/do/clock/advance", seconds="-5")["ok"]
    assert not press(client, "/_mock/ui/do/clock/advance", seconds="soon")["ok"]
    assert clock.now() == NOW + 3600
    assert press(client, "/_mock/ui/do/clock/resume")["ok"]
    assert clock.reading().mode.value == "real"
    assert 'mode-real">running' in text(client, "/_mock/ui/part/clock")
    assert press(client, "/_mock/ui/do/clock/freeze")["ok"]
    assert clock.reading().mode.value == "frozen"


def test_an_advance_from_the_page_starts_what_became_due(mock: Any) -> None:
    app, _, _ = mock
    client = app.test_client()
    create(client, state="READY", when=NOW + 60)
    assert press(client, "/_mock/ui/do/clock/advance", seconds="61")["ok"]
    assert "SENDING" in _row(text(client, "/_mock/ui/part/campaigns"), 1)


def test_the_fixtures_page_shows_no_secret(mock: Any) -> None:
    app, _, _ = mock
    page = text(app.test_client(), "/_mock/ui/fixtures")
    assert "<td>ana</td>" in page and "<td>1 (hidden)</td>" in page
    assert "mail.example.com" in page and "VIP (5): 1 contacts" in page


def test_the_journal_shows_a_failed_requests_envelope(mock: Any) -> None:
    app, _, _ = mock
    client = app.test_client()
    create(client)
    client.post("/campaign", json={"name": "x", "domain": 1, "list": 42}, headers=basic())
    journal = text(client, "/_mock/ui/requests?failed=1")
    assert journal.count('<tr class="failed"') == 1 and "POST /campaign" in journal
    seq = re.search(r'<tr class="failed" data-seq="(\d+)"', journal)
    assert seq is not None
    detail = text(client, f"/_mock/ui/requests/{seq.group(1)}")
    envelope = re.search(r'<pre id="envelope"[^>]*>(.*?)</pre>', detail, re.S)
    assert envelope is not None
    assert "&#34;code&#34;: &#34;reference&#34;" in envelope.group(1)
    assert "contact list 42 does not exist" in envelope.group(1)
    # the dashboard's own requests are not API requests: not in the journal
    assert "<code>GET /_mock/ui" not in text(client, "/_mock/ui/part/requests")
    text(client, "/_mock/ui/requests/9999", status=404)


def test_the_apis_campaign_url_is_the_same_page_for_a_browser(mock: Any) -> None:
    """V-1: a browser asking GET /campaign/1 gets the campaign page, linked to the dashboard."""
    app, clock, _ = mock
    client = app.test_client()
    sent_campaign(app, clock)
    page = text(client, "/campaign/1", headers={**basic(), "Accept": BROWSER})
    assert '<span id="campaign-name">Spring sale</span>' in page
    assert 'id="campaign-state" class="state state-DONE">DONE' in page
    assert 'href="/_mock/ui/campaigns/1"' in page and '<svg class="timeline"' in page
    assert "&quot;success&quot;: true" in page  # and the JSON it would have got
    assert 'class="redeliver"' not in page  # the buttons are the dashboard's
    json = client.get("/campaign/1", headers=basic())
    assert json.mimetype == "application/json" and json.json and json.json["success"]
    assert text(client, "/campaign/1", 401, headers={"Accept": BROWSER})  # V-5 still holds


def test_a_control_token_guards_the_dashboard_too() -> None:
    app, _, _ = make_app(control_token=TOKEN)
    client = app.test_client()
    for url in [
        "/_mock/ui/",
        "/_mock/ui/fixtures",
        "/_mock/ui/part/clock",
        "/_mock/ui/static/x.css",
    ]:
        assert "the control token" in text(client, url, 401)
        refused = client.get(url)  # not a browser: the control API's envelope
        assert refused.status_code == 401 and refused.json is not None
        assert refused.json["data"]["code"] == "unauthorized"
    assert client.post("/_mock/ui/do/clock/freeze").status_code == 401
    assert "the control token" in text(client, "/", 401)
    assert "not the token" in text(client, "/?token=wrong", 401)
    assert text(client, "/_mock/ui/fixtures", headers={"X-Mock-Token": TOKEN})
    assert text(client, "/", headers={"Authorization": f"Bearer {TOKEN}"})
    # ?token= sets a cookie (a digest, not the token) and drops the token from the URL
    opened = client.get("/_mock/ui/?state=DONE&token=" + TOKEN)
    assert opened.status_code == 303 and opened.headers["Location"] == "/_mock/ui/?state=DONE"
    cookie = opened.headers["Set-Cookie"]
    assert TOKEN not in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "<h1>Campaigns</h1>" in text(client, "/_mock/ui/?state=DONE")
    assert press(client, "/_mock/ui/do/clock/advance", seconds="5")["ok"]
    # the cookie opens the dashboard only, never the rest of the control API
    assert client.get("/_mock/state").status_code == 401
    # a button pressed on another site's page is refused
    foreign = client.post("/_mock/ui/do/flush", headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403
    own = client.post("/_mock/ui/do/flush", headers={"Origin": "http://localhost"})
    assert own.status_code == 303
    style = client.get("/_mock/ui/static/dashboard.css")
    style.close()
    assert style.status_code == 200


def test_no_page_shows_a_password_or_an_api_key() -> None:
    """Every page and fragment, after logins, wrong logins and API-key calls."""
    # Isolated, every world is the control token's: the dashboard's cookie holds it.
    app, _, _ = make_app(isolate="accounts", control_token=TOKEN)
    client = app.test_client()
    assert client.get(f"/?token={TOKEN}", headers={"Accept": BROWSER}).status_code == 303
    create(client, state="READY", when=NOW + 60, event_callback=HOOK)
    client.post("/login/", data={"username": "ana", "password": PASSWORD})
    client.post("/login/", json={"username": "ana", "password": OTHER_PASSWORD})
    client.post("/login/", data={"username": "rui", "password": API_KEY})
    client.get("/campaign/1", headers=basic("ana", API_KEY))
    client.get("/campaign/1", headers=basic("ana", OTHER_PASSWORD))
    client.get("/campaign/1", headers=basic("rui", OTHER_PASSWORD))
    # what a careless client may send: its secrets where it should not
    create(client, name=f"campaign {API_KEY}")
    client.get(f"/campaign/1?password={PASSWORD}&key={API_KEY}", headers=basic())
    client.post("/campaign", data={"name": PASSWORD, "list": 99, "domain": 1}, headers=basic())
    mock_of(app).advance_clock(7300)  # every world's clock: the control token's, or the core's
    mock_of(app).dispatcher.deliver_due()
    urls = [
        "/",
        "/_mock/ui/",
        "/_mock/ui/?state=DONE",
        "/_mock/ui/campaigns/1?world=ana",
        "/_mock/ui/part/campaigns/1?world=ana",
        "/_mock/ui/campaigns/2?world=ana",
        "/_mock/ui/fixtures",
        "/_mock/ui/requests",
        "/_mock/ui/requests?failed=1",
        "/_mock/ui/part/requests",
        "/_mock/ui/part/campaigns",
        "/_mock/ui/part/clock",
    ]
    journal = text(client, "/_mock/ui/requests")
    urls += [f"/_mock/ui/requests/{n}" for n in re.findall(r'data-seq="(\d+)"', journal)]
    assert len(urls) > 16
    pages = {url: text(client, url) for url in urls}
    pages["V-1"] = text(client, "/campaign/1", headers={**basic(), "Accept": BROWSER})
    pages["V-1 named"] = text(client, "/campaign/2", headers={**basic(), "Accept": BROWSER})
    assert "campaign ***" in pages["/_mock/ui/campaigns/2?world=ana"]
    for url, page in pages.items():
        for secret in (PASSWORD, API_KEY, OTHER_PASSWORD):
            assert secret not in page, (url, secret)
    # isolated: every world is shown, labelled
    assert '<td class="world">ana</td>' in pages["/"]


def _row(page: str, ident: int) -> str:
    found = re.search(rf'<tr data-campaign="{ident}".*?</tr>', page, re.S)
    assert found is not None, page
    return found.group(0)
