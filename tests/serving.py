"""Starting `campaign-mock serve` as a subprocess, as a user would, for the tests that need one;
and a real callback receiver that answers with headers and a body of its own."""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

#: `python -m campaign_mock` of the environment running the tests.
THIS_PYTHON = (sys.executable, "-m", "campaign_mock")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def user_env() -> dict[str, str]:
    """A user's shell: nothing of the environment running these tests leaks in."""
    return {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}


@contextmanager
def running(command: Sequence[str], **options: Any) -> Iterator[subprocess.Popen[Any]]:
    """`subprocess.Popen(command, **options)` that ends with the block on every path: killed
    if it still runs, waited for, its pipes closed. A test that failed holding a pipe left it
    to the garbage collector, which closed it during a later, unrelated test: a
    ResourceWarning (an error here) on that test instead of the one that failed."""
    with subprocess.Popen(command, **options) as process:  # its exit closes pipes and waits
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()


#: The first line `campaign-mock serve` prints: where it listens (any host form), its port.
BANNER = re.compile(r"serving on https?://(?:\[[^\]]*\]|[^:/\s]+):(\d+)")


@contextmanager
def served_mock(
    *options: str,
    command: Sequence[str] = THIS_PYTHON,
    cwd: Path | None = None,
    log: Path | None = None,
    env: dict[str, str] | None = None,
    startup: float = 30.0,
) -> Iterator[str]:
    """`<command> serve --port 0 <options>` until the block ends; yields its base URL.

    The mock picks its own port and the URL is read from its banner: a port picked here
    and handed over could be taken meanwhile by another test's mock, whose answers this
    test then read (loaded run s28y1: a large list missing, then the connection refused).
    """
    with contextlib.ExitStack() as stack:
        if log is None:
            log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "serve.log"
        sink = stack.enter_context(log.open("w"))
        process = subprocess.Popen(
            [*command, "serve", "--port", "0", *options],
            cwd=cwd,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            deadline = time.monotonic() + startup
            while True:
                found = BANNER.search(log.read_text(encoding="utf-8", errors="replace"))
                if found is not None:
                    url = f"http://127.0.0.1:{found.group(1)}"
                    try:
                        requests.get(f"{url}/_mock/state", timeout=1).close()
                        break
                    except requests.ConnectionError:
                        pass
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"campaign-mock serve did not start (log: {log})")
                time.sleep(0.1)  # waiting for a subprocess to come up, not for the mock's clock
            yield url
        finally:
            process.terminate()
            process.wait(10)


class AnsweringReceiver:
    """A real local callback receiver that answers every POST with `status`, its own
    `headers` and `body`, keeping what it got (`received`): what an integrator's endpoint
    says back, for the tests of what the mock keeps of an answer."""

    def __init__(
        self, status: int = 202, headers: list[tuple[str, str]] | None = None, body: bytes = b""
    ) -> None:
        self.status = status
        self.headers = headers or []
        self.body = body
        self.received: list[bytes] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.received.append(self.rfile.read(length))
                self.send_response(receiver.status)
                for name, value in receiver.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> AnsweringReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def until_answering(url: str) -> None:
    """Returns once the mock at `url` answers (granian's workers listen a moment after
    `serve`'s banner; a subprocess comes up); fails after 30 s."""
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/_mock/state", timeout=1).close()
            return
        except requests.ConnectionError:
            assert time.monotonic() < deadline, f"{url} did not come up"
            time.sleep(0.1)  # a subprocess coming up


def raw_exchange(host: str, port: int, request: bytes) -> bytes:
    """Sends bytes no HTTP library would and returns all the server sends back until it
    closes (a server that hangs fails on the 10 s timeout)."""
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(request)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    return received
