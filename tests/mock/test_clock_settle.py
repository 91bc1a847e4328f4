"""Clock moves that settle: `POST /_mock/clock/advance` and `/clock/set` with `"settle": true`,
and the handle's `clock.advance`/`clock.set`, return once every callback attempt the move made
due has been made, within a bound, and say whether it was (issue 19)."""

from __future__ import annotations

import base64
import gc
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from tests.store.instances import Instance, instances, wait_until

from campaign_mock import CampaignMock, create_app
from campaign_mock.domain.clock import MockClock

#: 2030-03-17T17:46:40Z: where the frozen clock stands.
START = 1_900_000_000.0
#: Campaigns one move makes due.
CAMPAIGNS = 5


@dataclass
class Receiver:
    """A real HTTP receiver that records each callback as it arrives, then answers after
    `delay` real seconds (or, with `hold`, once `release` is set)."""

    delay: float = 0.0
    hold: bool = False
    url: str = ""
    made: int = 0
    arrived: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        with self.lock:
            return list(self.arrived)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                receiver.arrived.append(self.path)
            if receiver.hold:
                receiver.release.wait(30)
            else:
                receiver.release.wait(receiver.delay)  # an answer that takes its time
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def _receiving(found: Receiver) -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    server.daemon_threads = True
    found.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        found.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with _receiving(Receiver(delay=0.1)) as found:
        yield found


@pytest.fixture
def mock() -> Iterator[CampaignMock]:
    with CampaignMock.serve() as served:
        served.clock.freeze(START)
        yield served


def _call(mock: CampaignMock, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, mock.url + path, timeout=60, **kwargs)


def _data(response: requests.Response) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True, body
    return body["data"]


def _campaigns(
    mock: CampaignMock,
    receiver: Receiver,
    count: int = CAMPAIGNS,
    auth: tuple[str, str] | None = None,
) -> None:
    """`count` campaigns more (of the account `auth` names), each sending from now on (no
    callback due yet), calling back `/cb/<n>`, the nth made for `receiver`."""
    auth = auth or mock.auth
    for number in range(receiver.made + 1, receiver.made + count + 1):
        receiver.made = number
        fields = {
            "name": f"Sale {number}",
            "domain": 1,
            "list": 1,
            "state": "READY",
            "when": int(mock.clock.now()),
            "event_callback": f"{receiver.url}/cb/{number}",
        }
        made_now = _data(_call(mock, "POST", "/campaign", auth=auth, json=fields))
        assert (
            _data(_call(mock, "GET", f"/campaign/{made_now['id']}", auth=auth))["state"]
            == "SENDING"
        )


def _attempts(mock: CampaignMock) -> int:
    """Every callback attempt made so far, once nothing due is unanswered (a long-poll)."""
    waited = _data(
        _call(mock, "POST", "/_mock/deliveries/wait", json={"idle": True, "timeout": 60})
    )
    assert waited["reached"] is True
    return len(_data(_call(mock, "GET", "/_mock/deliveries?body=0"))["deliveries"])


def _arrived_all(mock: CampaignMock, receiver: Receiver, answer: dict[str, Any]) -> None:
    """What arrived when the move answered is every attempt it made due, from every campaign."""
    arrived = receiver.paths()
    assert {path.rsplit("/", 1)[1] for path in arrived} == {str(n) for n in range(1, CAMPAIGNS + 1)}
    assert len(arrived) == _attempts(mock)  # nothing more arrives afterwards
    assert answer["settled"] is True, answer
    assert answer["pending"] == 0


def test_advance_with_settle_returns_once_every_callback_it_made_due_has_arrived(
    mock: CampaignMock, receiver: Receiver
) -> None:
    _campaigns(mock, receiver)
    moved = _call(mock, "POST", "/_mock/clock/advance", json={"seconds": 3600, "settle": True})
    _arrived_all(mock, receiver, _data(moved))


def test_set_with_settle_returns_once_every_callback_it_made_due_has_arrived(
    mock: CampaignMock, receiver: Receiver
) -> None:
    _campaigns(mock, receiver)
    moved = _call(mock, "POST", "/_mock/clock/set", json={"now": START + 3600, "settle": True})
    answer = _data(moved)
    assert answer["now"] == START + 3600
    _arrived_all(mock, receiver, answer)


def test_the_handle_settles_by_default_and_not_with_settle_false(
    mock: CampaignMock, receiver: Receiver
) -> None:
    receiver.delay = 1.0  # every answer takes a second
    _campaigns(mock, receiver, count=1)
    mock.clock.advance(3600, settle=False)
    assert mock.deliveries == []  # returned before the receiver answered anything
    assert _attempts(mock) > 0  # (it does, a second later)

    made = len(mock.deliveries)
    _campaigns(mock, receiver, count=1)
    mock.clock.advance(3600)
    assert len(mock.deliveries) > made  # the new campaign's callbacks were answered
    assert len(receiver.paths()) == len(mock.deliveries) == _attempts(mock)


def test_a_receiver_slower_than_the_timeout_gives_settled_false_within_the_bound(
    mock: CampaignMock, receiver: Receiver
) -> None:
    receiver.hold = True  # answers nothing until the test ends
    _campaigns(mock, receiver, count=1)
    began = time.monotonic()
    moved = _call(
        mock,
        "POST",
        "/_mock/clock/advance",
        json={"seconds": 3600, "settle": True, "settle_timeout": 0.5},
    )
    took = time.monotonic() - began
    answer = _data(moved)
    assert answer["settled"] is False
    assert answer["pending"] >= 1
    assert "0.5 s" in answer["reason"]
    assert took < 5.0  # the bound, not the callback's 10 s timeout
    assert receiver.paths()  # the attempt was made; its answer is what never came


@pytest.mark.parametrize(
    ("extra", "field_name"),
    [
        ({"settle": "true"}, "settle"),
        ({"settle": 1}, "settle"),
        ({"settle": None}, "settle"),
        ({"settle": [True]}, "settle"),
        ({"settle": True, "settle_timeout": 0}, "settle_timeout"),
        ({"settle": True, "settle_timeout": -1}, "settle_timeout"),
        ({"settle": True, "settle_timeout": "5"}, "settle_timeout"),
        ({"settle": True, "settle_timeout": True}, "settle_timeout"),
        ({"settle": True, "settle_timeout": 121}, "settle_timeout"),
    ],
)
@pytest.mark.parametrize(
    ("path", "move"),
    [("/_mock/clock/advance", {"seconds": 3600}), ("/_mock/clock/set", {"now": START + 3600})],
)
def test_a_bad_settle_is_the_invalid_envelope_naming_it_and_the_clock_stays(
    mock: CampaignMock, path: str, move: dict[str, Any], extra: dict[str, Any], field_name: str
) -> None:
    answer = _call(mock, "POST", path, json={**move, **extra})
    assert answer.status_code == 200  # V-3: the application ran, and refused it
    body = answer.json()
    assert body["success"] is False
    assert body["data"]["code"] == "invalid"
    assert list(body["data"]["errors"]) == [field_name]
    assert field_name in body["data"]["error"]
    assert _data(_call(mock, "GET", "/_mock/clock"))["now"] == START


def test_isolated_a_settling_move_waits_for_the_callers_world_alone() -> None:
    """`--isolate accounts`: with an account's credentials (and the token every clock move
    needs) the move waits for that world's callbacks; with the token alone, for every world's."""
    document = yaml.safe_load(
        resources.files("campaign_mock.fixtures").joinpath("default.yaml").read_text("utf-8")
    )
    document["accounts"].append({"username": "other", "password": "other-password"})
    other = ("other", "other-password")
    token = {"X-Mock-Token": "settle-token"}
    with (
        CampaignMock.serve(document, isolate="accounts", control_token="settle-token") as mock,
        _receiving(Receiver(hold=True)) as stuck,
        _receiving(Receiver(delay=0.1)) as quick,
    ):
        mock.clock.freeze(START)
        _campaigns(mock, stuck, count=1, auth=mock.auth)  # demo's world never gets an answer
        _campaigns(mock, quick, count=1, auth=other)
        body = {"seconds": 3600, "settle": True, "settle_timeout": 20}
        mine = _data(
            _call(mock, "POST", "/_mock/clock/advance", json=body, auth=other, headers=token)
        )
        assert len(quick.paths()) == len(mock.world("other").deliveries) > 0
        assert mine["settled"] is True and mine["pending"] == 0
        assert stuck.paths()  # demo's attempt is in flight, and was not waited for

        body = {"seconds": 60, "settle": True, "settle_timeout": 0.5}
        every = _data(_call(mock, "POST", "/_mock/clock/advance", json=body, headers=token))
        assert every["settled"] is False and every["pending"] >= 1


@pytest.fixture(params=["sqlite", "redis"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    url: str = request.getfixturevalue("redis_url")
    return url


def test_on_a_store_a_settling_move_on_an_instance_without_the_lease_waits_for_the_holder(
    state: str, tmp_path: Path, receiver: Receiver
) -> None:
    """Only the instance holding the sends' lease sends callbacks: a settling move through
    another asks it (a read-only command on the store) until its attempts are made."""
    with instances(state, tmp_path, 2, "--frozen") as pair:
        wait_until(lambda: any(i.store()["sending"] for i in pair), 30, "a lease holder")
        holder, other = sorted(pair, key=lambda i: not i.store()["sending"])
        assert not other.store()["sending"]
        now = other.data(other.get("/_mock/clock"))["now"]
        for number in range(1, CAMPAIGNS + 1):
            fields = {
                "name": f"Sale {number}",
                "domain": 1,
                "list": 1,
                "state": "READY",
                "when": int(now),  # type: ignore[call-overload]
                "event_callback": f"{receiver.url}/cb/{number}",
            }
            other.data(other.post("/campaign", json=fields))
        wait_until(lambda: _sending(holder) == CAMPAIGNS, 30, "the holder to start the sends")

        body = {"seconds": 3600, "settle": True, "settle_timeout": 60}
        answer = other.data(other.post("/_mock/clock/advance", json=body))
        arrived = receiver.paths()
        assert {path.rsplit("/", 1)[1] for path in arrived} == {
            str(n) for n in range(1, CAMPAIGNS + 1)
        }
        waited = holder.data(holder.post("/_mock/deliveries/wait", json={"idle": True}))
        assert waited["reached"] is True
        journal = holder.data(holder.get("/_mock/deliveries?body=0"))["deliveries"]
        assert len(arrived) == len(journal)  # type: ignore[arg-type]
        assert answer["settled"] is True and answer["pending"] == 0, answer


def _sending(instance: Instance) -> int:
    campaigns = instance.data(instance.get("/_mock/state"))["campaigns"]
    return sum(1 for c in campaigns if c["state"] == "SENDING")  # type: ignore[attr-defined]


def _ready_campaign(client: Any, receiver: Receiver) -> None:
    """A READY campaign due at START, through the in-process client, calling `receiver`."""
    basic = {"Authorization": "Basic " + base64.b64encode(b"demo:demo-password").decode()}
    fields = {
        "name": "Sale",
        "domain": 1,
        "list": 1,
        "state": "READY",
        "when": int(START),
        "event_callback": f"{receiver.url}/cb/1",
    }
    assert client.post("/campaign", json=fields, headers=basic).get_json()["success"]


def test_with_no_delivery_workers_a_settling_move_sends_in_the_requests_thread(
    receiver: Receiver,
) -> None:
    """`create_app` in a server of one's own (here Flask's test client) runs no workers: the
    move itself sends what it made due, and a move that does not settle sends nothing."""
    client = create_app(clock=MockClock(start=START, frozen=True)).test_client()
    _ready_campaign(client, receiver)
    plain = client.post("/_mock/clock/advance", json={"seconds": 60}).get_json()["data"]
    assert "settled" not in plain and receiver.paths() == []
    moved = client.post("/_mock/clock/advance", json={"seconds": 3600, "settle": True})
    answer = moved.get_json()["data"]
    journal = client.get("/_mock/deliveries?body=0").get_json()["data"]
    assert len(receiver.paths()) == len(journal["deliveries"]) > 0
    assert journal["busy"] == 0
    assert answer["settled"] is True and answer["pending"] == 0


def test_sending_in_the_callers_thread_leaves_no_connection_open(receiver: Receiver) -> None:
    """Callbacks sent in the caller's thread (a settling move with no workers, the handle's
    `deliver_due`) keep no connection in that thread: one left there was closed only by the
    garbage collector, as an unclosed-socket ResourceWarning in whatever test ran next."""
    app = create_app(clock=MockClock(start=START, frozen=True))
    client = app.test_client()
    _ready_campaign(client, receiver)
    moved = client.post("/_mock/clock/advance", json={"seconds": 3600, "settle": True})
    assert moved.get_json()["data"]["settled"] is True and receiver.paths()
    del client, app, moved
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    leaked = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaked, leaked
