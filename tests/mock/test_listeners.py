"""A host that names several addresses (`localhost` is `127.0.0.1` and `::1` on most
machines) is served on each, at one port; an IPv6 address is written as URLs write it.
waitress's several-socket server crashed `serve --host localhost` there (AttributeError), and
the banner printed `http://::1:PORT`, which no client can open."""

from __future__ import annotations

import logging
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from tests.serving import running

from campaign_mock import create_app
from campaign_mock.serving.server import MockServer

NAME = "both-stacks.test"
_real_getaddrinfo = socket.getaddrinfo


def _both_stacks(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    """The resolver of a machine whose hosts file gives NAME both loopback addresses."""
    if host != NAME:
        return _real_getaddrinfo(host, port, *args, **kwargs)
    return [
        *_real_getaddrinfo("::1", port, *args, **kwargs),
        *_real_getaddrinfo("127.0.0.1", port, *args, **kwargs),
    ]


def _when_up(call: Callable[[], requests.Response]) -> requests.Response:
    """`call()` once the server listens (granian's banner comes before its workers)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return call()
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _get(address: str, port: int, host_header: str) -> int:
    """Status of `GET /_mock/clock` sent to `address` with this `Host`, over a raw socket."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect((address, port))
        sock.sendall(f"GET /_mock/clock HTTP/1.1\r\nHost: {host_header}\r\n"
                     "Connection: close\r\n\r\n".encode())  # fmt: skip
        head = sock.recv(4096).decode("latin-1")
    return int(head.split()[1])


def test_a_name_with_two_addresses_is_served_on_both_at_one_port(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _both_stacks)
    server = MockServer(create_app(), NAME, 0).start()
    port = server.port
    try:
        assert server.urls == [f"http://[::1]:{port}", f"http://127.0.0.1:{port}"]
        for address in ("::1", "127.0.0.1"):
            assert _get(address, port, f"{NAME}:{port}") == 200
        # Each address is a name of the mock, as the one address of a plain --host is.
        assert _get("127.0.0.1", port, f"127.0.0.1:{port}") == 200
        assert _get("::1", port, f"[::1]:{port}") == 200
        assert _get("127.0.0.1", port, f"elsewhere.test:{port}") == 421
    finally:
        with caplog.at_level(logging.ERROR, logger="waitress"):
            server.stop()
    for address in ("::1", "127.0.0.1"):
        with pytest.raises(ConnectionRefusedError):
            _get(address, port, f"{NAME}:{port}")
    assert not [r for r in caplog.records if r.name.startswith("waitress")], caplog.text


def test_serve_on_an_ipv6_address_prints_a_url_that_opens() -> None:
    with running(
        [sys.executable, "-m", "campaign_mock", "serve", "--host", "::1", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        banner = process.stderr.readline()
        match = re.search(r"serving on (http://\S+)", banner)
        assert match and re.fullmatch(r"http://\[::1\]:\d+", match[1]), banner
        answer = requests.get(f"{match[1]}/_mock/clock", timeout=5)
        assert answer.status_code == 200 and answer.json()["success"] is True


@pytest.mark.parametrize("host", ["localhost", "::1"])
def test_serve_workers_binds_the_first_address_of_a_name_and_writes_ipv6_in_brackets(
    host: str,
) -> None:
    """granian binds one IP address: `--workers 1 --host localhost` took the name as one and
    died with a traceback (`invalid IP address syntax`), after its banner."""
    with running(
        [sys.executable, "-m", "campaign_mock", "serve", "--workers", "1", "--host", host,
         "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    ) as process:  # fmt: skip
        assert process.stderr is not None
        banner = process.stderr.readline()
        match = re.search(r"serving on (http://(\S+):(\d+))", banner)
        assert match, banner
        url, bound, port = match[1], match[2], match[3]
        assert bound == "[::1]" if host == "::1" else bound in ("127.0.0.1", "[::1]"), banner
        named = f"{host}:{port}" if host == "localhost" else f"[::1]:{port}"
        answer = _when_up(lambda: requests.get(f"{url}/_mock/clock", headers={"Host": named},
                                               timeout=5))  # fmt: skip
        assert answer.status_code == 200 and answer.json()["success"] is True
        process.terminate()
        _, rest = process.communicate(timeout=20)
    assert process.returncode == 0 and "Traceback" not in rest, rest
