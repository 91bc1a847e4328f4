"""Issue 18, item 2: no move of the clock spins, whatever the send rate was and is now.

Lowering `send_rate` while a campaign was sending, then advancing the clock, used to loop
forever under the backend's lock (the loop asked the new rate how many messages were due and
the send's own rate whether one was): the call never returned, a core spun, and forty such
calls left the mock answering nothing. Even unchanged settings could spin on a float that
rounded a message's send time just below a whole number (advance 0.001 s at 1000/s).

A send keeps the settings it started with; sends that start later use the new ones
(docs/internals.md, "Settings during a send").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from tests.serving import served_mock

from campaign_mock import create_app
from campaign_mock.domain.clock import MockClock

#: 2030-01-01T00:00:00Z.
START = 1_893_456_000.0
AUTH = ("demo", "demo-password")
#: Contacts in the built-in fixtures' list 1.
CONTACTS = 6
#: How long a move of the clock may take before it counts as stuck (real seconds).
PROMPT = 2.0


class Served:
    """A `campaign-mock serve` process driven over HTTP, every call with a short timeout."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.http.request(method, self.url + path, timeout=10, **kwargs)
        body = answer.json()
        assert answer.status_code == 200 and body["success"], (answer.status_code, body)
        return body["data"]

    def timed(self, method: str, path: str, **kwargs: Any) -> tuple[float, Any]:
        """The answer's data and how long it took; a `ReadTimeout` past `PROMPT` * 2."""
        began = time.monotonic()
        answer = self.http.request(method, self.url + path, timeout=PROMPT * 2, **kwargs)
        took = time.monotonic() - began
        body = answer.json()
        assert answer.status_code == 200 and body["success"], body
        return took, body["data"]

    def create(self, when: float) -> int:
        fields = {"name": "n", "domain": 1, "list": 1, "state": "READY", "when": int(when)}
        return int(self.call("POST", "/campaign", auth=AUTH, json=fields)["id"])

    def state_of(self, ident: int) -> str:
        return str(self.call("GET", f"/campaign/{ident}", auth=AUTH)["state"])


@pytest.fixture
def frozen() -> Iterator[Served]:
    with served_mock("--frozen", "--start-time", "2030-01-01T00:00:00Z") as url:
        served = Served(url)
        yield served
        served.http.close()


@pytest.mark.parametrize("rate", [0.5, 0.001, 1e-9, 3.0])
def test_changing_the_send_rate_mid_send_then_advancing_answers_at_once(
    frozen: Served, rate: float
) -> None:
    """The issue's sequence on a frozen clock: the advance answers promptly; the running send
    keeps its rate (it ends soon), and a send started afterwards goes at the new one."""
    first = frozen.create(START)
    frozen.call("POST", "/_mock/clock/advance", json={"seconds": 0})
    assert frozen.state_of(first) == "SENDING"
    assert frozen.call("PUT", "/_mock/settings", json={"send_rate": rate})["send_rate"] == rate

    took, clock = frozen.timed("POST", "/_mock/clock/advance", json={"seconds": 1})
    assert took < PROMPT and clock["now"] == START + 1
    assert frozen.state_of(first) == "SENDING"  # its messages' outcomes take ~20 s

    second = frozen.create(START + 1)
    took, _ = frozen.timed("POST", "/_mock/clock/advance", json={"seconds": 3600})
    assert took < PROMPT
    assert frozen.state_of(first) == "DONE"  # 1000 a second, as when it started
    # At the new rate its last contact leaves (CONTACTS - 1) / rate seconds after the start.
    slow = (CONTACTS - 1) / rate > 3600
    assert frozen.state_of(second) == ("SENDING" if slow else "DONE")


def test_a_fraction_of_a_message_apart_does_not_spin(frozen: Served) -> None:
    """0.001 s at 1000 a second from START: `(now - start) * rate` rounds to 0.9999."""
    frozen.create(START)
    frozen.call("POST", "/_mock/clock/advance", json={"seconds": 0})
    took, clock = frozen.timed("POST", "/_mock/clock/advance", json={"seconds": 0.001})
    assert took < PROMPT and clock["now"] == pytest.approx(START + 0.001)


def test_forty_such_calls_leave_the_mock_answering(frozen: Served) -> None:
    for step in range(40):
        ident = frozen.create(START + step)
        frozen.call("POST", "/_mock/clock/advance", json={"seconds": 0})
        frozen.call("PUT", "/_mock/settings", json={"send_rate": 0.5 if step % 2 else 1000})
        took, _ = frozen.timed("POST", "/_mock/clock/advance", json={"seconds": 1})
        assert took < PROMPT, step
        assert frozen.state_of(ident) in {"SENDING", "DONE"}
    took, _ = frozen.timed("GET", "/campaign/1", auth=AUTH)
    assert took < PROMPT


def test_a_sped_up_running_clock_survives_a_lower_rate() -> None:
    """Not frozen, 1000 times real time, a message every 1000 mock seconds (one a real
    second): once the rate is lowered, neither the ticker nor an advance spins when the next
    message's time comes."""
    with served_mock("--speed", "1000", "--send-rate", "0.001") as url:
        served = Served(url)
        started = served.call("GET", "/_mock/clock")["now"]
        ident = served.create(started)
        deadline = time.monotonic() + 10
        while served.state_of(ident) != "SENDING":  # the ticker starts it within a tick
            assert time.monotonic() < deadline, "the send never started"
            time.sleep(0.05)
        for rate in (0.0005, 0.0001, 1e-9):
            served.call("PUT", "/_mock/settings", json={"send_rate": rate})
            took, _ = served.timed("POST", "/_mock/clock/advance", json={"seconds": 1})
            assert took < PROMPT, rate
        now = started
        while now < started + 2500:  # past the 2nd and 3rd messages at 0.001 a second
            took, clock = served.timed("POST", "/_mock/clock/advance", json={"seconds": 1})
            assert took < PROMPT, now - started
            now = clock["now"]
        took, _ = served.timed("GET", f"/campaign/{ident}", auth=AUTH)
        assert took < PROMPT
        served.http.close()


# -- in process: every lowering of the rate, and any rates and steps ----------------------


def _advance_in_process(before: float, after: float, start: float, steps: list[float]) -> None:
    """Through the app (Flask's test client): a send at `before`, the rate set to `after`,
    then each step; fails (rather than hangs) if a step does not return within PROMPT."""
    clock = MockClock(start=start, frozen=True)
    client = create_app(clock=clock).test_client()
    client.put("/_mock/settings", json={"send_rate": before})
    fields = {"name": "n", "domain": 1, "list": 1, "state": "READY", "when": int(start)}
    created = client.post("/campaign", auth=AUTH, json=fields).get_json()
    assert created["success"], created
    client.post("/_mock/clock/advance", json={"seconds": 0})
    assert client.put("/_mock/settings", json={"send_rate": after}).get_json()["success"]
    for seconds in steps:
        answers: list[Any] = []
        worker = threading.Thread(
            target=lambda s=seconds, found=answers: found.append(
                client.post("/_mock/clock/advance", json={"seconds": s}).get_json()
            ),
            daemon=True,
        )
        worker.start()
        worker.join(PROMPT)
        assert answers, f"advance {seconds} s at {before} then {after} a second never returned"
        assert answers[0]["success"], answers[0]


RATES = [1000.0, 3.0, 0.5, 0.001, 1e-9, 1e6]


@pytest.mark.parametrize(("before", "after"), [(b, a) for b in RATES for a in RATES if a < b])
def test_every_lowering_of_the_rate_advances(before: float, after: float) -> None:
    _advance_in_process(before, after, int(START), [0.001, 1, 0.3, 3600])


@given(
    before=st.floats(min_value=1e-9, max_value=1e6),
    after=st.floats(min_value=1e-9, max_value=1e6),
    start=st.floats(min_value=START, max_value=START + 1),
    steps=st.lists(st.floats(min_value=0, max_value=10), min_size=1, max_size=4),
)
def test_any_rates_and_steps_advance(
    before: float, after: float, start: float, steps: list[float]
) -> None:
    _advance_in_process(before, after, start, steps)
