"""A thin HTTP client that never raises and records every exchange as evidence."""

from __future__ import annotations

import base64
import contextlib
import json as jsonlib
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

import requests

from campaign_contract.transport.exchange import BODY_LIMIT, Exchange
from campaign_contract.transport.keepalive import QuickAckAdapter

SESSION_COOKIE: Final = "sergiosgc_auth"
JSON: Final = "application/json"
FORM: Final = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class BasicAuth:
    username: str
    password: str

    def header(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}


@dataclass(frozen=True, slots=True)
class SessionAuth:
    token: str

    def header(self) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={self.token}"}


Credentials = BasicAuth | SessionAuth | None


class _Default:
    """Marker: use the client's configured credentials."""


DEFAULT: Final = _Default()
_COOKIE_VALUE = re.compile(rf"(?:^|[;,\s]){SESSION_COOKIE}=([^;,\s]*)")


def session_token(exchange: Exchange) -> tuple[str | None, str | None]:
    """The login token from `data.token` and from `Set-Cookie`, each None when absent."""
    from_data = exchange.data().get("token")
    from_cookie = None
    for value in exchange.headers("Set-Cookie"):
        match = _COOKIE_VALUE.search(value)
        if match and match.group(1):
            from_cookie = match.group(1)
    return (from_data if isinstance(from_data, str) and from_data else None), from_cookie


class ServerSilent(BaseException):
    """A request after the server went silent (`Client.silent_limit`), while the run asked
    to be stopped so (`Client.halt_when_silent`). A BaseException, like KeyboardInterrupt:
    no check's `except Exception` keeps a run going against a server that stopped answering."""


def _unanswered(exchange: Exchange) -> bool:
    """The server held the request and said nothing in time: not a refused connection, nor
    an answer that trickles (that one costs each request its limit, and run_deadline)."""
    return exchange.status is None and "Timeout" in (exchange.error or "")


class Client:
    """Sends requests to one base URL; every exchange lands in `history`.

    The watchdog: with `silent_limit` N, once N requests in a row got no answer in time the
    client counts the server as silent (`silenced` says why) and sends nothing more.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: Credentials = None,
        timeout: float = 10.0,
        connect_timeout: float | None = None,
        rate_limit: float = 0.0,
        user_agent: str = "campaign-contract",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth: Credentials = auth
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout or timeout, timeout)
        #: A `time.monotonic()` after which no request is sent (the run's deadline), or None.
        self.deadline: float | None = None
        self.min_interval = 1.0 / rate_limit if rate_limit > 0 else 0.0
        self.history: list[Exchange] = []
        self._clock = clock
        self._sleep = sleep
        self._last_sent: float | None = None
        #: Checks and the work begun in the background send at once: pacing and the
        #: watchdog's count are taken in turn.
        self._lock = threading.Lock()
        #: Requests in a row unanswered in time after which the server counts as silent (0: off).
        self.silent_limit = 0
        #: Why the server counts as silent (then nothing is sent), or None.
        self.silenced: str | None = None
        #: Whether a request once silenced raises ServerSilent (a run's checks) or comes back
        #: "not sent" (its cleanup).
        self.halt_when_silent = False
        self._unanswered = 0
        self._session = requests.Session()
        # Only what a check asks for is sent: no default Accept, no stored cookies.
        self._session.headers.clear()
        self._session.headers["User-Agent"] = user_agent
        for prefix in ("http://", "https://"):  # no 40 ms delayed ACKs (transport.py)
            self._session.mount(prefix, QuickAckAdapter())

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return path if "://" in path else self.base_url + path

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        form: Sequence[tuple[str, str]] | Mapping[str, str] | None = None,
        json: Any = None,
        auth: Credentials | _Default = DEFAULT,
        accept: str | None = JSON,
    ) -> Exchange:
        """Send one request; errors of any kind come back inside the Exchange (only a silent
        server, with `halt_when_silent`, raises ServerSilent)."""
        if self.silenced is not None and self.halt_when_silent:
            raise ServerSilent(self.silenced)
        sent: dict[str, str] = {}
        if accept is not None:
            sent["Accept"] = accept
        credentials = self.auth if isinstance(auth, _Default) else auth
        if credentials is not None:
            sent.update(credentials.header())
        payload = body
        if form is not None:
            sent["Content-Type"] = FORM
            pairs = list(form.items()) if isinstance(form, Mapping) else list(form)
            payload = urlencode(pairs).encode("utf-8")
        elif json is not None:
            sent["Content-Type"] = JSON
            payload = jsonlib.dumps(json).encode("utf-8")
        sent.update(headers or {})
        exchange = Exchange(method=method, url=self.url(path), request_headers=sent)
        exchange.request_body = payload or b""
        self._pace()
        self._send(exchange, payload)
        self._watch(exchange)
        self.history.append(exchange)
        return exchange

    def _watch(self, exchange: Exchange) -> None:
        with self._lock:
            self._count(exchange)

    def _count(self, exchange: Exchange) -> None:
        if exchange.status is not None:
            self._unanswered = 0
        elif _unanswered(exchange):
            self._unanswered += 1
            if self.silent_limit and self._unanswered >= self.silent_limit and not self.silenced:
                self.silenced = (
                    f"the server went silent: {self._unanswered} requests in a row got no "
                    f"answer within {self.timeout:g} s (limits.silent_requests, "
                    "limits.request_timeout)"
                )

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("DELETE", path, **kwargs)

    def login(self, username: str, password: str) -> tuple[Exchange, SessionAuth | None]:
        """POST /login/; the session found in `data.token` or `Set-Cookie`, if any."""
        exchange = self.post(
            "/login/", form={"username": username, "password": password}, auth=None
        )
        from_data, from_cookie = session_token(exchange)
        token = from_cookie or from_data
        return exchange, SessionAuth(token) if token else None

    def _pace(self) -> None:
        if not self.min_interval:
            return
        with self._lock:  # each sender takes the next free slot, so the rate holds for all
            now = self._clock()
            slot = now if self._last_sent is None else max(now, self._last_sent + self.min_interval)
            self._last_sent = slot
        if slot > now:
            self._sleep(slot - now)

    def _send(self, exchange: Exchange, payload: bytes | None) -> None:
        """Send on a worker thread and wait at most twice the timeout for the whole answer.

        A per-read timeout alone lets a server that trickles a byte at a time hold the suite
        for ever; past the deadline the answer is abandoned (its socket shut, if it has one).
        """
        if self.deadline is not None and time.monotonic() > self.deadline:
            exchange.error = "not sent: the run's deadline had passed"
            return
        if self.silenced is not None:
            exchange.error = f"not sent: {self.silenced}"
            return
        started = time.monotonic()
        limit = 2 * self.timeout
        transfer = _Transfer(exchange.method, exchange.url, dict(exchange.request_headers), payload)
        worker = threading.Thread(
            target=transfer.run, args=(self._session, self.connect_timeout, self.timeout, limit),
            name="campaign-contract-request", daemon=True,
        )  # fmt: skip
        worker.start()
        wait = limit + 1.0
        if self.deadline is not None:  # moved closer by an interrupt: a wait ends at it too
            wait = min(wait, max(self.deadline - started, 0.0))
        if not transfer.done.wait(wait):
            transfer.abandon()
            exchange.error = (
                f"no complete answer within {limit:g} s"
                if wait > limit
                else f"abandoned after {wait:.1f} s: the run's deadline passed"
            )
            exchange.elapsed = time.monotonic() - started
            return
        exchange.status = transfer.status
        exchange.response_headers = transfer.headers
        exchange.response_body = transfer.body
        exchange.truncated = transfer.truncated
        exchange.error = transfer.error
        exchange.elapsed = time.monotonic() - started


class _Transfer:
    """One request's transport work, done on a thread the caller may give up waiting for."""

    def __init__(
        self, method: str, url: str, headers: dict[str, str], payload: bytes | None
    ) -> None:
        self.method, self.url, self.request_headers, self.payload = method, url, headers, payload
        self.done = threading.Event()
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.body = b""
        self.truncated = False
        self.error: str | None = None
        self._response: requests.Response | None = None

    def run(
        self, session: requests.Session, connect_timeout: float, timeout: float, limit: float
    ) -> None:
        started = time.monotonic()
        try:
            prepared = session.prepare_request(
                requests.Request(
                    self.method, self.url, headers=self.request_headers, data=self.payload
                )
            )
            response = session.send(
                prepared, stream=True, timeout=(connect_timeout, timeout), allow_redirects=False
            )
        # Anything the transport throws is a finding about the server, never a crash.
        except Exception as error:
            self.error = f"{type(error).__name__}: {error}"
            self.done.set()
            return
        self._response = response
        try:
            self.status = response.status_code
            self.headers = list(response.raw.headers.items())
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(65536):
                chunks.append(chunk)
                size += len(chunk)
                if size > BODY_LIMIT:
                    self.truncated = True
                    break
                if time.monotonic() - started > limit:
                    self.error = f"body still arriving after {limit:g} s"
                    break
            self.body = b"".join(chunks)[:BODY_LIMIT]
        except Exception as error:
            self.error = f"{type(error).__name__} while reading the body: {error}"
        finally:
            response.close()
            session.cookies.clear()
            self.done.set()

    def abandon(self) -> None:
        """Shut the socket of an answer still arriving, so its thread ends soon."""
        response = self._response
        connection = getattr(getattr(response, "raw", None), "_connection", None)
        sock = getattr(connection, "sock", None)
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


#: How many PUTs race for one campaign (M-5), in the stateful and the callbacks layers.
RACERS = 4


def race_puts(
    client: Client, path: str, form: Mapping[str, str], count: int = RACERS
) -> list[Exchange]:
    """`count` identical PUTs released at once, each on its own connection (M-5)."""
    clients = [
        Client(client.base_url, auth=client.auth, timeout=client.timeout) for _ in range(count)
    ]
    answers: list[Exchange | None] = [None] * count
    gate = threading.Barrier(count)

    def run(index: int) -> None:
        gate.wait()
        answers[index] = clients[index].put(path, form=dict(form))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for each in clients:
        each.close()
    return [a for a in answers if a is not None]
