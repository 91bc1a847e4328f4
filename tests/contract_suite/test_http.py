"""The client never raises; curl commands repeat requests with credentials redacted."""

from __future__ import annotations

import shlex

from campaign_contract.transport.curl import response_text, to_curl
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import BasicAuth, Client, SessionAuth


def test_a_refused_connection_is_recorded_not_raised() -> None:
    with Client("http://127.0.0.1:9", timeout=1) as client:
        answer = client.get("/campaign/1")
    assert answer.status is None and answer.error and "ConnectionError" in answer.error
    assert client.history == [answer]
    assert "no response" in response_text(answer)


def test_an_invalid_url_is_recorded_not_raised() -> None:
    with Client("http://[not-a-host", timeout=1) as client:
        assert client.get("/x").error


def test_the_client_keeps_no_cookies(conforming_url: str) -> None:
    with Client(conforming_url, timeout=2) as client:
        login = client.post("/login/", form={"username": "alice", "password": "secret"})
        after = client.get("/campaign/1")
    assert login.success() is True and login.header("Set-Cookie")
    assert "Cookie" not in after.request_headers and after.status == 401


def test_the_rate_limit_spaces_requests() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    with Client(
        "http://127.0.0.1:9", timeout=0.2, rate_limit=4, clock=lambda: now[0], sleep=sleep
    ) as client:
        client.get("/a")
        client.get("/b")
    assert slept == [0.25]


def test_curl_redacts_basic_cookie_and_login_password() -> None:
    exchange = Exchange(
        method="POST",
        url="http://h.example/login/",
        request_headers={
            **BasicAuth("alice", "s3cret").header(),
            **SessionAuth("tok123").header(),
            "Content-Type": "application/x-www-form-urlencoded",
        },
        request_body=b"username=alice&password=s3cret",
    )
    command = to_curl(exchange)
    assert "s3cret" not in command and "tok123" not in command
    assert "-u alice:REDACTED" in command
    assert "sergiosgc_auth=REDACTED" in command
    assert shlex.split(command)[:5] == ["curl", "-sS", "-i", "-X", "POST"]


def test_curl_describes_a_huge_body_by_a_generator() -> None:
    exchange = Exchange(
        method="PUT", url="http://h/campaign/1", request_headers={}, request_body=b"a" * 2_000_000
    )
    command = to_curl(exchange)
    assert len(command) < 300 and "2000000" in command


def test_response_text_cuts_long_bodies() -> None:
    exchange = Exchange(
        method="GET", url="http://h/", request_headers={}, status=200, response_body=b"x" * 10_000
    )
    text = response_text(exchange, limit=100)
    assert len(text) < 300 and "10000 bytes" in text
