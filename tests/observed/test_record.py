"""`--record`'s file read back: every byte but the credentials, which become keyed
placeholders (equal values stay equal), whatever the bodies and headers hold."""

from __future__ import annotations

import re
from pathlib import Path

from campaign_contract.observed.record import Recorder, read_record
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.traffic import Seen, header_dict

TOKEN = "tok-0123456789"
FORM = "application/x-www-form-urlencoded"


def _seen(number: int, request: tuple[tuple[str, str], ...], body: bytes, **answer: object) -> Seen:
    response_headers = answer.pop("headers", ())
    assert isinstance(response_headers, tuple)
    exchange = Exchange(
        method="POST",
        url=str(answer.pop("url", "http://api.example/login/")),
        request_headers=header_dict(request),
        request_body=body,
        response_headers=list(response_headers),
        elapsed=0.25,
        **answer,  # type: ignore[arg-type]
    )
    return Seen(number, 7, 100.0, 100.25, exchange, request, response_headers, "OK")


def test_a_recording_gives_back_every_byte_but_the_credentials(tmp_path: Path) -> None:
    binary = bytes(range(256)) * 3
    seen = [
        _seen(
            1,
            (("Host", "api.example"), ("Content-Type", FORM), ("X-Twice", "a"), ("x-twice", "b")),
            b"username=d%C3%A9mo&password=s3cret+pw&next=%2Fa+b",
            status=200,
            headers=(
                ("Set-Cookie", f"sergiosgc_auth={TOKEN}; Path=/"),
                ("Content-Type", "application/json"),
            ),
            response_body=f'{{"success":true,"data":{{"token":"{TOKEN}","x":"\\"q"}}}}'.encode(),
        ),
        _seen(
            2,
            (("Cookie", f"a=1; sergiosgc_auth={TOKEN}"), ("Authorization", "Basic ZGVtbzpz")),
            binary,
            status=413,
            headers=(("Content-Type", "application/octet-stream"),),
            response_body=binary,
            truncated=True,
            url="http://api.example/campaign?api_key=k3y&x=1",
        ),
        _seen(3, (("Content-Type", "application/json"),), b'{"password": "s3c\\"ret"}',
              error="the server closed the connection without answering"),
    ]  # fmt: skip
    path = tmp_path / "r.jsonl"
    recorder = Recorder(path, to="http://api.example", started=99.0)
    for one in seen:
        recorder.write(one)
    recorder.close(101.0)

    data = path.read_bytes()
    for secret in (b"s3cret", TOKEN.encode(), b"ZGVtbzpz", b"k3y"):
        assert secret not in data
    back = read_record(path)
    assert back.header["to"] == "http://api.example" and back.end is not None
    login, big, dropped = back.seen
    hidden = re.fullmatch(r'\{"success":true,"data":\{"token":"(REDACTED-[0-9a-f]{8})",.*',
                          login.exchange.response_body.decode())  # fmt: skip
    assert hidden is not None
    placeholder = hidden[1]
    # Everything else is as it was: headers in order, case and repeats; bodies byte for byte.
    assert login.request_headers == seen[0].request_headers
    assert login.exchange.request_headers["X-Twice"] == "a, b"
    assert re.fullmatch(
        rb"username=d%C3%A9mo&password=REDACTED-[0-9a-f]{8}&next=%2Fa\+b",
        login.exchange.request_body,
    )
    assert login.response_headers[0] == ("Set-Cookie", f"sergiosgc_auth={placeholder}; Path=/")
    assert login.exchange.response_body.endswith(b'"x":"\\"q"}}')
    assert big.request_headers[0] == ("Cookie", f"a=1; sergiosgc_auth={placeholder}")
    assert re.fullmatch(r"Basic REDACTED-[0-9a-f]{8}", big.request_headers[1][1])
    assert big.exchange.request_body == big.exchange.response_body == binary
    assert big.exchange.truncated and big.exchange.status == 413
    assert re.fullmatch(r"http://api.example/campaign\?api_key=REDACTED-[0-9a-f]{8}&x=1",
                        big.exchange.url)  # fmt: skip
    assert re.fullmatch(rb'\{"password": "REDACTED-[0-9a-f]{8}"\}', dropped.exchange.request_body)
    assert dropped.exchange.status is None and dropped.exchange.error == seen[2].exchange.error
    for before, after in zip(seen, back.seen, strict=True):
        assert (after.number, after.connection, after.sent_at, after.answered_at) == (
            before.number, 7, 100.0, 100.25
        )  # fmt: skip
        assert after.exchange.elapsed == 0.25
        assert after.reason == ("OK" if before.exchange.status else "")  # no answer, no reason
