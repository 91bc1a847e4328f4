"""On a shared store every request waits for the store's answers: such requests are
answered by the server's pool, so they wait side by side, never one behind the other on the
loop's thread (serving/connection.py answers only what needs nothing but memory there)."""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit

from .instances import Instance, start

#: Real seconds each chunk of bytes is held on its way to or from redis-server.
DELAY = 0.02
#: GETs sent at once.
AT_ONCE = 6


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            time.sleep(DELAY)
            target.sendall(data)
    except OSError:
        pass  # either side closed
    finally:
        for side in (source, target):
            with suppress(OSError):
                side.shutdown(socket.SHUT_RDWR)


@contextmanager
def slow_relay(host: str, port: int) -> Iterator[int]:
    """A TCP relay to `host:port` that holds each chunk DELAY seconds: a store far away."""
    listener = socket.create_server(("127.0.0.1", 0))
    sockets: list[socket.socket] = [listener]

    def accept() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: the test is over
            upstream = socket.create_connection((host, port))
            sockets.extend((client, upstream))
            for pair in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=pair, daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        for each in sockets:
            each.close()


def _get(instance: Instance, ident: int) -> float:
    started = time.monotonic()
    answer = instance.get(f"/campaign/{ident}")
    assert answer.status_code == 200 and answer.json()["success"], answer.text
    return time.monotonic() - started


def test_requests_on_a_slow_store_wait_side_by_side(redis_url: str, tmp_path: Path) -> None:
    where = urlsplit(redis_url)
    assert where.hostname and where.port
    with slow_relay(where.hostname, where.port) as port:
        instance = start(f"redis://127.0.0.1:{port}/0", tmp_path)
        try:
            made = instance.post("/campaign", data={"name": "a", "domain": 1, "list": 1})
            ident = instance.data(made)["id"]
            assert isinstance(ident, int)
            alone = statistics.median(_get(instance, ident) for _ in range(5))
            with ThreadPoolExecutor(AT_ONCE) as pool:
                started = time.monotonic()
                list(pool.map(lambda _: _get(instance, ident), range(AT_ONCE)))
                together = time.monotonic() - started
        finally:
            instance.stop()
    # One behind the other they would take AT_ONCE times as long as one.
    assert together < AT_ONCE / 2 * alone, (
        f"{AT_ONCE} GETs at once took {together:.3f} s; one alone {alone:.3f} s"
    )
