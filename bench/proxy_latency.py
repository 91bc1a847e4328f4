"""What `campaign-contract proxy` adds to each request: latency direct vs through the proxy
(judging on, as a user runs it), p50 and p99, and their ratios.

The mock is served in this process (waitress, built-in fixtures, Basic auth); the proxy runs
as its own process (`python -m campaign_contract proxy --to <mock>`), its lines thrown away.
One keep-alive connection per path, GETs of one campaign and form POSTs, sent in interleaved
rounds (direct, proxied, direct, ...) so a slow patch of the machine hits both alike.

    .venv/bin/python bench/proxy_latency.py                      # 2000 GETs, 500 POSTs
    .venv/bin/python bench/proxy_latency.py --gets 200 --posts 50 --rounds 2   # a quick look
"""

from __future__ import annotations

import argparse
import base64
import http.client
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.contract.conftest import served

AUTH = "Basic " + base64.b64encode(b"demo:demo-password").decode()
FORM = "application/x-www-form-urlencoded"
LISTENING = re.compile(r"^proxying (http://\S+) -> ")

EXAMPLES = """\
examples:
  .venv/bin/python bench/proxy_latency.py
  .venv/bin/python bench/proxy_latency.py --gets 200 --posts 50 --rounds 2
"""


def start_proxy(target: str) -> tuple[subprocess.Popen[str], str]:
    """The proxy in front of `target`, once it listens: the process and its URL."""
    command = [sys.executable, "-m", "campaign_contract", "proxy", "--to", target]
    process = subprocess.Popen(
        [*command, "--listen", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        found = LISTENING.match(line)
        if found:
            return process, found[1]
    raise SystemExit(f"the proxy did not start (exit {process.wait()})")


def timed(connection: http.client.HTTPConnection, method: str, path: str, body: bytes) -> float:
    """Seconds from sending the request to the last byte of its answer."""
    headers = {"Authorization": AUTH, "Accept": "application/json"}
    if body:
        headers["Content-Type"] = FORM
    started = time.perf_counter()
    connection.request(method, path, body=body or None, headers=headers)
    answer = connection.getresponse()
    answer.read()
    spent = time.perf_counter() - started
    if answer.status != 200:
        raise SystemExit(f"{method} {path}: HTTP {answer.status}")
    return spent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Latency per request direct vs through `campaign-contract proxy`.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--gets", type=int, default=2000, help="GETs per path [2000]")
    parser.add_argument("--posts", type=int, default=500, help="form POSTs per path [500]")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds [5]")
    args = parser.parse_args(argv)
    with served() as mock:
        proxy, proxy_url = start_proxy(mock)
        try:
            urls = {"direct": mock, "proxy": proxy_url}
            connections = {
                name: http.client.HTTPConnection(urlsplit(u).netloc, timeout=30)
                for name, u in urls.items()
            }
            timed(connections["direct"], "POST", "/campaign", b"name=b&domain=1&list=1")  # id 1
            samples: dict[tuple[str, str], list[float]] = {}
            for number in range(args.rounds):
                for name, connection in connections.items():
                    for method, count in (("GET", args.gets), ("POST", args.posts)):
                        body = b"name=bench&domain=1&list=1" if method == "POST" else b""
                        path = "/campaign" if method == "POST" else "/campaign/1"
                        spent = samples.setdefault((name, method), [])
                        for _ in range(max(1, count // args.rounds)):
                            spent.append(timed(connection, method, path, body))
                print(f"round {number + 1}/{args.rounds} done", file=sys.stderr)
            for connection in connections.values():
                connection.close()
        finally:
            proxy.terminate()
            proxy.wait(30)
            if proxy.stderr is not None:
                proxy.stderr.close()
    for method in ("GET", "POST"):
        direct, proxied = samples[("direct", method)], samples[("proxy", method)]
        p50 = (statistics.median(direct), statistics.median(proxied))
        p99 = (percentile(direct, 0.99), percentile(proxied, 0.99))
        print(
            f"{method}: direct p50 {p50[0] * 1e3:.2f} ms p99 {p99[0] * 1e3:.2f} ms; "
            f"proxy p50 {p50[1] * 1e3:.2f} ms p99 {p99[1] * 1e3:.2f} ms; "
            f"added p50 {(p50[1] - p50[0]) * 1e3:.2f} ms; ratio p50 {p50[1] / p50[0]:.2f} "
            f"p99 {p99[1] / p99[0]:.2f} ({len(direct)} requests each)"
        )


if __name__ == "__main__":
    main()
