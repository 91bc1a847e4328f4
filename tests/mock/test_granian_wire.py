"""What `serve --workers` trades (docs/scaling.md): granian parses HTTP before the mock runs
and answers what it cannot parse itself, with a 400 of its own (no body) and a close, where
waitress, the default, answers V-4's envelope (tests/mock/test_envelope.py). Still never a
5xx, a hang, or a server that stops answering."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from tests.serving import raw_exchange, served_mock

HEAD = b"POST /campaign HTTP/1.1\r\nHost: 127.0.0.1\r\n"
FRAMING = {
    "unknown-transfer-coding": HEAD + b"Transfer-Encoding: gzip\r\n\r\n",
    "chunked-not-last": HEAD + b"Transfer-Encoding: chunked, identity\r\n\r\n",
    "negative-length": HEAD + b"Content-Length: -5\r\n\r\n",
    "two-lengths": HEAD + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    "no-colon": HEAD + b"A header line without a colon\r\n\r\n",
    "garbage": b"\x00\x01garbage\r\n\r\n",
}


@pytest.fixture(scope="module")
def granian_url() -> Iterator[str]:
    """`campaign-mock serve --workers 1`, once it answers."""
    with served_mock("--workers", "1") as url:
        yield url


@pytest.mark.parametrize("request_bytes", FRAMING.values(), ids=FRAMING.keys())
def test_bad_framing_on_granian_is_its_own_400_and_a_close_never_a_5xx(
    granian_url: str, request_bytes: bytes
) -> None:
    host, port = granian_url.removeprefix("http://").rsplit(":", 1)
    received = raw_exchange(host, int(port), request_bytes)
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *headers = head.decode("latin-1").split("\r\n")
    assert status_line.split(" ")[1] == "400", received[:200]
    assert "connection: close" in (h.lower() for h in headers), headers
    assert body == b"", "granian writes no body: what `--workers` gives up (docs/scaling.md)"
    answer = requests.get(f"{granian_url}/_mock/clock", timeout=5)
    assert answer.status_code == 200 and answer.json()["success"] is True
