"""One deadline for a whole callback attempt, not one timeout per socket read.

A socket timeout restarts at every read, so a receiver trickling one header byte every
0.3 s held a delivery worker for as long as it liked (two of them held all four workers, and
a healthy campaign's callbacks went out an hour of mock time late). The sockets made here
set their timeout, before every read and write, to what is left of the attempt's deadline,
so connecting, sending and reading the answer together take at most `timeout` seconds.

The deadline is the calling thread's (each worker makes one attempt at a time, on
connections only it uses), so sockets that http.client or ssl create need no plumbing.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_attempt = threading.local()


@contextmanager
def attempt_deadline(seconds: float) -> Iterator[None]:
    """Everything the block does on this thread's deadline sockets ends within `seconds`."""
    _attempt.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _attempt.deadline = None


def _arm(sock: socket.socket) -> None:
    deadline: float | None = getattr(_attempt, "deadline", None)
    if deadline is None:
        return
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("no answer within the timeout")
    sock.settimeout(left)


class DeadlineSocket(socket.socket):
    """A TCP socket whose every read and write ends by the attempt's deadline."""

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        _arm(self)
        return super().recv(bufsize, flags)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        _arm(self)
        return super().recv_into(buffer, nbytes, flags)

    def send(self, data: Any, flags: int = 0) -> int:
        _arm(self)
        return super().send(data, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        _arm(self)  # sendall's timeout is for the whole of it
        super().sendall(data, flags)


class DeadlineSSLSocket(ssl.SSLSocket):
    """The same for TLS: ssl reads and writes through these methods."""

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        _arm(self)
        return super().recv(buflen, flags)

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
        _arm(self)
        return super().recv_into(buffer, nbytes, flags)

    def send(self, data: Any, flags: int = 0) -> int:
        _arm(self)
        return super().send(data, flags)


def on_deadline(sock: socket.socket) -> DeadlineSocket:
    """The same connection as a `DeadlineSocket` (what http.client is given to use)."""
    timeout = sock.gettimeout()
    wrapped = DeadlineSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
    wrapped.settimeout(timeout)
    return wrapped


_context: ssl.SSLContext | None = None
_context_lock = threading.Lock()


def https_context() -> ssl.SSLContext:
    """http.client's default TLS context, making `DeadlineSSLSocket`s; built once."""
    global _context
    with _context_lock:
        if _context is None:
            context = ssl.create_default_context()
            context.set_alpn_protocols(["http/1.1"])
            context.sslsocket_class = DeadlineSSLSocket
            _context = context
        return _context
