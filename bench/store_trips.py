"""Round trips to Redis per request: `campaign-mock serve --state redis://...` on a private
redis-server, watched with MONITOR while a client makes N requests of each kind.

A round trip is a command the mock sends, or one MULTI..EXEC block; commands a Lua script
runs inside Redis are not. The ticker's own traffic, measured while nothing is asked, is
subtracted. Exact up to the ticker's, whatever the machine's load: a figure to compare
checkouts by (`--src` once per checkout, in one run).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
AUTH = ("demo", "demo-password")
NEW = {"name": "bench", "domain": 1, "list": 1}
#: MONITOR's line: time, [db client], "COMMAND" ...; a script's commands name "lua".
LINE = re.compile(r'\+\d+\.\d+ \[\d+ ([^\]]+)\] "(\w+)"')
IDLE_SECONDS = 2.0

EXAMPLES = """\
examples:
  python bench/store_trips.py                          # this checkout, 200 requests of each kind
  python bench/store_trips.py --src ../old/src --src src   # two checkouts side by side
  python bench/store_trips.py --requests 1000
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Monitor:
    """MONITOR on its own connection, read on a thread until stopped."""

    def __init__(self, port: int) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port))
        self._sock.sendall(b"MONITOR\r\n")
        self._sock.settimeout(0.1)
        self._data = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        time.sleep(0.2)

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self._data += self._sock.recv(1 << 20)
            except TimeoutError:
                continue

    def trips(self) -> collections.Counter[str]:
        """Stops, and counts the round trips seen by command (MULTI..EXEC as one)."""
        time.sleep(0.2)
        self._stop.set()
        self._thread.join()
        self._sock.close()
        counted: collections.Counter[str] = collections.Counter()
        in_block = False
        for line in self._data.decode(errors="replace").splitlines():
            found = LINE.match(line)
            if found is None or found.group(1) == "lua":
                continue
            command = found.group(2).lower()
            if command == "multi":
                in_block = True
                counted["multi..exec"] += 1
            elif command == "exec":
                in_block = False
            elif not in_block and command != "monitor":
                counted[command] += 1
        return counted


def serve(src: str, redis_port: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
    state = f"redis://127.0.0.1:{redis_port}/0"
    argv = [sys.executable, "-m", "campaign_mock", "serve", "--port", str(port), "--state", state]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/_mock/state", timeout=1).close()
            return process, url
        except requests.RequestException:
            time.sleep(0.2)  # waiting for the subprocess to come up
    process.kill()
    sys.exit(f"the mock from {src} did not answer within 60 s")


def measure(src: str, redis_port: int, requests_each: int) -> None:
    flush = socket.create_connection(("127.0.0.1", redis_port))
    flush.sendall(b"FLUSHALL\r\n")
    flush.recv(64)
    flush.close()
    process, url = serve(src, redis_port)
    client = requests.Session()
    client.auth = AUTH
    first = client.post(f"{url}/campaign", data=NEW).json()["data"]["id"]
    kinds: dict[str, Callable[[], requests.Response]] = {
        "POST /campaign": lambda: client.post(f"{url}/campaign", data=NEW),
        "PUT /campaign/{id}": lambda: client.put(f"{url}/campaign/{first}", data={"name": "n"}),
        "GET /campaign/{id}": lambda: client.get(f"{url}/campaign/{first}"),
    }
    try:
        watch = Monitor(redis_port)
        time.sleep(IDLE_SECONDS)
        idle = sum(watch.trips().values()) / (IDLE_SECONDS + 0.4)
        print(f"{src}: the ticker alone {idle:.1f} round trips/s (subtracted below)")
        for title, call in kinds.items():
            watch = Monitor(redis_port)
            began = time.monotonic()
            for _ in range(requests_each):
                answer = call()
                if not answer.json().get("success"):
                    sys.exit(f"{title}: {answer.text[:200]}")
            took = time.monotonic() - began + 0.4
            counted = watch.trips()
            per = (sum(counted.values()) - idle * took) / requests_each
            shown = ", ".join(f"{k} {v / requests_each:.2f}" for k, v in counted.most_common(6))
            print(f"  {title:<20} {per:5.2f} round trips/request   ({shown})")
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python bench/store_trips.py",
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--src",
        action="append",
        help="a checkout's src folder to serve the mock from; repeat to compare [src]",
    )
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind [200]")
    options = parser.parse_args()
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("store_trips needs redis-server (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        for src in options.src or [str(ROOT / "src")]:
            measure(src, port, options.requests)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
