"""`campaign-contract proxy` as a subprocess, as a user starts it: its URL, its lines, its end."""

from __future__ import annotations

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


@dataclass
class Proxy:
    """A running proxy: where clients connect, what it printed so far, how it ended."""

    process: subprocess.Popen[str]
    url: str = ""
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    readers: list[threading.Thread] = field(default_factory=list)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal it, wait for its end and for all it printed; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        elif self.process.stdout is not None and self.process.stdout.closed:
            return self.process.returncode  # stopped before
        code = self.process.wait(timeout)
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
