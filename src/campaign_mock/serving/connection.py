"""The waitress connection the mock serves with: refusals in the envelope, requests counted,
quick requests answered on the loop's own thread, and sockets that cheap clients cannot keep.

Waitress hands every request to a pool thread and the pool thread hands the answer back to
the loop: two switches of the interpreter per request, which on two cores cost more than a
GET of the mock itself. A request the app answers from what it holds (`answers_here`: the
API in memory) is answered by the loop thread as soon as it is read, which nearly doubled
what waitress serves (docs/internals.md, *The server*); one that may wait (anything under
`/_mock/`: long-polls, clock moves that settle; any request on a shared store) still goes to
the pool, so it never holds up the others.

A request counts as API traffic from the moment its bytes are read until its answer is
written, not only while the app runs: parsing and writing need the interpreter too, and the
simulation's background work waits for all of it (`traffic.ApiTraffic`).

Waitress alone stops accepting at 100 connections and closes an idle one only after 120 s
(reset by every byte), so 98 idle sockets locked new clients out for two minutes and 100
slowloris sockets (a byte a second) for ever. Here the limit is in the thousands, a
connection with nothing in progress is closed after `ConnectionLimits.idle` (much sooner
when many are open), and a request whose head (then whole body) has not arrived within its
deadline is closed, however steadily it trickles.
"""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

from campaign_mock.serving.traffic import ApiTraffic
from campaign_mock.serving.wire_errors import EnvelopeErrorTask

#: Which thread runs the server loop: `loop.here` is True on it (`run_loop_here()`).
_loop = threading.local()

#: File descriptors kept beyond the connection limit: listeners, the trigger, callback
#: sockets, fixtures files, the test process's own.
SPARE_DESCRIPTORS = 256


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """How many connections the server holds, and how long each may hold its socket.

    `idle`: seconds a connection with no request in progress (nothing received of a next
    one, no answer being made) stays open; `crowded_idle` once more than a quarter of
    `limit` are open. `head`: seconds from a request's first byte to the end of its head;
    `request`: to the end of its body. `sweep`: seconds between two looks (waitress's
    `cleanup_interval`, whole seconds).
    """

    limit: int = 4096
    idle: float = 15.0
    crowded_idle: float = 2.0
    head: float = 10.0
    request: float = 60.0
    sweep: int = 1

    def waitress_settings(self) -> dict[str, Any]:
        """`create_server` keywords: the limit the descriptors allow, poll() (select() stops
        at descriptor 1024), the sweep's interval."""
        return {
            "connection_limit": affordable_connections(self.limit),
            "cleanup_interval": self.sweep,
            "asyncore_use_poll": True,
        }


def affordable_connections(wanted: int) -> int:
    """Raises the soft descriptor limit to what `wanted` connections need (up to the hard
    limit) and returns how many connections it then allows."""
    needed = wanted + SPARE_DESCRIPTORS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        top = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (top, hard))
            soft = top
        except (ValueError, OSError):
            pass  # keep what we have; the limit below follows it
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(16, min(wanted, soft - SPARE_DESCRIPTORS))


def run_loop_here() -> None:
    """Marks the calling thread as the server loop's: requests handed over on it may be
    answered on it (`hand_over`)."""
    _loop.here = True


def on_loop() -> bool:
    return bool(getattr(_loop, "here", False))


class MockChannel(HTTPChannel):  # type: ignore[misc]
    """One client connection; its listener carries the `traffic` it reports to and
    `answers_here`, which says by path whether the loop may answer a request itself."""

    error_task_class = EnvelopeErrorTask
    #: When the first byte of the request being read arrived (monotonic), if one is.
    request_began: float | None = None
    #: The request due next is the loop's to answer (set by `hand_over`, on the loop only).
    answer_here = False
    #: The loop is answering: what it writes waits in the buffer and leaves in one send, and
    #: nothing waits for the loop to send (it is the loop).
    answering = False

    def handle_read(self) -> None:
        self.server.traffic.enter(self)  # the main loop is about to read and parse
        super().handle_read()

    def received(self, data: bytes) -> bool:
        before = self.request
        result: bool = super().received(data)
        if self.request is None:
            self.request_began = None  # everything read so far is whole requests
        elif self.request is not before:
            self.request_began = time.monotonic()  # a new request began in `data`
        if self.answer_here:
            self.answer_due()
        return result

    def answer_due(self) -> None:
        """Answers on the loop each request read until one goes to the pool, then sends the
        answers: headers and body in one send, not one each. How much waits unsent is
        bounded as before: the loop reads no more of a connection whose answers wait. The
        requests count as traffic until their answers are sent."""
        with self.server.traffic.serving(self):
            self.answering = True
            try:
                while self.answer_here:
                    self.answer_here = False
                    HTTPChannel.service(self)  # `service` would stop counting before the send
            finally:
                self.answering = False
            self.handle_write()

    def _flush_exception(self, flush: Any, do_close: bool = True) -> Any:
        if self.answering:
            return (False, False)  # `write_soon` while the loop answers: sent once it is whole
        return super()._flush_exception(flush, do_close)

    def service(self) -> None:
        with self.server.traffic.serving(self):  # a worker answers, and writes what it can
            super().service()

    def _flush_outbufs_below_high_watermark(self) -> None:
        """A pool thread waits here for the loop to send a large answer; the loop, answering
        itself, would wait for ever. It buffers the answer instead (waitress spills to a file
        past 1 MiB), and sends it as the client reads."""
        if not self.answering:
            super()._flush_outbufs_below_high_watermark()

    def del_channel(self, map: Any = None) -> None:
        self.server.traffic.leave(self)  # closed, with or without a whole request
        super().del_channel(map)

    def overdue(self, limits: ConnectionLimits, idle: float, now: float) -> bool:
        """Holds its socket past a deadline: idle too long, or a request arriving too slowly."""
        if self.requests or self.will_close or self.close_when_flushed:
            return False  # being answered (a long-poll too), or closing already
        began = self.request_began
        if began is None:
            return bool(now - self.last_activity > idle) and not self.total_outbufs_len
        taken = time.monotonic() - began
        return taken > limits.request or (taken > limits.head and not self.request.headers_finished)


def sweep(listener: Any, limits: ConnectionLimits, now: float) -> None:
    """Replaces waitress's `maintenance` (every `limits.sweep` s): closes overdue connections."""
    crowded = len(listener._map) > listener.adj.connection_limit // 4
    idle = limits.crowded_idle if crowded else limits.idle
    for channel in list(listener.active_channels.values()):
        if isinstance(channel, MockChannel) and channel.overdue(limits, idle, now):
            channel.will_close = True  # the loop closes it on its next turn


def hand_over(listener: Any, channel: MockChannel) -> None:
    """Replaces waitress's `add_task`: the request due on `channel` is answered by the loop
    thread when it is there and the path may be (`answers_here`), else by the pool."""
    due = channel.requests[0]
    if on_loop() and listener.answers_here(getattr(due, "path", "")):
        channel.answer_here = True
    else:
        listener.task_dispatcher.add_task(channel)


def pull_trigger(listener: Any) -> None:
    """Replaces waitress's `pull_trigger`: wakes the loop from a pool thread. On the loop
    itself there is nothing to wake: its next turn looks at every channel's buffers anyway."""
    if not on_loop():
        listener.trigger.pull_trigger()


def use_mock_channels(
    listeners: list[BaseWSGIServer],
    traffic: ApiTraffic,
    limits: ConnectionLimits,
    answers_here: Callable[[str], bool],
) -> None:
    """Makes every listening socket of a `waitress.create_server` result use `MockChannel`,
    answer on the loop what `answers_here(path)` allows, and close connections past
    `limits`."""
    for listener in listeners:
        listener.traffic = traffic
        listener.answers_here = answers_here
        listener.channel_class = MockChannel
        listener.maintenance = partial(sweep, listener, limits)
        listener.add_task = partial(hand_over, listener)
        listener.pull_trigger = partial(pull_trigger, listener)
