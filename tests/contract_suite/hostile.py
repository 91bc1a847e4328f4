"""A raw-socket server for the suite's tests: it answers preflight's probe as the API would, so
the checks run, and hands every other connection to a `Poison` (trickles, silence, garbage)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

PROBE_BODY = b'{"success": false, "data": {"error": "no such campaign", "code": "not_found"}}'
PROBE_ANSWER = (
    b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(PROBE_BODY), PROBE_BODY)
)
#: The path preflight GETs first (campaign_contract.engine.preflight.PROBE_ID).
PROBE_PATH = b"/campaign/2147483647 "

#: Gets the connection after its first read, and an event set when the server stops.
Poison = Callable[[socket.socket, threading.Event], None]


@contextmanager
def serve_poison(poison: Poison, *, probe: bool = True) -> Iterator[str]:
    """Serve on a free loopback port until the block ends; yields the base URL.

    With `probe=False` every connection, preflight's too, goes to `poison` before any read.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.settimeout(0.2)
    stop = threading.Event()

    def talk(conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(5)
                if probe and PROBE_PATH in conn.recv(65536):
                    conn.sendall(PROBE_ANSWER)
                else:
                    poison(conn, stop)
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=talk, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        listener.close()
