"""`CallbackSink`: a receiver of the mock's callbacks (C-1, C-2) that tests wait and assert on."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

#: Real seconds for timeouts, kept in a tuple so freezegun, which patches module attributes,
#: cannot freeze them: a frozen monotonic clock would make a wait never end.
_REAL = (time.monotonic,)
#: Where an in-memory sink pretends to live; only an in-process mock can reach it.
IN_MEMORY_URL = "http://callbacks.campaign-mock.test/hook"

Expected = Mapping[str, Iterable[str]] | Iterable[tuple[str, str]]


@dataclass(slots=True, frozen=True)
class ReceivedEvent:
    """One address of one callback: what a receiver learns about one message (E-1);
    `sink.events()` and `sink.wait_for()` give these."""

    campaign: str | None
    """The `campaign` query parameter of the URL it came to (`sink.url_for(key)`), or None."""
    event: str
    """The body's `event`: `submitted`, `delivered`, `bounced`, `opened` or `clicked`."""
    channel: str
    """`email` or `sms`: which kind of address the body lists."""
    address: str
    """The email address or telephone number the event is about."""
    when: int
    """The body's `when`: the Unix second the event happened at."""


@dataclass(slots=True, frozen=True)
class Callback:
    """One POST as the sink received it (`sink.callbacks`), whatever it answered; its body
    read (C-2) by the properties `fields`, `event`, `when`, `channel`, `addresses` and
    `campaign`, and `events()`."""

    target: str
    """The path and query string it was POSTed to, as sent (`/hook?campaign=winter`)."""
    body: bytes
    """The form body, as sent: `event=...&when=...&email[0]=...` (C-2)."""
    status: int
    """The HTTP status the sink answered it with (`sink.status` then)."""

    @property
    def fields(self) -> list[tuple[str, str]]:
        return parse_qsl(self.body.decode("latin-1"), keep_blank_values=True)

    @property
    def event(self) -> str:
        return dict(self.fields).get("event", "")

    @property
    def when(self) -> int:
        return int(dict(self.fields).get("when", "0"))

    @property
    def channel(self) -> str:
        """`email` or `sms`: which kind of address the body lists."""
        keys = {key.split("[", 1)[0] for key, _ in self.fields if key not in {"event", "when"}}
        return "sms" if keys == {"telephone"} else "email"

    @property
    def addresses(self) -> list[str]:
        return [value for key, value in self.fields if key not in {"event", "when"}]

    @property
    def campaign(self) -> str | None:
        """The `campaign` query parameter that `CallbackSink.url_for` put in the URL (C-1)."""
        return dict(parse_qsl(urlsplit(self.target).query)).get("campaign")

    def events(self) -> list[ReceivedEvent]:
        campaign, event, channel, when = self.campaign, self.event, self.channel, self.when
        return [ReceivedEvent(campaign, event, channel, a, when) for a in self.addresses]


class CallbackSink:
    """Records every callback it gets and answers `status` (200 unless a test changes it).

    Give the mock `sink.url` (or `sink.url_for(key)` to tell campaigns apart) as
    `event_callback`. Over HTTP it is served by `SinkServer`; in-process it is handed the
    POSTs directly (`receive`). `pump`, set by an in-process mock, delivers what is due.
    """

    def __init__(self, url: str = IN_MEMORY_URL, *, status: int = 200) -> None:
        self.url = url
        self.status = status
        self.pump: Callable[[], object] | None = None
        self.served = False
        self._received: list[Callback] = []
        self._changed = threading.Condition()

    def url_for(self, campaign: object) -> str:
        """`url` tagged with `?campaign=<campaign>`; events then carry that key (C-1 keeps it)."""
        return f"{self.url}?campaign={quote(str(campaign), safe='')}"

    def receive(self, url: str, body: bytes) -> int:
        """Takes one POST (an in-process delivery, or one the server got); answers the status."""
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.record(target, body)

    def record(self, target: str, body: bytes) -> int:
        with self._changed:
            self._received.append(Callback(target, body, self.status))
            self._changed.notify_all()
        return self.status

    @property
    def callbacks(self) -> list[Callback]:
        """Every POST, in arrival order, acknowledged or not."""
        with self._changed:
            return list(self._received)

    def clear(self) -> None:
        with self._changed:
            self._received.clear()

    def events(
        self,
        *,
        campaign: object = None,
        event: str | None = None,
        channel: str | None = None,
        address: str | None = None,
    ) -> list[ReceivedEvent]:
        """Events of acknowledged (2xx) callbacks, in arrival order, filtered."""
        key = None if campaign is None else str(campaign)
        return [
            found
            for callback in self.callbacks
            if 200 <= callback.status < 300
            for found in callback.events()
            if (key is None or found.campaign == key)
            and (event is None or found.event == event)
            and (channel is None or found.channel == channel)
            and (address is None or found.address == address)
        ]

    def wait_for(
        self,
        count: int = 1,
        *,
        timeout: float = 10.0,
        campaign: object = None,
        event: str | None = None,
        channel: str | None = None,
        address: str | None = None,
    ) -> list[ReceivedEvent]:
        """Until `count` matching events have arrived (a real-time timeout, never the mock's
        clock); returns them, or fails listing what did arrive."""
        __tracebackhide__ = True
        filters: dict[str, Any] = {
            "campaign": campaign,
            "event": event,
            "channel": channel,
            "address": address,
        }
        if self.pump is not None:
            self.pump()
        deadline = _REAL[0]() + timeout
        with self._changed:
            while True:
                found = self.events(**filters)
                left = deadline - _REAL[0]()
                if len(found) >= count or left <= 0 or not self.served:
                    break
                self._changed.wait(min(left, 0.05))
        if len(found) < count:
            wanted = ", ".join(f"{k}={v!r}" for k, v in filters.items() if v is not None)
            how = f"after {timeout:g} s" if self.served else "(in-process: move the clock first)"
            raise AssertionError(
                f"expected {count} event(s) {wanted or 'of any kind'} {how}, got {len(found)}\n"
                + self._listing()
            )
        return found

    def assert_events(
        self,
        expected: Expected,
        *,
        campaign: object = None,
        event: str | None = None,
        channel: str | None = None,
    ) -> None:
        """Exactly these (event, address) pairs arrived, each once, in any order.

        `expected` is `{event: [addresses]}` or `[(event, address), ...]`. A mismatch fails
        with a diff: `-` expected but missing, `+` arrived but not expected.
        """
        __tracebackhide__ = True  # pytest shows the test's line, not this one
        wanted = Counter(_pairs(expected))
        got = Counter(
            (e.event, e.address)
            for e in self.events(campaign=campaign, event=event, channel=channel)
        )
        if wanted == got:
            return
        missing, unexpected = wanted - got, got - wanted
        scope = ", ".join(
            f"{k}={v!r}"
            for k, v in {"campaign": campaign, "event": event, "channel": channel}.items()
            if v is not None
        )
        lines = [
            f"callbacks differ{f' ({scope})' if scope else ''}: "
            f"{sum(missing.values())} missing (-), {sum(unexpected.values())} unexpected (+)"
        ]
        for pair in sorted(wanted | got):
            both = min(wanted[pair], got[pair])
            lines += [f"  {pair[0]:<10} {pair[1]}"] * both
            lines += [f"- {pair[0]:<10} {pair[1]}"] * (wanted[pair] - both)
            lines += [f"+ {pair[0]:<10} {pair[1]}"] * (got[pair] - both)
        raise AssertionError("\n".join(lines))

    def _listing(self) -> str:
        callbacks = self.callbacks
        if not callbacks:
            return "no callback arrived"
        rows = [
            f"  {c.status} {c.event:<10} {c.channel:<5} when={c.when} "
            f"campaign={c.campaign} {', '.join(c.addresses)}"
            for c in callbacks
        ]
        return "callbacks received:\n" + "\n".join(rows)


def _pairs(expected: Expected) -> Iterator[tuple[str, str]]:
    if isinstance(expected, Mapping):
        for event, addresses in expected.items():
            if isinstance(addresses, str):
                raise TypeError(f"expected[{event!r}] must be a list of addresses, not a string")
            for address in addresses:
                yield str(event), str(address)
    else:
        for event, address in expected:
            yield str(event), str(address)


class SinkServer:
    """A local HTTP receiver for many sinks: `/sink/<n>...` goes to the n-th sink opened.

    Callbacks for a sink that was closed (a late retry from an earlier test) are
    acknowledged and dropped, so one test never sees another's events.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sinks: dict[str, CallbackSink] = {}
        self._opened = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SinkServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="campaign-mock-sink", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()

    def open(self, *, status: int = 200) -> CallbackSink:
        """A fresh sink with its own URL under this server."""
        with self._lock:
            self._opened += 1
            key = str(self._opened)
            sink = CallbackSink(f"{self.url}/sink/{key}", status=status)
            sink.served = True
            self._sinks[key] = sink
        return sink

    def close(self, sink: CallbackSink) -> None:
        """From now on, POSTs for `sink` are acknowledged and dropped."""
        with self._lock:
            self._sinks = {k: s for k, s in self._sinks.items() if s is not sink}

    def route(self, target: str, body: bytes) -> int:
        path = target.split("?", 1)[0].split("/")  # "", "sink", key, ...
        with self._lock:
            sink = self._sinks.get(path[2]) if len(path) > 2 and path[1] == "sink" else None
        if sink is None:
            return 200
        return sink.record(target, body)

    def __enter__(self) -> SinkServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler(server: SinkServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = server.route(self.path, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a test's output is no place for an access log

    return Handler
