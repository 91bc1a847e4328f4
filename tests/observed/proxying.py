"""`campaign-contract proxy` as a subprocess, as a user starts it: its URL, its lines, its end."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO
from urllib.parse import urlsplit

#: `python -m campaign_contract` of the environment running the tests.
THIS_PYTHON = (sys.executable, "-m", "campaign_contract")
_LISTENING = re.compile(r"^proxying (http://\S+) -> ")
#: Seconds a proxy may take to end once signalled: its own bounds add up to 25 (exchanges in
#: flight drain for limits.request_timeout, 10 s; its connections then 10 s; its receiver
#: 5 s), and a loaded machine slows each step.
STOP_WITHIN = 60.0


@dataclass
class Proxy:
    """A running proxy: where clients connect, what it printed so far, how it ended."""

    process: subprocess.Popen[str]
    url: str = ""
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    readers: list[threading.Thread] = field(default_factory=list)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_WITHIN) -> int:
        """Signal it, wait for its end and for all it printed; its exit code. One that does
        not end in time is made to print every thread's stack (faulthandler, on SIGABRT)
        into the failure."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        elif self.process.stdout is not None and self.process.stdout.closed:
            return self.process.returncode  # stopped before
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired as expired:
            self.process.send_signal(signal.SIGABRT)
            self.process.wait(30)
            for reader in self.readers:
                reader.join(30)
            stacks = "\n".join(self.stderr[-200:])
            told = f"the proxy did not end {timeout:g} s after {sig!r}:\n{stacks}"
            raise AssertionError(told) from expired
        for reader in self.readers:
            reader.join(timeout)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return code


def _drain(stream: IO[str], into: list[str], started: threading.Event | None) -> None:
    for line in stream:
        into.append(line.rstrip("\n"))
        if started is not None and _LISTENING.match(line):
            started.set()
    if started is not None:
        started.set()  # it ended before listening: the caller sees why


@contextmanager
def served_proxy(*options: str, startup: float = 30.0) -> Iterator[Proxy]:
    """`campaign-contract proxy <options>` until the block ends (SIGTERM unless the test
    stopped it); yields it once it listens."""
    process = subprocess.Popen(
        [*THIS_PYTHON, "proxy", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
    )
    proxy = Proxy(process)
    listening = threading.Event()
    assert process.stdout is not None and process.stderr is not None
    for stream, into, started in (
        (process.stdout, proxy.stdout, None),
        (process.stderr, proxy.stderr, listening),
    ):
        reader = threading.Thread(target=_drain, args=(stream, into, started), daemon=True)
        reader.start()
        proxy.readers.append(reader)
    try:
        assert listening.wait(startup), "the proxy did not start"
        found = [m[1] for line in proxy.stderr if (m := _LISTENING.match(line))]
        assert found, f"the proxy did not listen: {proxy.stderr}"
        proxy.url = found[0]
        yield proxy
    finally:
        proxy.stop()


def raw_exchange(url: str, data: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes, read everything until the other side closes."""
    parts = urlsplit(url)
    assert parts.hostname and parts.port
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as raw:
        raw.sendall(data)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    return answer
