"""How `MockServer` stops while a worker is still answering: the loop's trigger (the pipe a
worker writes to, to wake the loop once its answer is ready) must stay open until the last
worker has finished. Waitress's listener closed it with itself, before the connections, so a
worker finishing in between wrote to a closed descriptor: an `EBADF` traceback on SIGTERM,
once in about 75 stops on a loaded machine (CI), or a byte written into whatever file had
reused the number."""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest
import requests
from flask import Flask

from campaign_mock.serving.server import MockServer


def _slow_app(entered: threading.Event, release: threading.Event) -> Flask:
    app = Flask("slow")

    @app.get("/slow")
    def slow() -> str:
        entered.set()
        release.wait(10)
        return "done"

    return app


def _open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def test_the_trigger_outlives_every_worker_still_answering(
    caplog: pytest.LogCaptureFixture,
) -> None:
    entered, release = threading.Event(), threading.Event()
    server = MockServer(_slow_app(entered, release), port=0).start()
    trigger = server._server.trigger
    answers: list[object] = []

    def ask() -> None:
        try:
            answers.append(requests.get(f"{server.url}/slow", timeout=15).status_code)
        except requests.RequestException as error:
            answers.append(error)

    client = threading.Thread(target=ask)
    client.start()
    assert entered.wait(10), "the request never reached the app"
    stopping = threading.Thread(target=server.stop)
    with caplog.at_level(logging.WARNING, logger="waitress"):
        stopping.start()
        time.sleep(0.3)  # the loop has closed the listener and the connections by now
        assert stopping.is_alive(), "stop() returned while a worker was still answering"
        assert _open(trigger.trigger), "the trigger was closed while a worker was answering"
        release.set()
        stopping.join(15)
        client.join(15)
    assert not stopping.is_alive()
    assert not trigger._fds, "the trigger was left open"
    assert answers, "the client never finished"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
