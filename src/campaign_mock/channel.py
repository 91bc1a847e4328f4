"""The waitress connection the mock serves with: refusals in the envelope, requests counted.

A request counts as API traffic from the moment its bytes are read until its answer is
written, not only while the app runs: parsing and writing need the interpreter too, and the
simulation's background work waits for all of it (`traffic.ApiTraffic`).
"""

from __future__ import annotations

from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

from .traffic import ApiTraffic
from .wire_errors import EnvelopeErrorTask


class MockChannel(HTTPChannel):  # type: ignore[misc]
    """One client connection; its listener carries the `traffic` it reports to."""

    error_task_class = EnvelopeErrorTask

    def handle_read(self) -> None:
        self.server.traffic.enter(self)  # the main loop is about to read and parse
        super().handle_read()

    def service(self) -> None:
        with self.server.traffic.serving(self):  # a worker answers, and writes what it can
            super().service()

    def del_channel(self, map: Any = None) -> None:
        self.server.traffic.leave(self)  # closed, with or without a whole request
        super().del_channel(map)


def use_mock_channels(server: Any, traffic: ApiTraffic) -> None:
    """Makes every listening socket of a `waitress.create_server` result use `MockChannel`."""
    for dispatcher in list(server._map.values()):
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.traffic = traffic
            dispatcher.channel_class = MockChannel
