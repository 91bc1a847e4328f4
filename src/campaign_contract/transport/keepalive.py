"""Keep-alive without the delayed-ACK stall: a requests adapter that acks answers at once.

A server that writes an answer in several small `send()`s with Nagle's algorithm on (the
standard library's `http.server` and `wsgiref` do: status line, headers, body) holds back
all but the first until the client acknowledges it. Linux delays that ACK (up to 40 ms) on
a kept-alive connection, since it expects to piggyback it on the next request, so every
exchange would cost 40 ms on such a conforming server. TCP_NODELAY on the client does not
help (the wait is the server's); TCP_QUICKACK does, but the kernel drops it again as soon as
the connection looks interactive, so it is set before each answer is read, not once at
connect. Measured by bench/suite_latency.py.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import HTTPResponse

#: Linux only; elsewhere the adapter is a plain HTTPAdapter.
QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


def quick_ack(sock: socket.socket | None) -> None:
    """Acknowledge what arrives at once, until the kernel decides otherwise again."""
    if sock is None or QUICKACK is None:
        return
    with contextlib.suppress(OSError):  # not TCP, or closed: nothing to speed up
        sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)


class QuickAckHTTPConnection(HTTPConnection):
    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        quick_ack(self.sock)
        return super().getresponse()


class QuickAckHTTPSConnection(HTTPSConnection):
    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        quick_ack(self.sock)
        return super().getresponse()


class QuickAckHTTPPool(HTTPConnectionPool):
    ConnectionCls = QuickAckHTTPConnection


class QuickAckHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = QuickAckHTTPSConnection


class QuickAckAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections set TCP_QUICKACK before reading each answer."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": QuickAckHTTPPool,
            "https": QuickAckHTTPSPool,
        }
