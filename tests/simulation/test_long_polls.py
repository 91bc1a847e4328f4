"""Long-polls wait on threads of their own: waiting tests never slow the API they test.

Eight 30 s waits used to take all of waitress's request threads, so a GET took 29 s.
"""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any

import pytest
import requests

from campaign_mock.delivery.dispatcher import MAX_LONG_POLLS

from .conftest import AUTH, Mock

#: Real seconds each long-poll waits: long enough to overlap every GET of the test.
WAIT = 6.0


def start_waits(mock: Mock, count: int) -> tuple[list[threading.Thread], list[Any]]:
    answers: list[Any] = []

    def wait() -> None:
        body = {"campaign": 1, "event": "delivered", "count": 1, "timeout": WAIT}
        answer = requests.post(mock.server.url + "/_mock/deliveries/wait", json=body, timeout=60)
        answers.append(answer.json())

    threads = [threading.Thread(target=wait, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, answers


def median_get(mock: Mock, times: int = 3) -> float:
    took = []
    for _ in range(times):
        started = time.monotonic()
        answer = requests.get(mock.server.url + "/campaign/1", auth=AUTH, timeout=30)
        took.append(time.monotonic() - started)
        assert answer.status_code in {200, 404}
    return statistics.median(took)


@pytest.mark.parametrize("waits", [8, 20])
def test_a_get_answers_at_once_while_long_polls_wait(mock: Mock, waits: int) -> None:
    threads, answers = start_waits(mock, waits)
    time.sleep(1.0)  # real time for the waiting clients to connect; the mock's clock is frozen
    took = median_get(mock)
    assert not answers, "a long-poll ended before the GETs: they did not overlap"
    assert took < 1.0, f"GET took {took:.2f} s with {waits} long-polls waiting"
    for thread in threads:
        thread.join(WAIT + 30)
    assert len(answers) == waits
    assert all(a["data"] == {"reached": False, "acknowledged": 0} for a in answers)


def test_a_long_poll_beyond_the_cap_is_answered_at_once(mock: Mock) -> None:
    threads, answers = start_waits(mock, MAX_LONG_POLLS)
    time.sleep(1.5)  # real time for the waiting clients to connect
    started = time.monotonic()
    extra = requests.post(
        mock.server.url + "/_mock/deliveries/wait", json={"idle": True, "timeout": WAIT}, timeout=30
    )
    assert time.monotonic() - started < 1.0
    assert extra.status_code == 429 and extra.headers["Retry-After"] == "1"
    assert extra.json()["success"] is False and extra.json()["data"]["code"] == "busy"
    assert median_get(mock) < 1.0
    for thread in threads:
        thread.join(WAIT + 30)
    assert len(answers) == MAX_LONG_POLLS and all(a["success"] for a in answers)
    # The slots are given back: a wait after them waits again.
    assert mock.call("POST", "/_mock/deliveries/wait", json={"idle": True, "timeout": 1})["reached"]


def test_a_nan_wait_is_refused_and_spins_nothing(mock: Mock) -> None:
    started = time.monotonic()
    for body in (b'{"idle": true, "timeout": NaN}', b'{"idle": true, "timeout": 1e308}'):
        answer = requests.post(
            mock.server.url + "/_mock/deliveries/wait",
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=10,
        ).json()
        assert answer["success"] is False
        # NaN is not JSON (400 malformed, or V-3 invalid); 1e308 is, and is out of range.
        assert answer["data"]["code"] in {"malformed", "invalid"}
    assert answer["data"]["code"] == "invalid" and "timeout" in answer["data"]["errors"]
    assert time.monotonic() - started < 2.0
    # Nothing is left waiting: every long-poll slot is free.
    threads, answers = start_waits(mock, MAX_LONG_POLLS)
    for thread in threads:
        thread.join(WAIT + 30)
    assert all(a["success"] for a in answers)
