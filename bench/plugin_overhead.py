"""What a test pays for the mock: reset + one create + one GET, per mode, as ratios to a bare
Flask test client doing the same two calls; and the first start of the live fixture.

    python bench/plugin_overhead.py [--rounds 2000]

Targets (all median per test, in-process in this interpreter unless said):
- bare test client: bench/bare_app.py through Flask's test client (the baseline);
- mock test client: the mock's app through Flask's test client, `reset()` first;
- live fixture: `CampaignMock.prepare()` (the per-test reset) + the two calls over HTTP
  (a keep-alive `requests.Session`), as a test using the `campaign_mock` fixture does;
- in-process: entering `campaign_mock.intercept(...)` (a fresh mock) + the two calls with
  `requests`, then leaving it, as a test decorated with it does;
- reset alone, and the first start (import + serve) in fresh interpreters.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))

import bare_app

import campaign_mock
from campaign_mock import CampaignMock

AUTH = ("demo", "demo-password")
HEADERS = {"Authorization": "Basic " + base64.b64encode(b"demo:demo-password").decode()}
FORM = {"name": "bench", "domain": "1", "list": "1"}
START_CODE = (
    "import time; t = time.perf_counter(); from campaign_mock import CampaignMock; "
    "m = CampaignMock.serve(); print((time.perf_counter() - t) * 1e3); m.close()"
)


def median_us(step: Callable[[], object], rounds: int) -> float:
    for _ in range(min(rounds // 10, 200)):  # warm-up
        step()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--starts", type=int, default=5, help="fresh interpreters to time")
    rounds = parser.parse_args().rounds
    starts = parser.parse_args().starts

    bare = bare_app.create_app().test_client()

    def bare_test() -> None:
        bare.post("/_mock/reset")
        ident = bare.post("/campaign", headers=HEADERS, data=FORM).json["data"]["id"]  # type: ignore[index]
        bare.get(f"/campaign/{ident}", headers=HEADERS)

    mock_app = CampaignMock.in_process()
    client = mock_app.app.test_client()

    def mock_test() -> None:
        mock_app.reset()
        ident = client.post("/campaign", headers=HEADERS, data=FORM).json["data"]["id"]  # type: ignore[index]
        client.get(f"/campaign/{ident}", headers=HEADERS)

    live = CampaignMock.serve()
    session = requests.Session()

    def live_test() -> None:
        live.prepare()
        ident = session.post(f"{live.url}/campaign", auth=AUTH, data=FORM).json()["data"]["id"]
        session.get(f"{live.url}/campaign/{ident}", auth=AUTH)

    api = "https://api.bench.test"
    interception = campaign_mock.intercept(api)

    def inprocess_test() -> None:
        with interception:
            ident = requests.post(f"{api}/campaign", auth=AUTH, data=FORM).json()["data"]["id"]
            requests.get(f"{api}/campaign/{ident}", auth=AUTH)

    results = {
        "bare test client (baseline)": median_us(bare_test, rounds),
        "mock test client + reset": median_us(mock_test, rounds),
        "live fixture (HTTP)": median_us(live_test, rounds),
        "in-process (responses)": median_us(inprocess_test, rounds),
    }
    reset = median_us(live.prepare, rounds)
    live.close()
    session.close()
    command = [sys.executable, "-c", START_CODE]
    first = [
        float(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        for _ in range(starts)
    ]
    baseline = results["bare test client (baseline)"]
    print(f"per test: reset + POST /campaign + GET /campaign/1, median of {rounds}")
    for name, value in results.items():
        print(f"  {name:<30} {value:9.1f} us   x{value / baseline:5.2f}")
    print(f"reset (live fixture, prepare())  {reset:9.1f} us   target < 5000 us")
    print(
        f"first start (import + serve)     {statistics.median(first):9.1f} ms   target < 300 ms"
        f"   (min {min(first):.1f}, max {max(first):.1f}, {starts} fresh interpreters)"
    )


if __name__ == "__main__":
    main()
