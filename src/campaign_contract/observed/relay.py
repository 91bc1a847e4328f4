"""The proxy's relay: every byte a client sends goes to `--to`, every byte `--to` answers goes
back, unchanged but for the request's `Host` line (docs/design/proxy-and-judge.md, 3.1-3.3).

h11 only finds where messages begin and end: the bytes a pump reads are fed to an
`h11.Connection` (a `SERVER` one for the client's bytes; a `CLIENT` one for the server's,
told the request's method so it knows a HEAD's answer has no body), and the same bytes are
written on as each event is parsed, so bodies stream and nothing is re-serialised. One
upstream connection per client connection: keep-alive, pipelining and closes mirror each
other. Each exchange, once answered, becomes a `Seen` handed to the sink in completion order
by one thread, so a slow sink never holds the traffic up.

The proxy answers only to refuse: a request in absolute form naming another authority, and
CONNECT, get a one-line 403 and are not forwarded. Bytes h11 cannot parse are relayed as they
are, to the connection's end, never answered by the proxy.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import socket
import socketserver
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import h11

from campaign_contract.observed.rewrite import CallbackRewriter
from campaign_contract.transport.exchange import BODY_LIMIT, Exchange
from campaign_contract.transport.traffic import Header, Seen, header_dict

#: Bytes read from a socket at a time.
CHUNK = 64 * 1024
#: What the proxy says when it refuses a request (then it closes the connection).
REFUSED = "campaign-contract proxy: refused: {why}\n"

Sink = Callable[[Seen], None]
Note = Callable[[str], None]


_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Target:
    """`--to`: the one server API traffic is relayed to."""

    scheme: str
    host: str
    port: int
    #: The authority as `--to` spells it: what the relayed `Host` line says.
    authority: str

    @classmethod
    def parse(cls, url: str) -> Target:
        """The target of an `http(s)://host[:port]` URL; ValueError naming what is wrong."""
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"expected an http(s)://host[:port] URL, got {url!r}")
        if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
            raise ValueError(f"expected a server's origin (no path, query or user), got {url!r}")
        port = parts.port or _DEFAULT_PORTS[parts.scheme]  # .port raises ValueError if bad
        return cls(parts.scheme, parts.hostname, port, parts.netloc)

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.authority}"

    def names(self, absolute: str) -> bool:
        """Whether an absolute-form request target names this server."""
        parts = urlsplit(absolute)
        try:
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
        except ValueError:
            return False
        host = (parts.hostname or "").lower()
        return (
            parts.scheme.lower() == self.scheme
            and host == self.host.lower()
            and (port == self.port)
        )

    def url(self, target: str) -> str:
        """The URL a request target stands for on this server."""
        return target if "://" in target else f"{self.origin}{target}"

    def connect(self, timeout: float) -> socket.socket:
        """A new connection to the server (TLS for https); OSError when it cannot be had."""
        raw = socket.create_connection((self.host, self.port), timeout=timeout)
        try:
            if self.scheme == "https":
                context = ssl.create_default_context()
                raw = context.wrap_socket(raw, server_hostname=self.host)
            raw.settimeout(None)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, ssl.SSLError):
            raw.close()
            raise
        return raw


def refusal(method: str, target: str, to: Target) -> str | None:
    """Why the proxy will not forward this request, or None: it dials `--to` only."""
    if method == "CONNECT":
        return "CONNECT is not relayed; the proxy forwards to --to only"
    if "://" in target and not to.names(target):
        return f"{target} names another server than --to {to.origin}"
    return None


def reframed(head: bytes, length: int) -> bytes:
    """A message head whose body is now `length` bytes: its `Content-Length` and
    `Transfer-Encoding` lines replaced by one `Content-Length` (every other byte kept)."""
    lines = head.split(b"\n")[:-2]  # a head ends with an empty line
    end = b"\r" if lines and lines[0].endswith(b"\r") else b""
    framing = (b"content-length", b"transfer-encoding")
    kept = [line for line in lines if line.partition(b":")[0].strip().lower() not in framing]
    return b"\n".join([*kept, b"Content-Length: %d" % length + end, end, b""])


def with_host(head: bytes, authority: str) -> bytes:
    """A request head with its `Host` line's value replaced (every other byte kept)."""
    lines = head.split(b"\n")
    for index, line in enumerate(lines[1:], start=1):
        name, colon, _ = line.partition(b":")
        if colon and name.lower() == b"host":
            end = b"\r" if line.endswith(b"\r") else b""
            lines[index] = name + b": " + authority.encode("ascii") + end
    return b"\n".join(lines)


@dataclass(slots=True)
class _Body:
    """A message body as the judges get it: up to BODY_LIMIT bytes, and whether more came."""

    kept: bytearray = field(default_factory=bytearray)
    truncated: bool = False

    def add(self, data: bytes | bytearray) -> None:
        room = BODY_LIMIT - len(self.kept)
        if len(data) > room:
            self.truncated = True
        if room > 0:
            self.kept += data[:room]


@dataclass(slots=True)
class _Pending:
    """An exchange in flight on one connection."""

    method: str
    target: str
    headers: tuple[Header, ...]
    sent_at: float
    body: _Body = field(default_factory=_Body)
    status: int | None = None
    reason: str = ""
    answer_headers: tuple[Header, ...] = ()
    answer: _Body = field(default_factory=_Body)
    #: The callback tokens the rewriter handed the server in this request -> the client's URL.
    rewrites: Mapping[str, str] = field(default_factory=dict)
    #: Whether its answer is held for the rewriter.
    restore: bool = False


@dataclass(slots=True)
class _Held:
    """A message held whole for the rewriter: its head, its body's raw bytes so far (with their
    framing) and its decoded body."""

    head: bytes
    raw: bytearray = field(default_factory=bytearray)
    data: bytearray = field(default_factory=bytearray)


@dataclass(frozen=True, slots=True)
class _Refusal:
    """A refused request, answered once the answers before it have gone back."""

    why: str


def _headers(raw: list[tuple[bytes, bytes]]) -> tuple[Header, ...]:
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw)


class _Pair:
    """One client connection and its upstream connection: two pumps and what is in flight."""

    def __init__(self, relay: Relay, client: socket.socket, number: int) -> None:
        self.relay = relay
        self.client = client
        self.number = number
        self.upstream: socket.socket | None = None
        self.lock = threading.Lock()
        self.pending: deque[_Pending | _Refusal] = deque()
        #: Set when either side's bytes cannot be parsed: from then on, bytes are copied.
        self.opaque = False
        self.answers: threading.Thread | None = None
        self.ended = threading.Event()

    # The client's side, in the connection's own thread.

    def run(self) -> None:
        try:
            self._pump_requests()
        finally:
            if self.answers is not None:
                self.answers.join()
            self.close()
            self.ended.set()

    def _pump_requests(self) -> None:
        conn = h11.Connection(h11.SERVER)
        unsent = bytearray()  # bytes fed to `conn`, not yet written upstream
        current: _Pending | None = None
        held: _Held | None = None  # the current request, held for the rewriter
        while True:
            try:
                data = self.client.recv(CHUNK)
            except OSError:
                data = b""
            if self.opaque:
                if not data or not self._forward(data):
                    self._client_closed()
                    return
                continue
            unsent += data
            conn.receive_data(data)
            while True:
                try:
                    event = conn.next_event()
                except h11.RemoteProtocolError as error:
                    if data:
                        self._go_opaque(f"the client's bytes are not HTTP h11 reads ({error})")
                    self._forward(bytes(unsent))
                    unsent.clear()
                    if not data:
                        self._client_closed()
                        return
                    break
                if event is h11.NEED_DATA or event is h11.PAUSED:
                    break
                consumed = len(unsent) - len(conn.trailing_data[0])
                raw = bytes(unsent[:consumed])
                del unsent[:consumed]
                if isinstance(event, h11.Request):
                    method = event.method.decode("ascii")
                    target = event.target.decode("latin-1")
                    why = refusal(method, target, self.relay.to)
                    if why is not None:
                        self._refuse(why)
                        return
                    authority = self.relay.to.authority
                    headers = tuple(
                        (name, authority if name.lower() == "host" else value)
                        for name, value in _headers(event.headers.raw_items())
                    )
                    current = _Pending(method, target, headers, time.time())
                    rewriter = self.relay.rewriter
                    current.restore = (
                        rewriter is not None
                        and method != "HEAD"
                        and rewriter.wants_answer(method, target)
                    )
                    head = with_host(raw, authority)
                    if rewriter is not None and rewriter.wants_request(method, target):
                        held = _Held(head)
                    elif not self._send_request(current, head):
                        return
                elif isinstance(event, h11.Data):
                    if held is not None and current is not None:
                        held.raw += raw
                        held.data += event.data
                        if len(held.data) > BODY_LIMIT:  # too large to rewrite: as it came
                            current.body.add(held.data)
                            if not self._send_request(current, held.head + bytes(held.raw)):
                                return
                            held = None
                        continue
                    if current is not None:
                        current.body.add(event.data)
                    self._forward(raw)
                elif isinstance(event, h11.EndOfMessage):
                    if held is not None and current is not None:
                        if not self._send_request(current, self._rewritten(current, held, raw)):
                            return
                        held = None
                    else:
                        self._forward(raw)
                    # A new parser per request: the next one (pipelined) may come before
                    # this one's answer, and h11 would wait for us to answer it.
                    leftover, closed = conn.trailing_data
                    conn = h11.Connection(h11.SERVER)
                    if leftover:  # (b"" would tell h11 the connection closed)
                        conn.receive_data(leftover)
                    if closed:
                        conn.receive_data(b"")
                elif isinstance(event, h11.ConnectionClosed):
                    self._client_closed()
                    return
            if not data:
                self._client_closed()
                return

    def _rewritten(self, pending: _Pending, held: _Held, end: bytes) -> bytes:
        """A held request as it goes to the server: rewritten and re-framed, or as it came."""
        assert self.relay.rewriter is not None
        content_type = next((v for k, v in pending.headers if k.lower() == "content-type"), "")
        changed = self.relay.rewriter.request(
            pending.method, pending.target, content_type, bytes(held.data)
        )
        for why in changed.skipped if changed is not None else ():
            self.relay.note(f"{pending.method} {pending.target}: {why}")
        if changed is None or not changed.changed:
            pending.body.add(held.data)
            return held.head + bytes(held.raw) + end
        pending.body.add(changed.body)
        pending.rewrites = dict(changed.handed)
        return reframed(held.head, len(changed.body)) + changed.body

    def _send_request(self, pending: _Pending, head: bytes) -> bool:
        """Queue the exchange (before its bytes leave: its answer may come at once), open
        the upstream connection on the first request, and write the head."""
        if self.upstream is None and not self._open():
            return False
        with self.lock:
            self.pending.append(pending)
        return self._forward(head)

    def _open(self) -> bool:
        """The upstream connection and its pump, opened by the client's first bytes."""
        try:
            self.upstream = self.relay.to.connect(self.relay.timeout)
        except OSError as error:
            self.relay.note(f"cannot reach --to {self.relay.to.origin}: {error}")
            return False
        self.answers = threading.Thread(
            target=self._pump_answers, name=f"proxy-answers-{self.number}", daemon=True
        )
        self.answers.start()
        return True

    def _forward(self, data: bytes) -> bool:
        """Write to the server (opening the connection if bytes come before any request)."""
        if not data:
            return True
        if self.upstream is None and not self._open():
            return False
        assert self.upstream is not None
        try:
            self.upstream.sendall(data)
        except OSError:
            return False
        return True

    def _client_closed(self) -> None:
        """The client closed its side: so does the relay towards the server, which may still
        answer what it was asked."""
        if self.upstream is not None:
            with contextlib.suppress(OSError):
                self.upstream.shutdown(socket.SHUT_WR)

    def _refuse(self, why: str) -> None:
        """Answer 403 now, or after the answers still owed (pipelining keeps its order)."""
        self.relay.note(f"refused: {why}")
        with self.lock:
            if self.pending:
                self.pending.append(_Refusal(why))
                return
        self._write_refusal(why)
        self.close()

    def _write_refusal(self, why: str) -> None:
        body = REFUSED.format(why=why).encode("utf-8", "replace")
        head = (
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode("ascii")
        with contextlib.suppress(OSError):
            self.client.sendall(head + body)

    def _go_opaque(self, why: str) -> None:
        if not self.opaque:
            self.opaque = True
            self.relay.note(f"connection {self.number}: {why}; relayed as is, not judged")

    # The server's side, in its own thread.

    def _pump_answers(self) -> None:
        assert self.upstream is not None
        conn: h11.Connection | None = None
        unsent = bytearray()  # bytes fed to `conn`, not yet written back to the client
        current: _Pending | None = None
        held: _Held | None = None  # the current answer, held for the rewriter
        raw = False  # the answers cannot be parsed any more: copied as they are
        try:
            while True:
                try:
                    data = self.upstream.recv(CHUNK)
                except OSError:
                    data = b""
                if conn is None and not raw:
                    conn, current = self._next_cycle()
                    if conn is None and data:
                        raw = True
                        self._go_opaque("the server sent bytes no request asked for")
                if conn is None or current is None:
                    self._write_back(data)
                    if not data:
                        return
                    continue
                unsent += data
                conn.receive_data(data)
                while conn is not None and current is not None:
                    try:
                        event = conn.next_event()
                    except h11.RemoteProtocolError as error:
                        if held is not None:
                            self._write_back(held.head + bytes(held.raw))
                            held = None
                        self._write_back(bytes(unsent))
                        unsent.clear()
                        self._finish(current, self._failure(current, error))
                        conn, current, raw = None, None, True
                        if data:
                            self._go_opaque(f"the server's answer is not HTTP h11 reads ({error})")
                        break
                    if event in (h11.NEED_DATA, h11.PAUSED) or isinstance(
                        event, h11.ConnectionClosed
                    ):
                        break
                    consumed = len(unsent) - len(conn.trailing_data[0])
                    chunk = bytes(unsent[:consumed])
                    del unsent[:consumed]
                    if isinstance(event, h11.Response):
                        current.status = event.status_code
                        current.reason = event.reason.decode("latin-1")
                        current.answer_headers = _headers(event.headers.raw_items())
                        if current.restore:
                            held, chunk = _Held(chunk), b""
                    elif isinstance(event, h11.Data):
                        current.answer.add(event.data)
                        if held is not None:
                            held.raw += chunk
                            held.data += event.data
                            chunk = b""
                            if len(held.data) > BODY_LIMIT:  # too large: as it came
                                chunk, held = held.head + bytes(held.raw), None
                    elif isinstance(event, h11.EndOfMessage) and held is not None:
                        chunk, held = self._restored(held, chunk), None
                    # The moment the answer ended is taken before its last bytes go back: the
                    # client's next request may be read (and timed) before this thread runs on.
                    ended = time.time()
                    self._write_back(chunk)
                    if isinstance(event, h11.EndOfMessage):
                        self._finish(current, None, ended)
                        leftover, closed = conn.trailing_data
                        conn, current = self._next_cycle()
                        if conn is not None:
                            if leftover:  # (b"" would tell h11 the connection closed)
                                conn.receive_data(leftover)
                            if closed:
                                conn.receive_data(b"")
                        elif leftover:
                            raw = True
                            self._go_opaque("the server sent bytes no request asked for")
                            self._write_back(leftover)
                            unsent.clear()
                if not data:
                    if held is not None:  # the server closed mid-answer: what it sent goes on
                        self._write_back(held.head + bytes(held.raw))
                    return
        finally:
            self._end_answers()

    def _restored(self, held: _Held, end: bytes) -> bytes:
        """A held answer as it goes to the client: un-rewritten and re-framed, or as it came."""
        assert self.relay.rewriter is not None
        body = self.relay.rewriter.answer(bytes(held.data))
        if body is None:
            return held.head + bytes(held.raw) + end
        return reframed(held.head, len(body)) + body

    def _next_cycle(self) -> tuple[h11.Connection | None, _Pending | None]:
        """A parser for the answer to the oldest request in flight, or (None, None)."""
        with self.lock:
            head = self.pending[0] if self.pending else None
        if not isinstance(head, _Pending):
            return None, None
        conn = h11.Connection(h11.CLIENT)
        conn.send(h11.Request(method=head.method, target="/", headers=[("Host", "proxy")]))
        conn.send(h11.EndOfMessage())
        return conn, head

    def _failure(self, pending: _Pending, error: Exception | None) -> str:
        why = f" ({error})" if error else ""
        if pending.status is None:
            return f"the server closed the connection without answering{why}"
        return f"the answer broke off{why}"

    def _finish(self, pending: _Pending, error: str | None, answered: float | None = None) -> None:
        """The exchange is over (at `answered`, default now): hand it on; answer a refusal now
        due; pop it."""
        answered = time.time() if answered is None else answered
        with self.lock:
            if self.pending and self.pending[0] is pending:
                self.pending.popleft()
            refused = self.pending[0] if self.pending else None
        self.relay.completed(self, pending, answered, error)
        if isinstance(refused, _Refusal):
            self._write_refusal(refused.why)
            self.close()

    def _end_answers(self) -> None:
        """The server's side closed: every exchange still in flight ended without its answer;
        the client's connection is closed after the bytes already sent (a mirror)."""
        with self.lock:
            left = [p for p in self.pending if isinstance(p, _Pending)]
            self.pending.clear()
        for pending in left:
            self.relay.completed(self, pending, time.time(), self._failure(pending, None))
        self.close()

    def _write_back(self, data: bytes) -> None:
        if data:
            with contextlib.suppress(OSError):
                self.client.sendall(data)

    def idle(self) -> bool:
        with self.lock:
            return not self.pending

    def close(self) -> None:
        for sock in (self.client, self.upstream):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], relay: Relay) -> None:
        self.relay = relay
        if ":" in address[0]:
            self.address_family = socket.AF_INET6

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                relay.serve_connection(self.request)

        super().__init__(address, Handler)


class Relay:
    """The listening proxy. `start()`, then `stop()`: listening ends, exchanges in flight
    finish (up to `drain` seconds), the sink gets every exchange before `stop` returns."""

    def __init__(
        self,
        to: Target,
        listen: tuple[str, int],
        sink: Sink,
        note: Note = lambda _line: None,
        timeout: float = 10.0,
        rewriter: CallbackRewriter | None = None,
    ) -> None:
        self.to = to
        self.rewriter = rewriter
        self.sink = sink
        self.note = note
        self.timeout = timeout
        self._server = _Server(listen, self)
        self._pairs: set[_Pair] = set()
        self._lock = threading.Lock()
        #: Notified when an exchange completes or a connection ends (`stop` drains on it).
        self._changed = threading.Condition(self._lock)
        self._numbers = itertools.count(1)
        self._connections = itertools.count(1)
        self._done: queue.Queue[Seen | None] = queue.Queue()
        self._threads: list[threading.Thread] = []

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        for target, name in ((self._server.serve_forever, "proxy-listen"), (self._hand, "sink")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def serve_connection(self, client: socket.socket) -> None:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pair = _Pair(self, client, next(self._connections))
        with self._lock:
            self._pairs.add(pair)
        try:
            pair.run()
        finally:
            with self._lock:
                self._pairs.discard(pair)
                self._changed.notify_all()

    def completed(self, pair: _Pair, pending: _Pending, answered: float, error: str | None) -> None:
        """Number the exchange (in completion order) and queue it for the sink."""
        exchange = Exchange(
            method=pending.method,
            url=self.to.url(pending.target),
            request_headers=header_dict(pending.headers),
            request_body=bytes(pending.body.kept),
            status=pending.status,
            response_headers=list(pending.answer_headers),
            response_body=bytes(pending.answer.kept),
            truncated=pending.body.truncated or pending.answer.truncated,
            error=error,
            elapsed=answered - pending.sent_at,
        )
        with self._lock:
            seen = Seen(
                number=next(self._numbers),
                connection=pair.number,
                sent_at=pending.sent_at,
                answered_at=answered,
                exchange=exchange,
                request_headers=pending.headers,
                response_headers=pending.answer_headers,
                reason=pending.reason,
                rewrites=pending.rewrites,
            )
            self._done.put(seen)
            self._changed.notify_all()

    def _hand(self) -> None:
        while (seen := self._done.get()) is not None:
            try:
                self.sink(seen)
            except Exception as error:  # a broken sink must not stop the traffic
                self.note(f"exchange {seen.number} not handed on: {error!r}")

    def stop(self, drain: float) -> None:
        """Stop listening; let exchanges in flight end for up to `drain` seconds; close the
        rest; return once the sink has had every exchange."""
        self._server.shutdown()
        self._server.server_close()
        deadline = time.monotonic() + drain
        with self._lock:
            while True:
                pairs = list(self._pairs)
                for pair in pairs:
                    if pair.idle():
                        pair.close()
                left = deadline - time.monotonic()
                if all(p.idle() for p in pairs) or left <= 0:
                    break
                self._changed.wait(left)
        for pair in pairs:
            pair.close()
        for pair in pairs:
            pair.ended.wait(self.timeout)
        self._done.put(None)
        for thread in self._threads:
            thread.join(self.timeout)
