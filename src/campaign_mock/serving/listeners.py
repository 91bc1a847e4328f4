"""The listening sockets of `serve --host NAME`: one per address the name resolves to, all on
one port.

`localhost` resolves to `127.0.0.1` and `::1` on most machines, and clients differ in which
they try first (Node's `fetch` takes `::1`). waitress binds each address on its own, so port
0 gave each its own port, and its several-socket server has none of the single one's parts
the mock's server uses. Bound here, every address answers on the port the first one got.
"""

from __future__ import annotations

import contextlib
import errno
import socket

#: Binds tried when port 0's free port, taken for the first address, is in use at another.
ATTEMPTS = 8


def bind_listeners(host: str, port: int) -> list[socket.socket]:
    """Bound (not yet listening) sockets on every address of `host`, one port; OSError as
    `bind` raises it (`socket.gaierror` for a name that does not resolve)."""
    addresses = _addresses(host, port)
    for attempt in range(ATTEMPTS):
        bound: list[socket.socket] = []
        try:
            chosen = port
            for family, address in addresses:
                sock = _bound(family, address, chosen)
                bound.append(sock)
                chosen = sock.getsockname()[1]
            return bound
        except OSError as error:
            for sock in bound:
                sock.close()
            retry = port == 0 and error.errno == errno.EADDRINUSE and len(bound) > 0
            if not retry or attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def first_address(host: str, port: int) -> str:
    """The address a server that binds one (granian) takes for `host`: itself when it is an
    address, else the resolver's first (`socket.gaierror` for a name that does not resolve)."""
    return _addresses(host, port)[0][1]


def url_host(host: str) -> str:
    """`host` as a URL writes it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _addresses(host: str, port: int) -> list[tuple[int, str]]:
    """(family, address) of each address `host` resolves to, in the resolver's order, once."""
    found: list[tuple[int, str]] = []
    for family, _type, _proto, _name, sockaddr in socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    ):
        if family in (socket.AF_INET, socket.AF_INET6) and (family, sockaddr[0]) not in found:
            found.append((family, str(sockaddr[0])))
    return found


def _bound(family: int, address: str, port: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress's own
        if family == socket.AF_INET6:  # as waitress's own: `::` beside `0.0.0.0` binds too
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((address, port))
    except OSError:
        sock.close()
        raise
    return sock
