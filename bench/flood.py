"""GET latency of a fresh client while idle and slowloris connections hold the mock's sockets.

Starts `campaign-mock serve` on a free loopback port, times fresh GETs with nothing else open,
then opens `--idle` connections that send nothing and `--slowloris` connections that trickle
a request head one byte a second, and times fresh GETs again (at once, and `--later` seconds
on, when the mock's deadlines have had time to act). Prints the medians side by side; a GET
that gets no answer within `--timeout` counts as that timeout.

    python bench/flood.py [--idle 500] [--slowloris 100] [--gets 5] [--later 15]
    python bench/flood.py --serve "--workers 1"     # the same flood against granian
"""

from __future__ import annotations

import argparse
import base64
import resource
import shlex
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

AUTH = "Basic " + base64.b64encode(b"demo:demo-password").decode()
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fresh_get(port: int, timeout: float) -> float:
    """Seconds until a new connection's GET /campaign/1 is answered (`timeout` if never)."""
    started = time.monotonic()
    request = (
        f"GET /campaign/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH}\r\n"
        "Accept: application/json\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(max(0.01, timeout - (time.monotonic() - started)))
            sock.sendall(request)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        if not answer.startswith(b"HTTP/1.1 "):
            raise RuntimeError(f"unexpected answer: {answer[:80]!r}")
    except (TimeoutError, ConnectionError):
        return timeout
    return time.monotonic() - started


def create_campaign(port: int) -> None:
    """Campaign 1, the one every GET reads."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/campaign",
        data=b"name=flood&domain=1&list=1",
        headers={"Authorization": AUTH, "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert b'"id":1' in answer.read()


def median_get(port: int, gets: int, timeout: float) -> float:
    return statistics.median(fresh_get(port, timeout) for _ in range(gets))


def open_quietly(port: int) -> socket.socket | None:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return None
    sock.setblocking(False)
    return sock


class Flood:
    """Idle sockets, and slowloris sockets trickling a head a byte a second, until `stop()`."""

    def __init__(self, port: int, idle: int, slowloris: int) -> None:
        self.idle = [s for s in (open_quietly(port) for _ in range(idle)) if s]
        self.slow = [s for s in (open_quietly(port) for _ in range(slowloris)) if s]
        self.closed_by_server = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        head = b"GET /campaign/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        sent = 0
        while not self._stop.wait(1.0):
            byte = head[sent : sent + 1] or b"a"
            sent += 1
            for sock in list(self.slow):
                try:
                    sock.send(byte)
                except BlockingIOError:
                    pass  # the server is not reading it: still held open
                except OSError:
                    self.slow.remove(sock)
                    self.closed_by_server += 1
                    sock.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in self.idle + self.slow:
            sock.close()


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="examples:\n"
        "  .venv/bin/python bench/flood.py                          # 500 idle + 100 slowloris\n"
        "  .venv/bin/python bench/flood.py --idle 2000 --slowloris 0\n"
        '  .venv/bin/python bench/flood.py --serve "--workers 1"     # granian in one process',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--idle", type=int, default=500, help="idle connections [500]")
    parser.add_argument(
        "--slowloris", type=int, default=100, help="connections sending a byte a second [100]"
    )
    parser.add_argument("--gets", type=int, default=5, help="GETs per median")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a GET may take")
    parser.add_argument("--later", type=float, default=15.0, help="seconds before the 3rd median")
    parser.add_argument(
        "--serve", default="", help='more `campaign-mock serve` options, e.g. "--workers 1"'
    )
    options = parser.parse_args()
    raise_fd_limit(options.idle + options.slowloris + 256)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "campaign_mock",
            "serve",
            "--port",
            str(port),
            *shlex.split(options.serve),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while fresh_get(port, 1.0) >= 1.0:
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit("campaign-mock serve did not start")
            time.sleep(0.1)  # waiting for the subprocess to listen
        create_campaign(port)
        quiet = median_get(port, options.gets, options.timeout)
        flood = Flood(port, options.idle, options.slowloris)
        time.sleep(2.0)  # two trickled bytes: every slowloris head has begun
        under = median_get(port, options.gets, options.timeout)
        time.sleep(options.later)
        later = median_get(port, options.gets, options.timeout)
        cut = flood.closed_by_server
        flood.stop()
    finally:
        server.terminate()
        server.wait(10)
    served = f"serve {options.serve}".strip()
    print(f"flood: {len(flood.idle)} idle + {options.slowloris} slowloris connections ({served})")
    print(f"median fresh GET, nothing open:        {quiet * 1e3:9.1f} ms")
    print(f"median fresh GET, under the flood:     {under * 1e3:9.1f} ms")
    print(f"median fresh GET, {options.later:g} s later:       {later * 1e3:9.1f} ms")
    print(f"slowloris connections closed by the mock: {cut} of {options.slowloris}")
    print(f"(a GET unanswered within {options.timeout:g} s counts as {options.timeout:g} s)")


if __name__ == "__main__":
    main()
