"""The relay mirrors a connection: pipelined requests on one client connection (a HEAD, a
chunked body, an `Expect: 100-continue`, a close) read the same answers through the proxy as
straight from a mock with the same fixtures, in one exchange each, on one connection."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from urllib.parse import urlsplit

from tests.serving import served_mock

from campaign_contract.observed.record import read_record

from .proxying import raw_exchange, served_proxy

_DATE = re.compile(rb"(?m)^Date: [^\r\n]*")
BASIC = base64.b64encode(b"demo:demo-password").decode()


def _pipeline(authority: str) -> bytes:
    """Five requests written at once, as a pipelining client writes them."""
    auth = f"Host: {authority}\r\nAuthorization: Basic {BASIC}\r\n"
    form = "Content-Type: application/x-www-form-urlencoded\r\n"
    return (
        f"POST /campaign HTTP/1.1\r\n{auth}{form}Transfer-Encoding: chunked\r\n\r\n"
        "6\r\nname=A\r\n10\r\n&domain=1&list=1\r\n0\r\n\r\n"
        f"HEAD /campaign/1 HTTP/1.1\r\n{auth}\r\n"
        f"PUT /campaign/1 HTTP/1.1\r\n{auth}{form}Expect: 100-continue\r\n"
        "Content-Length: 12\r\n\r\nname=Renamed"
        f"GET /campaign/1 HTTP/1.1\r\n{auth}\r\n"
        f"GET /campaign/2 HTTP/1.1\r\n{auth}Connection: close\r\n\r\n"
    ).encode()


#: An interim answer the server may send or leave out (RFC 9110 15.2.1: not once it has the
#: body): waitress sends it to a PUT with `Expect: 100-continue` only if the head came alone,
#: which the relay's timing, not its bytes, decides.
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def _comparable(answers: bytes) -> bytes:
    """Answers on one connection, without their dates and interim 100 Continue."""
    return _DATE.sub(b"-", answers).replace(_CONTINUE, b"")


def test_pipelined_requests_read_the_same_answers_on_one_connection(tmp_path: Path) -> None:
    record = tmp_path / "r.jsonl"
    with served_mock() as direct_url, served_mock() as relayed_url:
        direct = raw_exchange(direct_url, _pipeline(urlsplit(direct_url).netloc))
        with served_proxy(
            "--to", relayed_url, "--listen", "127.0.0.1:0", "--record", str(record)
        ) as proxy:
            relayed = raw_exchange(proxy.url, _pipeline(urlsplit(proxy.url).netloc))
            assert proxy.stop() == 0
    assert direct.count(b"HTTP/1.1 ") >= 5  # five answers (and a 100 Continue if one came)
    assert _comparable(relayed) == _comparable(direct)
    seen = read_record(record).seen
    assert [(s.exchange.method, s.exchange.status) for s in seen] == [
        ("POST", 200), ("HEAD", 200), ("PUT", 200), ("GET", 200), ("GET", 404)
    ]  # fmt: skip
    assert {s.connection for s in seen} == {1}
    assert seen[0].exchange.request_body == b"name=A&domain=1&list=1"  # the body, unchunked
    assert seen[0].request_headers[0] == ("Host", urlsplit(relayed_url).netloc)
    assert seen[1].exchange.response_body == b""
    assert seen[2].exchange.data()["name"] == seen[3].exchange.data()["name"] == "Renamed"
