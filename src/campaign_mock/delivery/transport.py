"""The transport seam: how one callback POST reaches the receiver (C-1, C-4).

`HttpTransport` speaks HTTP with the standard library so the URL goes out byte for byte
(requests and urllib3 re-quote a query string), keeps one connection per receiver per
worker thread, and never follows a redirect: a 3xx is an answer that is not 2xx (C-4).
`CallableTransport` hands the POST to a function, for in-process use and tests. A transport
that can also tell the answer's headers and body (`AnsweringTransport`: `HttpTransport`)
is asked for them, so the delivery journal shows what the receiver said.
Every connection `HttpTransport` opens goes through its `DestinationPolicy` (policy.py).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from campaign_mock.delivery.deadline import attempt_deadline, https_context, on_deadline
from campaign_mock.delivery.policy import (
    DestinationPolicy,
    RefusedDestination,
    reaches_control_api,
)
from campaign_mock.domain.deliveries import ANSWER_BODY_KEPT

CONTENT_TYPE = "application/x-www-form-urlencoded"
#: Bytes of a receiver's answer read to keep the connection; a longer answer closes it.
MAX_ANSWER = 1 << 20
#: Bytes of the answer's body handed back (what an attempt keeps).
KEPT = ANSWER_BODY_KEPT


class TransportError(Exception):
    """No HTTP answer: refused, timed out, reset, or a URL that cannot be sent."""


class TransportTimeout(TransportError):
    """No answer within the attempt's timeout (counted apart in `/_mock/metrics`)."""


class Transport(Protocol):
    def post(self, url: str, body: bytes, timeout: float) -> int:
        """POSTs a form body to `url` exactly as given; the HTTP status, or TransportError."""
        ...


@dataclass(slots=True, frozen=True)
class Answer:
    """A receiver's answer: its status, headers (in order) and the start of its body."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@runtime_checkable
class AnsweringTransport(Transport, Protocol):
    def exchange(self, url: str, body: bytes, timeout: float) -> Answer:
        """As `post`, with the answer's headers and the start of its body."""
        ...


class CallableTransport:
    """Delivers by calling `handler(url, body)`, which returns the status (or raises)."""

    def __init__(self, handler: Callable[[str, bytes], int]) -> None:
        self.handler = handler

    def post(self, url: str, body: bytes, timeout: float) -> int:
        return self.handler(url, body)


class HttpTransport:
    """HTTP/1.1 with keep-alive; one connection per (thread, scheme, host, port), each opened
    only to a destination `policy` allows."""

    def __init__(
        self, user_agent: str = "campaign-mock", policy: DestinationPolicy | None = None
    ) -> None:
        self._local = threading.local()
        self._user_agent = user_agent
        self.policy = policy or DestinationPolicy()

    def post(self, url: str, body: bytes, timeout: float) -> int:
        return self.exchange(url, body, timeout).status

    def exchange(self, url: str, body: bytes, timeout: float) -> Answer:
        """`timeout` is for the whole attempt (connect, send, answer), however it trickles."""
        with attempt_deadline(timeout):
            return self._post(url, body, timeout)

    def _post(self, url: str, body: bytes, timeout: float) -> Answer:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise TransportError(f"not an http(s) URL: {url!r}")
        # The request target is the URL's own text from the path on: nothing is re-quoted.
        target = url[len(f"{parts.scheme}://{parts.netloc}") :] or "/"
        if target.startswith(("?", "#")):
            target = "/" + target
        target = target.split("#", 1)[0]
        try:
            target.encode("ascii")
        except UnicodeEncodeError:
            raise TransportError(f"URL is not ASCII: {url!r}") from None
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Content-Length": str(len(body)),
            "User-Agent": self._user_agent,
        }
        if parts.username is not None:
            raise TransportError("credentials in the callback URL are not supported")
        if reaches_control_api(target):  # whatever the host: another mock, or this one renamed
            raise TransportError(f"refused by policy: {parts.path} is a mock's control API")
        for fresh in (False, True):
            connection = self._connection(parts.scheme, parts.netloc, timeout, fresh)
            try:
                connection.request("POST", target, body, headers)
                response = connection.getresponse()
                answer = response.read(MAX_ANSWER + 1)
                if len(answer) > MAX_ANSWER or response.will_close:
                    self._drop(parts.scheme, parts.netloc)
                return Answer(response.status, tuple(response.getheaders()), answer[:KEPT])
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                self._drop(parts.scheme, parts.netloc)
                if fresh:
                    raise TransportError(f"connection closed: {exc}") from None
                # A kept-alive connection the receiver closed meanwhile: one more, fresh.
            except RefusedDestination as exc:
                self._drop(parts.scheme, parts.netloc)
                raise TransportError(str(exc)) from None
            except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
                self._drop(parts.scheme, parts.netloc)
                raise _failure(exc) from None
        raise AssertionError("unreachable")

    def close_thread(self) -> None:
        """Closes the calling thread's connections (a worker that stops)."""
        for connection in self._pool().values():
            connection.close()
        self._pool().clear()

    def _connection(
        self, scheme: str, netloc: str, timeout: float, fresh: bool
    ) -> http.client.HTTPConnection:
        pool: dict[tuple[str, str], http.client.HTTPConnection] = self._pool()
        connection = pool.get((scheme, netloc))
        if connection is None or fresh:
            if connection is not None:
                connection.close()
            if scheme == "https":
                connection = http.client.HTTPSConnection(
                    netloc, timeout=timeout, context=https_context()
                )
            else:
                connection = http.client.HTTPConnection(netloc, timeout=timeout)
            connection._create_connection = self._connect  # type: ignore[attr-defined]
            pool[scheme, netloc] = connection
        connection.timeout = timeout
        if connection.sock is not None:
            connection.sock.settimeout(timeout)
        return connection

    def _connect(
        self, address: tuple[str, int], timeout: object, source: tuple[str, int] | None = None
    ) -> socket.socket:
        """What http.client calls to open its socket: only to an address the policy allows."""
        seconds = timeout if isinstance(timeout, int | float) else None
        return on_deadline(self.policy.connect(address[0], address[1], seconds, source))

    def _drop(self, scheme: str, netloc: str) -> None:
        connection = self._pool().pop((scheme, netloc), None)
        if connection is not None:
            connection.close()

    def _pool(self) -> dict[tuple[str, str], http.client.HTTPConnection]:
        pool: dict[tuple[str, str], http.client.HTTPConnection] | None = getattr(
            self._local, "pool", None
        )
        if pool is None:
            pool = self._local.pool = {}
        return pool


def _failure(exc: BaseException) -> TransportError:
    if isinstance(exc, socket.timeout | TimeoutError):
        return TransportTimeout("no answer within the timeout")
    if isinstance(exc, ConnectionRefusedError):
        return TransportError("connection refused")
    return TransportError(f"{type(exc).__name__}: {exc}")
