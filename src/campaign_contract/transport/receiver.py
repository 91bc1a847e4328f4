"""The suite's own callback receiver: records every request raw, answers by a fault script."""

from __future__ import annotations

import contextlib
import io
import ipaddress
import select
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from campaign_contract.transport.received import (
    PREFIX,
    Answer,
    Fault,
    Hang,
    Received,
    Relayed,
    Reply,
    Silence,
)

#: Body bytes kept per request; the rest is read and dropped, and the request flagged.
MAX_BODY = 4 * 1024 * 1024
#: Body bytes read at most before the connection is closed instead.
MAX_DRAIN = 64 * 1024 * 1024
#: Body bytes kept over the whole run for requests to URLs the suite handed out; past it a
#: body is dropped (and flagged), so no sender can make the suite's memory grow without end.
TOTAL_BODY = 64 * 1024 * 1024
#: Requests to any other URL (noise: scanners, forgeries, garbage) are counted; this many are
#: kept, each with at most NOISE_BODY bytes of body, to show in the report.
NOISE_KEPT = 20
NOISE_BODY = 1024
#: The answer to a request from an address the target does not send from (a forgery).
FOREIGN_STATUS = 403

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


#: What a request reports, read from (Content-Type, body): a script faults only requests
#: reporting something no earlier request of its token did (first tellings, not retries).
Keys = Callable[[str, bytes], frozenset[object]]
#: Answers a callback instead of the scripts (a proxy forwarding it): (method, target, headers,
#: body) -> the reply.
Answerer = Callable[[str, bytes, tuple[tuple[str, str], ...], bytes], Reply]
#: Told of every request once it is recorded and answered.
Listener = Callable[[Received], None]
#: Headers of a relayed answer the receiver writes itself (framing and the connection).
_OWN_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


@dataclass
class _Book:
    """What the receiver has seen, and the scripts still to play; guarded by `lock`."""

    lock: threading.Condition = field(default_factory=threading.Condition)
    received: list[Received] = field(default_factory=list)
    scripts: dict[str, deque[Fault]] = field(default_factory=dict)
    #: Per scripted token: how to read what a request reports, and what was reported so far.
    keys: dict[str, Keys] = field(default_factory=dict)
    told: dict[str, set[object]] = field(default_factory=dict)
    #: C-4: the 2xx statuses acknowledgements take in turn (every one must acknowledge).
    acks: tuple[int, ...] = (200,)
    answered: int = 0
    #: Tokens whose receiver is down: every request is answered 503 until `up()`.
    down: set[str] = field(default_factory=set)
    closing: threading.Event = field(default_factory=threading.Event)
    #: Tokens of the URLs handed out: only requests for them are callbacks to judge.
    handed: set[str] = field(default_factory=set)
    noise: int = 0
    kept_bytes: int = 0
    #: The peers whose requests are judged; None: every peer.
    sources: tuple[Network, ...] | None = None
    #: Requests from other peers, and those peers (a few, for the report).
    foreign: int = 0
    foreign_peers: list[str] = field(default_factory=list)
    answerer: Answerer | None = None
    #: Whether what follows `/cb/` was handed out by someone else (a proxy's rewriter),
    #: besides `handed`.
    knows: Callable[[str], bool] | None = None
    listener: Listener | None = None

    def handed_out(self, token: str | None) -> bool:
        """Whether requests for `token` are callbacks to judge (under `lock`)."""
        if token is None:
            return False
        return token in self.handed or (self.knows is not None and self.knows(token))


#: Linux's SO_TIMESTAMPNS (Python names it only on some builds): the kernel stamps each read
#: with when its bytes arrived, so a receiver thread that runs late still knows.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35 if sys.platform == "linux" else None)
#: The control message a read of such a socket carries: a `struct timespec`.
_STAMP = socket.CMSG_SPACE(16)


class _StampedReads(io.RawIOBase):
    """A connection's reads, each noting when its last bytes reached this machine's kernel
    (`arrived`, Unix seconds; None without SO_TIMESTAMPNS): what a starved thread reads
    late, the kernel says it got on time."""

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self.arrived: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size, ancillary, _flags, _address = self._connection.recvmsg_into([buffer], _STAMP)
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
                seconds, nanoseconds = struct.unpack("qq", data[:16])
                self.arrived = seconds + nanoseconds / 1e9
        return size


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "campaign-contract-receiver"
    #: Answers leave in one send: headers and body in two would cost a keep-alive sender a
    #: delayed ACK (40 ms on Linux) per callback, and slow a sped-up server's lanes.
    wbufsize = -1
    book: _Book

    #: When this request's line was read (monotonic): C-4's latency starts here when the
    #: kernel does not say when the request arrived.
    _began: float | None = None
    #: The connection's reads, stamped by the kernel (None: not a stamping socket).
    _reads: _StampedReads | None = None
    #: When the read that brought this request's line reached the kernel (Unix seconds).
    _line_arrived: float | None = None
    #: Set by `_read_body`: the sender closed before its body ended.
    _incomplete: bool = False

    def setup(self) -> None:
        super().setup()
        if SO_TIMESTAMPNS is not None and isinstance(self.connection, socket.socket):
            self._reads = _StampedReads(self.connection)
            self.rfile = io.BufferedReader(self._reads)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the journal is the log."""

    def parse_request(self) -> bool:
        self._began = time.monotonic()
        self._line_arrived = self._reads.arrived if self._reads is not None else None
        return super().parse_request()

    def _latency(self) -> float | None:
        """How long the answer about to be written took: from when the request line reached
        this machine's kernel (so a thread that reads it late still counts that time), else
        from when its thread read the line."""
        if self._line_arrived is not None:
            return max(0.0, time.time() - self._line_arrived)
        return None if self._began is None else time.monotonic() - self._began

    def do_POST(self) -> None:
        self._take()

    do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_POST

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A request that is not well-formed HTTP: recorded too, then refused as usual."""
        raw: bytes = (getattr(self, "raw_requestline", b"") or b"").strip()
        words = raw.split()
        target = words[1] if len(words) >= 2 and words[1].startswith(b"/") else raw[:200]
        self._record(
            getattr(self, "command", None) or "?",
            target[:2048],
            (),
            b"",
            code,
            problem=f"malformed HTTP request ({code} {message or ''})".strip(),
        )
        super().send_error(code, message, explain)

    def _take(self) -> None:
        body, truncated, close = self._read_body()
        if self._incomplete:  # the sender closed mid-body: no request to answer, or judge
            target = self.path.encode("latin-1", "replace")
            headers = tuple((k, v) for k, v in self.headers.items())
            self._record(self.command, target, headers, body, None, truncated,
                         foreign=not self._from_the_target(), incomplete=True)  # fmt: skip
            self.close_connection = True
            return
        if not self._from_the_target():
            target = self.path.encode("latin-1", "replace")
            headers = tuple((k, v) for k, v in self.headers.items())
            self._record(self.command, target, headers, body, FOREIGN_STATUS, truncated,
                         foreign=True)  # fmt: skip
            self.close_connection = self.close_connection or close
            self._answer(FOREIGN_STATUS)
            return
        if self.book.answerer is not None:
            self._relay(body, truncated, close)
            return
        token = self.path.split("?", 1)[0].split(f"/{PREFIX}/", 1)[-1]
        fault = self._next_fault(token, self.headers.get("Content-Type") or "", body)
        headers = tuple((k, v) for k, v in self.headers.items())
        target = self.path.encode("latin-1", "replace")
        if isinstance(fault, Hang):
            self._record(self.command, target, headers, body, None, truncated)
            self.book.closing.wait(fault.seconds)
            self.close_connection = True
            self._answer(503)
            return
        status = fault.status if fault is not None else self._acknowledgement()
        self._record(self.command, target, headers, body, status, truncated)
        self.close_connection = self.close_connection or close
        self._answer(status)

    def _relay(self, body: bytes, truncated: bool, close: bool) -> None:
        """Answer as the answerer says (a URL never handed out: 404, not relayed)."""
        assert self.book.answerer is not None
        headers = tuple((k, v) for k, v in self.headers.items())
        target = self.path.encode("latin-1", "replace")
        token = self.path.split("?", 1)[0].split(f"/{PREFIX}/", 1)[-1]
        with self.book.lock:
            handed = self.book.handed_out(token)
        plain = (("Content-Type", "text/plain"),)
        reply: Reply
        if not handed:
            reply = Relayed(404, "Not Found", plain, b"no callback URL was handed out here\n")
        elif truncated:
            reply = Relayed(413, "Content Too Large", plain, b"too large to relay\n")
        else:
            reply = self.book.answerer(self.command, target, headers, body)
        status = reply.status if isinstance(reply, Relayed) else None
        self._record(self.command, target, headers, body, status, truncated)
        self.close_connection = self.close_connection or close
        if isinstance(reply, Relayed):
            self._write_relayed(reply)
            return
        self.close_connection = True
        if isinstance(reply, Silence):
            self.book.closing.wait(reply.seconds)
        else:  # Reset: as abrupt as a refused connection can be made once it was accepted
            with contextlib.suppress(OSError):
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )

    def _write_relayed(self, reply: Relayed) -> None:
        """The other receiver's answer: its status line, headers and body; framing ours."""
        bodiless = reply.status in (204, 304) or reply.status < 200
        try:
            self.send_response_only(reply.status, reply.reason or None)
            for name, value in reply.headers:
                if name.lower() not in _OWN_HEADERS:
                    self.send_header(name, value)
            if not bodiless:
                self.send_header("Content-Length", str(len(reply.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if reply.body and not bodiless and self.command != "HEAD":
                self.wfile.write(reply.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _from_the_target(self) -> bool:
        sources = self.book.sources
        return sources is None or is_among(str(self.client_address[0]), sources)

    def _next_fault(self, token: str, content_type: str, body: bytes) -> Fault | None:
        book = self.book
        with book.lock:
            if token in book.down:
                return Answer(503)
            script = book.scripts.get(token)
            if not script:
                return None
            keys = book.keys.get(token)
            if keys is not None:
                reported = keys(content_type, body)
                told = book.told.setdefault(token, set())
                first = bool(reported) and not reported & told
                told.update(reported)
                if not first:
                    return None  # a retry (or nothing readable): acknowledged, no fault spent
            return script.popleft()

    def _acknowledgement(self) -> int:
        with self.book.lock:
            self.book.answered += 1
            acks = self.book.acks
            return acks[(self.book.answered - 1) % len(acks)]

    def _read_body(self) -> tuple[bytes, bool, bool]:
        """The body (at most MAX_BODY), whether some was dropped, whether to close after;
        `_incomplete` when the sender closed before the body's end."""
        self._incomplete = False
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return b"", True, True
        if length < 0 or length > MAX_DRAIN:
            return self.rfile.read(MAX_BODY) if length > 0 else b"", True, True
        body = self.rfile.read(min(length, MAX_BODY))
        left = length - len(body)
        while left > 0:
            got = self.rfile.read(min(left, 1 << 16))
            if not got:
                self._incomplete = True
                break
            left -= len(got)
        return body, length > MAX_BODY, False

    def _read_chunked(self) -> tuple[bytes, bool, bool]:
        kept = bytearray()
        total = 0
        while True:
            raw = self.rfile.readline(1024)
            if not raw:  # the sender closed before the last chunk
                self._incomplete = True
                return bytes(kept), True, True
            line = raw.split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                return bytes(kept), True, True
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                return bytes(kept), total > MAX_BODY, False
            total += size
            if total > MAX_DRAIN:
                return bytes(kept), True, True
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                self._incomplete = True
                return bytes(kept) + chunk[: MAX_BODY - len(kept)], True, True
            self.rfile.readline(8)
            if len(kept) < MAX_BODY:
                kept += chunk[: MAX_BODY - len(kept)]

    def _answer(self, status: int) -> None:
        payload = b"" if status in (204, 304) or self.command == "HEAD" else b"ok\n"
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            if status not in (204, 304):
                self.send_header("Content-Length", str(len(payload)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if payload:
                self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the sender gave up waiting: nothing to tell it

    def _sender_closed(self) -> bool:
        """Whether the sender's end of the connection is closed already (its FIN is waiting
        unread): it can no longer take the answer about to be written as given in time."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _record(
        self,
        method: str,
        target: bytes,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
        status: int | None,
        truncated: bool = False,
        problem: str | None = None,
        foreign: bool = False,
        incomplete: bool = False,
    ) -> None:
        """Keep the request. Called just before its answer (if any) is written, so its latency
        is how long the answer took. It arrived when its line reached the kernel where the
        kernel says so (a starved thread reads it late, and C-3 would count that as the
        server's lateness), else now."""
        book = self.book
        arrived = self._line_arrived if self._line_arrived is not None else time.time()
        latency = None if status is None else self._latency()
        closed_first = status is not None and self._sender_closed()
        with book.lock:
            path = target.split(b"?", 1)[0].decode("latin-1")
            token = path.split(f"/{PREFIX}/", 1)[1] if f"/{PREFIX}/" in path else None
            matched = book.handed_out(token) and not foreign
            if foreign:
                book.foreign += 1
                peer = str(self.client_address[0])
                if peer not in book.foreign_peers and len(book.foreign_peers) < 5:
                    book.foreign_peers.append(peer)
                if book.foreign > NOISE_KEPT:
                    return
                truncated = truncated or len(body) > NOISE_BODY
                body, headers = body[:NOISE_BODY], headers[:50]
            elif not matched:
                book.noise += 1
                if book.noise > NOISE_KEPT:
                    return
                truncated = truncated or len(body) > NOISE_BODY
                body, headers = body[:NOISE_BODY], headers[:50]
            elif book.kept_bytes + len(body) > TOTAL_BODY:
                body, truncated = b"", True
            book.kept_bytes += len(body)
            entry = Received(
                len(book.received) + 1,
                arrived,
                method,
                target,
                headers,
                body,
                status,
                truncated,
                problem,
                matched,
                foreign,
                latency,
                closed_first,
                incomplete,
            )
            book.received.append(entry)
            book.lock.notify_all()
            listener = book.listener
        if listener is not None:
            listener(entry)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

    def server_bind(self) -> None:
        """Stamps reads with their arrival (`_StampedReads`); set on the listening socket, so
        every connection has it from its first byte, even one accepted late."""
        if SO_TIMESTAMPNS is not None:
            with contextlib.suppress(OSError):
                self.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        super().server_bind()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that breaks mid-request is the sender's business, not a crash."""


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def is_among(peer: str, networks: Sequence[Network]) -> bool:
    """Whether the peer address is in one of `networks` (an IPv4-mapped IPv6 peer as IPv4)."""
    try:
        address = ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def target_sources(base_url: str, extra: Sequence[str]) -> tuple[list[Network], list[str]]:
    """Where the target's callbacks may come from: every address its URL's host resolves to,
    and `callbacks.sources` (CIDRs, addresses, host names resolved now); and the entries that
    did not resolve, for a warning."""
    networks: list[Network] = []
    unresolved = []
    for entry in [urlsplit(base_url).hostname or "", *extra]:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        try:
            found = socket.getaddrinfo(entry, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            unresolved.append(entry)
            continue
        for info in found:
            networks.append(ipaddress.ip_network(str(info[4][0]).split("%", 1)[0]))
    return networks, unresolved


class Receiver:
    """A real HTTP server on `host:port` (0: any free port) recording every request.

    Hand out `url_for(token)`; every request whose path has `/cb/<token>` is attributed to
    it. `script(token, faults)` makes the next requests for that token fail (C-4).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
        sources: Sequence[Network] | None = None,
        listener: Listener | None = None,
    ):
        """`sources`: the only peers whose requests are judged (`target_sources`); None:
        every peer's. `listener`: told of every request once recorded."""
        self._book = _Book(
            sources=None if sources is None else tuple(sources),
            listener=listener,
        )
        handler = type("Handler", (_Handler,), {"book": self._book})
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_class = type("Server", (_Server,), {"address_family": family})
        self._server = server_class((host, port), handler)
        self.port: int = self._server.server_address[1]
        self.base_url = (public_url or f"http://{_url_host(host)}:{self.port}").rstrip("/")
        self._thread: threading.Thread | None = None
        self._host, self._public = host, public_url is not None
        self._family, self._handler = family, handler
        #: C-4's refused connections: a second port, bound but not listening until `listen()`.
        self._refusing: _Server | None = None
        self._second: threading.Thread | None = None

    def start(self) -> Receiver:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="campaign-contract-receiver",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; requests kept hanging are released."""
        self._book.closing.set()
        for server, thread in ((self._server, self._thread), (self._refusing, self._second)):
            if server is not None and thread is not None:
                server.shutdown()
                thread.join(5)
            if server is not None:
                server.server_close()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url_for(self, token: str, query: str = "") -> str:
        """The URL to hand out for `token`; requests to it are the callbacks judged."""
        with self._book.lock:
            self._book.handed.add(token)
        return f"{self.base_url}/{PREFIX}/{token}" + (f"?{query}" if query else "")

    def refusing_url(self, token: str, query: str = "") -> str | None:
        """A URL for `token` on a second port that refuses every connection (bound, not
        listening) until `listen()`; None when the server reaches the receiver through
        callbacks.public_url (no second address to hand out)."""
        if self._public:
            return None
        if self._refusing is None:
            server_class = type("Server", (_Server,), {"address_family": self._family})
            self._refusing = server_class((self._host, 0), self._handler, bind_and_activate=False)
            self._refusing.server_bind()
        port = self._refusing.server_address[1]
        with self._book.lock:
            self._book.handed.add(token)
        base = f"http://{_url_host(self._host)}:{port}"
        return f"{base}/{PREFIX}/{token}" + (f"?{query}" if query else "")

    def listen(self) -> None:
        """The refusing port starts taking connections (once; a no-op without one)."""
        if self._refusing is None or self._second is not None:
            return
        self._refusing.server_activate()
        self._second = threading.Thread(
            target=self._refusing.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="campaign-contract-receiver-refusing",
            daemon=True,
        )
        self._second.start()

    def noise(self) -> int:
        """How many requests came to URLs the suite never handed out (not judged)."""
        with self._book.lock:
            return self._book.noise

    def foreign(self) -> tuple[int, list[str]]:
        """How many requests came from peers the target does not send from, and a few of them."""
        with self._book.lock:
            return self._book.foreign, list(self._book.foreign_peers)

    def script(self, token: str, faults: Sequence[Fault], keys: Keys | None = None) -> None:
        """Answer the next requests for `token` by `faults`; with `keys`, only requests that
        first report something (a retry is acknowledged, so each event fails at most once)."""
        with self._book.lock:
            self._book.scripts[token] = deque(faults)
            if keys is not None:
                self._book.keys[token] = keys

    def answer_with(self, answerer: Answerer, knows: Callable[[str], bool]) -> None:
        """Answer each callback by `answerer` instead of the scripts (a proxy forwarding it),
        for the tokens `knows` says were handed out (others get 404, unanswered by it)."""
        with self._book.lock:
            self._book.answerer, self._book.knows = answerer, knows

    def acknowledge_with(self, statuses: Sequence[int]) -> None:
        """Acknowledge requests no fault answers with these statuses in turn (C-4: any 2xx)."""
        with self._book.lock:
            self._book.acks = tuple(statuses)

    def down(self, token: str, is_down: bool = True) -> None:
        """Answer every request for `token` 503 (an outage, C-4) until called with False."""
        with self._book.lock:
            (self._book.down.add if is_down else self._book.down.discard)(token)

    def script_left(self, token: str) -> int:
        with self._book.lock:
            return len(self._book.scripts.get(token, ()))

    def take_script(self, token: str) -> tuple[Fault, ...]:
        """The faults `token` has not played, taken away: its requests are acknowledged from
        now on (a follow-up send plays them instead, plan.follow_up)."""
        with self._book.lock:
            left = self._book.scripts.pop(token, deque())
            return tuple(left)

    def received(self, token: str | None = None) -> list[Received]:
        with self._book.lock:
            entries = list(self._book.received)
        return entries if token is None else [e for e in entries if e.token == token]

    def count(self) -> int:
        with self._book.lock:
            return len(self._book.received)

    def wait(self, until: Callable[[], bool], timeout: float) -> bool:
        """Block until `until()` holds (re-checked on every request) or `timeout` passes."""
        deadline = time.monotonic() + timeout
        with self._book.lock:
            while not until():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._book.lock.wait(left)
            return True

    def wait_for_more(self, seen: int, timeout: float) -> bool:
        """Block until more than `seen` requests arrived, or `timeout` passes."""
        return self.wait(lambda: len(self._book.received) > seen, timeout)
