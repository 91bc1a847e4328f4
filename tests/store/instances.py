"""Mock instances as separate processes (`campaign-mock serve --state ...`), which the store
tests stop, kill with SIGKILL and restart, and a reference run to compare their events with."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
import requests
from tests.serving import THIS_PYTHON, free_port

from campaign_mock.testing.sink import CallbackSink

AUTH = ("demo", "demo-password")
#: A list big enough that its send lasts a few real seconds at SEND_OPTIONS.
CONTACTS = 1500
#: 25 messages a (mock) second on a clock 10 times real time, in 5 s windows: about six
#: real seconds of sending, long enough to kill the sender in the middle.
SEND_OPTIONS = ("--send-rate", "25", "--speed", "10", "--window", "5", "--seed", "3")
#: Opens and clicks within seconds, not the default half hour, so a send settles soon.
QUICK_DELAYS = {"delays": {"opened": 10, "clicked": 5}}


@dataclass
class Instance:
    """One `campaign-mock serve` process."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    output: IO[str]

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return requests.get(self.url + path, auth=AUTH, timeout=30, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, **kwargs: object) -> requests.Response:
        return requests.post(self.url + path, auth=AUTH, timeout=30, **kwargs)  # type: ignore[arg-type]

    def put(self, path: str, **kwargs: object) -> requests.Response:
        return requests.put(self.url + path, auth=AUTH, timeout=30, **kwargs)  # type: ignore[arg-type]

    def data(self, answer: requests.Response) -> dict[str, object]:
        body = answer.json()
        assert body["success"], (answer.status_code, body)
        found: dict[str, object] = body["data"]
        return found

    def store(self) -> dict[str, object]:
        return self.data(self.get("/_mock/store"))

    def kill(self) -> None:
        """SIGKILL: no checkpoint, no lease given back; what a crash leaves."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.output.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)
        self.output.close()


def start(
    state: str, tmp_path: Path, *options: str, name: str = "mock", port: int | None = None
) -> Instance:
    port = port or free_port()
    log = tmp_path / f"{name}-{port}.log"
    output = log.open("w")
    process = subprocess.Popen(
        [*THIS_PYTHON, "serve", "--port", str(port), "--state", state, *options],
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    instance = Instance(process, f"http://127.0.0.1:{port}", log, output)
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(instance.url + "/_mock/store", timeout=1).close()
            return instance
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                instance.stop()
                pytest.fail(f"campaign-mock serve did not start: {log.read_text()}")
            time.sleep(0.1)  # a subprocess coming up


@contextmanager
def instances(state: str, tmp_path: Path, count: int, *options: str) -> Iterator[list[Instance]]:
    started = [start(state, tmp_path, *options, name=f"mock{i}") for i in range(count)]
    try:
        yield started
    finally:
        for each in started:
            each.stop()


def big_fixtures(tmp_path: Path, contacts: int = CONTACTS) -> Path:
    """The built-in fixtures and list 10 of `contacts` generated contacts (Email + SMS)."""
    shown = subprocess.run(
        [*THIS_PYTHON, "fixtures", "show"], check=True, capture_output=True, text=True
    ).stdout
    import yaml

    document = yaml.safe_load(shown)
    document["lists"].append(
        {
            "id": 10,
            "name": "Many",
            "generate": {
                "count": contacts,
                "first_id": 100_000,
                "email": "user{n}@example.com",
                "telephone": "+3519{n:08d}",
            },
        }
    )
    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps(document))
    return path


def events_of(sink: CallbackSink) -> Counter[tuple[str, str, str]]:
    """(channel, event, address) of every callback received, with how often each came."""
    return Counter((e.channel, e.event, e.address) for e in sink.events())


def wait_until(check: object, timeout: float, what: str) -> None:
    """Polls `check()` (real time: these are real processes) until it is true."""
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def campaign_state(instance: Instance, ident: int) -> str:
    return str(instance.data(instance.get(f"/campaign/{ident}"))["state"])


def settled(instance: Instance, ident: int) -> bool:
    """DONE, and nothing left to deliver."""
    if campaign_state(instance, ident) != "DONE":
        return False
    summary = instance.data(instance.get("/_mock/deliveries", params={"summary": 1}))
    return summary["sending"] == 0 and summary["next_due"] is None


#: Callback attempts that may be in flight when an instance dies: `--delivery-workers`'
#: default. Their receiver got them; the acknowledgment died with the instance (C-4's
#: at-least-once), so they are the only batches a crash may deliver twice.
IN_FLIGHT = 4


def repeated_callbacks(sink: CallbackSink) -> int:
    """Callbacks whose body came more than once."""
    bodies = Counter(c.body for c in sink.callbacks)
    return sum(n - 1 for n in bodies.values())


def lost_and_repeated(
    got: Counter[tuple[str, str, str]], expected: Iterable[tuple[str, str, str]]
) -> tuple[set[tuple[str, str, str]], int]:
    wanted = set(expected)
    lost = wanted - set(got)
    repeated = sum(n - 1 for n in got.values())
    return lost, repeated
