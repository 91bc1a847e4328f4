"""The contract suite's per-request time against the mock on stdlib http.server vs on waitress.

http.server (wsgiref) writes an answer in several sends with Nagle's algorithm on; a
keep-alive client whose kernel delays ACKs then waits ~40 ms for each answer's tail. The
suite's client (campaign_contract.transport.http.Client, with QuickAckAdapter) must not
pay that. Both servers run in this process, serving the same app build (built-in fixtures, Basic
auth); the requests are the suite's kind (create, read, update, a 404, delete, each with Basic
auth and Accept: application/json), sent round-robin over the targets in several rounds so a
slow patch of the machine hits all alike. Also measured: the same client with requests' plain
HTTPAdapter mounted instead (what the suite did before), to show the stall is real here.

    .venv/bin/python bench/suite_latency.py [--rounds 5] [--requests 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

from requests.adapters import HTTPAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.contract.conftest import mock_app, served
from tests.contract.stdlib_served import stdlib_served

from campaign_contract.transport.http import BasicAuth, Client

AUTH = BasicAuth("demo", "demo-password")


def requests_of_the_suite(client: Client, count: int) -> Iterator[float]:
    """`count` requests in the suite's mix; each one's elapsed seconds (Exchange.elapsed)."""
    ident = None
    for n in range(count):
        step = n % 5
        if step == 0 or ident is None:
            exchange = client.post("/campaign", form={"name": "bench", "domain": "1", "list": "1"})
            ident = exchange.data().get("id")
        elif step == 1:
            exchange = client.get(f"/campaign/{ident}")
        elif step == 2:
            exchange = client.put(f"/campaign/{ident}", form={"name": "bench 2"})
        elif step == 3:
            exchange = client.get("/campaign/999999")
        else:
            exchange = client.delete(f"/campaign/{ident}")
            ident = None
        if exchange.status is None:
            raise SystemExit(f"{exchange.method} {exchange.url}: {exchange.error}")
        yield exchange.elapsed


def measure(url: str, plain: bool, count: int) -> list[float]:
    with Client(url, auth=AUTH) as client:
        if plain:
            for prefix in ("http://", "https://"):
                client._session.mount(prefix, HTTPAdapter())  # the stall, for comparison
        list(requests_of_the_suite(client, 5))  # warm-up: the connection, first imports
        return list(requests_of_the_suite(client, count))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="round-robin rounds (default 5)")
    parser.add_argument("--requests", type=int, default=100, help="requests per target a round")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        urls = {
            "waitress": stack.enter_context(served()),
            "http.server": stack.enter_context(stdlib_served(mock_app())),
        }
        targets = [(server, plain) for plain in (False, True) for server in urls]
        times: dict[tuple[str, bool], list[float]] = {t: [] for t in targets}
        for round_ in range(args.rounds):
            shift = round_ % len(targets)
            for server, plain in targets[shift:] + targets[:shift]:
                times[server, plain] += measure(urls[server], plain, args.requests)
    median = {t: statistics.median(v) * 1e3 for t, v in times.items()}
    print(f"{'client':<34} {'server':<12} {'median ms':>9} {'vs waitress':>11}   requests")
    for server, plain in targets:
        client = "plain HTTPAdapter (before)" if plain else "suite Client (QuickAckAdapter)"
        ratio = median[server, plain] / median["waitress", plain]
        count = len(times[server, plain])
        print(f"{client:<34} {server:<12} {median[server, plain]:>9.2f} {ratio:>10.2f}x   {count}")
    ratio = median["http.server", False] / median["waitress", False]
    print(f"\nsuite client on http.server: {median['http.server', False]:.2f} ms a request, "
          f"{ratio:.2f}x waitress (same run)")  # fmt: skip


if __name__ == "__main__":
    main()
