"""The mock's Flask app on the standard library's HTTP server instead of waitress.

`wsgiref.simple_server`, threaded with `socketserver.ThreadingMixIn`, with keep-alive (HTTP/1.1
and one connection for many requests, as `http.server` allows). wsgiref writes the status
line, `Date`, `Server`, the other headers and the body in separate `send()`s on a socket with
Nagle's algorithm on: a keep-alive client that delays its ACKs (Linux, 40 ms) then waits for
each answer's tail. A conforming server may do that; the suite must not pay for it.
"""

from __future__ import annotations

import io
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from flask import Flask

from campaign_mock.http.context import mock_of
from campaign_mock.serving.announce import announce, withdraw
from campaign_mock.serving.server import TICK_SECONDS

#: The largest body read (waitress's limit in MockServer); a larger one is a 400.
MAX_BODY = 64 * 1024 * 1024


class _Handler(ServerHandler):
    http_version = "1.1"


class _KeepAliveHandler(WSGIRequestHandler):
    """wsgiref's handler answers one request per connection; this one loops, as HTTP/1.1 may."""

    protocol_version = "HTTP/1.1"

    def handle(self) -> None:
        self.close_connection = True
        self._one()
        while not self.close_connection:
            self._one()

    def _one(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        body = self._body()
        if body is None:
            self.close_connection = True
            self.send_error(400, "unreadable body")
            return
        environ = self.get_environ()
        if self.headers.get("Content-Type") is None:
            environ.pop("CONTENT_TYPE", None)  # wsgiref would say text/plain
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["CONTENT_LENGTH"] = str(len(body))
        handler = _Handler(
            io.BytesIO(body),
            self.wfile,  # type: ignore[arg-type]
            self.get_stderr(),
            environ,
            multithread=True,
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.server.get_app())  # type: ignore[attr-defined]

    def _body(self) -> bytes | None:
        """The whole body, read before the app runs (as waitress does), so what the app leaves
        unread is never taken for the next request on the connection; None if unreadable."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline(1024).split(b";")[0].strip()
                try:
                    size = int(size_line, 16)
                except ValueError:
                    return None
                if size == 0:
                    while self.rfile.readline(1024).strip():
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
                if sum(map(len, chunks)) > MAX_BODY:
                    return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if not 0 <= length <= MAX_BODY:
            return None
        return self.rfile.read(length)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False


def _background(app: Flask, stop: threading.Event) -> list[threading.Thread]:
    """What MockServer runs beside waitress: the simulation's ticker and the callback workers."""
    dispatcher = mock_of(app).dispatcher

    def tick() -> None:
        while not stop.wait(TICK_SECONDS):
            dispatcher.tick()

    jobs: list[Callable[[], None]] = [tick]
    jobs += [lambda: dispatcher.work(stop)] * dispatcher.outbox.settings.workers
    threads = [threading.Thread(target=job, daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    return threads


@contextmanager
def stdlib_served(app: Flask) -> Iterator[str]:
    """Serves `app` on a free loopback port with http.server; its base URL."""
    server = _ThreadingWSGIServer(("127.0.0.1", 0), _KeepAliveHandler)
    server.set_app(app)
    stop = threading.Event()
    threads = _background(app, stop)
    serving = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    serving.start()
    port = server.server_address[1]
    url = f"http://127.0.0.1:{port}"
    # What MockServer does too: the token `?secrets=1` needs, where `init --from-mock` looks.
    left = announce(url, port, mock_of(app).secrets_token)
    try:
        yield url
    finally:
        if left is not None:
            withdraw(left)
        stop.set()
        server.shutdown()
        server.server_close()
        serving.join(5)
        for thread in threads:
            thread.join(5)
