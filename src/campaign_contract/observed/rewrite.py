"""The proxy's `event_callback` rewriting (docs/design/proxy-and-judge.md, 3.4), pure, no IO.

A campaign's callback URL in a client's POST or PUT body is pointed at the proxy's callback
receiver, `{receiver}/cb/{token}` followed by the client's own path, query and fragment, so the
server's callbacks reach the proxy, which judges them and forwards them to the client's URL
(`forward_target`). The server's JSON answers get the client's scheme and authority back in
place of each handed-out prefix, so the client reads back its own URL. Edits are surgical:
every byte but the rewritten value stays as sent. A value is rewritten only where that keeps a
valid request valid (Q-4: an absolute http(s) URL of at most 2048 characters) and callbacks
may be forwarded to its host; anything else goes through untouched with a reason, so the
server judges the client's own value and the proxy can say its callbacks are not judged.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import Message
from typing import Final
from urllib.parse import quote_plus, unquote_to_bytes, urlsplit

from campaign_contract.judges.routes import classify
from campaign_contract.transport.exchange import BODY_LIMIT
from campaign_contract.transport.received import PREFIX

FIELD: Final = "event_callback"
#: Q-4: an `event_callback` is at most this many characters, before and after rewriting.
URL_MAX: Final = 2048
FORM: Final = "application/x-www-form-urlencoded"
MULTIPART: Final = "multipart/form-data"
JSON: Final = "application/json"
#: What may not appear in a URL the proxy rewrites (whitespace, controls, a backslash that
#: some parsers read as a slash): such values are the server's to judge, left as sent.
_UNSAFE: Final = re.compile(r"[\x00-\x20\x7f\\]")
_WHITESPACE: Final = re.compile(r"[ \t\n\r]*")
_DECODER: Final = json.JSONDecoder()
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}

#: Whether callbacks may be forwarded to this host (lowercased, IPv6 without brackets) and port.
Allowed = Callable[[str, int], bool]
#: A handed-out token and the client's URL it stands for.
Handed = tuple[str, str]


def is_loopback(host: str, port: int = 0) -> bool:
    """`localhost`, 127.0.0.0/8 or ::1: where a client's callbacks may always be forwarded."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowing(specs: Iterable[str]) -> Allowed:
    """Loopback and each `HOST[:PORT]` of `specs` (`--callback-to`; no port: any port);
    ValueError naming a spec that is not one."""
    named: set[tuple[str, int | None]] = set()
    for spec in specs:
        try:
            parts = urlsplit(f"//{spec}")
            port = parts.port
        except ValueError:
            raise ValueError(f"expected HOST[:PORT], got {spec!r}") from None
        if not parts.hostname or parts.path or parts.query or parts.username:
            raise ValueError(f"expected HOST[:PORT], got {spec!r}")
        named.add((parts.hostname, port))

    def allowed(host: str, port: int) -> bool:
        return is_loopback(host) or (host, port) in named or (host, None) in named

    return allowed


@dataclass(frozen=True, slots=True)
class Rewritten:
    """What `request` made of a body with an `event_callback` worth a word."""

    #: The body to send on: the client's bytes with each rewritten value replaced.
    body: bytes
    #: The tokens handed out, with the client's URL each stands for.
    handed: tuple[Handed, ...]
    #: Why a value was left as sent (its callbacks go straight to the client, unjudged).
    skipped: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.handed)


@dataclass(frozen=True, slots=True)
class Forward:
    """Where a callback the server made to a token goes: the client's URL's scheme and
    authority, the path that followed the token, and the server's own query."""

    scheme: str
    host: str
    port: int
    #: As the client wrote it: what the forwarded `Host` line says.
    authority: str
    #: The request target, bytes as the server sent them (`/` when the path was empty).
    target: bytes


@dataclass(frozen=True, slots=True)
class _Origin:
    """A client URL split where the rewritten one differs: its scheme and authority as
    written, and the rest (path, query, fragment) kept byte for byte."""

    url: str
    scheme: str
    host: str
    port: int
    prefix: str

    @property
    def rest(self) -> str:
        return self.url[len(self.prefix) :]


def _media_type(content_type: str | None) -> tuple[str, Message]:
    header = Message()
    header["Content-Type"] = content_type or ""
    return (header.get_content_type() if content_type else ""), header


class CallbackRewriter:
    """Hands out a token per client callback URL and rewrites bodies both ways; the token
    table is shared by every connection's threads (a lock guards it)."""

    def __init__(self, receiver_base: str, allowed: Allowed = is_loopback) -> None:
        parts = urlsplit(receiver_base)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.query:
            raise ValueError(f"expected the receiver's http(s) base URL, got {receiver_base!r}")
        self.base = receiver_base.rstrip("/")
        self._allowed = allowed
        self._lock = threading.Lock()
        self._origins: dict[str, _Origin] = {}
        marker = f"{self.base}/{PREFIX}/"
        spellings = (marker, marker.replace("/", "\\/"))
        alternatives = b"|".join(re.escape(s.encode()) for s in spellings)
        self._handed_out = re.compile(b"(" + alternatives + b")([0-9a-f]{10})(?![0-9a-f])")

    # --- requests -------------------------------------------------------------------------

    def wants_request(self, method: str, target: str) -> bool:
        """Whether this request creates or updates a campaign (POST `/campaign[/]`, PUT
        `/campaign/{id}[/]`): its body is to be buffered and given to `request`."""
        route = classify(method, _path(target))
        if route.status is not None:
            return False
        return (method, route.template) in {("POST", "/campaign"), ("PUT", "/campaign/{id}")}

    def request(
        self, method: str, target: str, content_type: str | None, body: bytes
    ) -> Rewritten | None:
        """`body` with each allowed `event_callback` URL rewritten; None when it has none to
        rewrite or tell of (not a campaign's POST or PUT, another body type, over 1 MiB,
        undecodable, no such field, or only `""`/`null` values)."""
        if len(body) > BODY_LIMIT or not self.wants_request(method, target):
            return None
        media, header = _media_type(content_type)
        spans: list[tuple[int, int, str | None, str]] = []  # start, end, value, why not
        if media == FORM:
            spans = _form_spans(body)
        elif media == MULTIPART:
            boundary = header.get_param("boundary")
            if isinstance(boundary, str) and boundary:
                spans = _multipart_spans(body, boundary.encode("latin-1", "replace"))
        elif media == JSON:
            spans = _json_spans(body)
        return self._rewrite(body, spans, media)

    def _rewrite(
        self, body: bytes, spans: list[tuple[int, int, str | None, str]], media: str
    ) -> Rewritten | None:
        handed: dict[str, str] = {}  # original URL -> token, one per URL in a request
        skipped: list[str] = []
        out: list[bytes] = []
        at = 0
        for start, end, value, why in spans:
            if value is None:
                skipped.append(f"{FIELD} not rewritten: {why}; its callbacks are not judged")
                continue
            if value == "":
                continue
            origin, why = self._origin(value)
            if origin is None:
                skipped.append(f"{FIELD} not rewritten: {why}; its callbacks are not judged")
                continue
            token = handed.get(value) or self._hand_out(origin)
            handed[value] = token
            new = f"{self.base}/{PREFIX}/{token}{origin.rest}"
            out += [body[at:start], _spell(new, media)]
            at = end
        if not handed and not skipped:
            return None
        out.append(body[at:])
        pairs = tuple((token, url) for url, token in handed.items())
        return Rewritten(b"".join(out), pairs, tuple(skipped))

    def _origin(self, url: str) -> tuple[_Origin | None, str]:
        """The client URL split for rewriting, or None and why it is left as sent."""
        if _UNSAFE.search(url):
            return None, "not a URL the proxy rewrites (spaces, controls or backslashes)"
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return None, "not an absolute http(s) URL (left for the server to judge)"
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            return None, "not an absolute http(s) URL (left for the server to judge)"
        if len(url) > URL_MAX:
            return None, f"{len(url)} characters, over Q-4's {URL_MAX}"
        if parts.username is not None or parts.password is not None:
            return None, f"its URL to {parts.hostname} carries user information"
        prefix = f"{url[: len(parts.scheme)]}://{parts.netloc}"
        if not url.startswith(prefix):
            return None, "not an absolute http(s) URL (left for the server to judge)"
        port = port or _DEFAULT_PORTS[parts.scheme]
        if not self._allowed(parts.hostname, port):
            return None, f"{parts.hostname} is neither loopback nor a --callback-to host"
        if url.startswith(f"{self.base}/{PREFIX}/"):
            return None, "it is already the proxy's own callback receiver"
        origin = _Origin(url, parts.scheme, parts.hostname, port, prefix)
        longest = len(f"{self.base}/{PREFIX}/") + 10 + len(origin.rest)
        if longest > URL_MAX:
            return None, f"rewritten it would be {longest} characters, over Q-4's {URL_MAX}"
        return origin, ""

    def _hand_out(self, origin: _Origin) -> str:
        with self._lock:
            token = secrets.token_hex(5)
            while token in self._origins:
                token = secrets.token_hex(5)
            self._origins[token] = origin
        return token

    # --- callbacks ------------------------------------------------------------------------

    def original(self, token: str) -> str | None:
        """The client's URL `token` stands for; None for a token never handed out."""
        origin = self._origin_of(token)
        return origin.url if origin else None

    def _origin_of(self, token: str) -> _Origin | None:
        with self._lock:
            return self._origins.get(token)

    def forward_target(self, token: str, received_target: bytes) -> Forward | None:
        """Where a callback the receiver got at `received_target` goes: the client's scheme
        and authority, the path after `/cb/{token}`, the server's raw query (absent when the
        server sent none); None for an unknown token or a path that does not name it."""
        origin = self._origin_of(token)
        if origin is None:
            return None
        path, mark, query = received_target.partition(b"?")
        marker = f"/{PREFIX}/{token}".encode()
        found = path.find(marker)
        if found < 0:
            return None
        after = path[found + len(marker) :]
        if after and not after.startswith(b"/"):
            return None
        target = (after or b"/") + (b"?" + query if mark else b"")
        authority = origin.prefix[len(origin.scheme) + 3 :]
        return Forward(origin.scheme, origin.host, origin.port, authority, target)

    # --- answers --------------------------------------------------------------------------

    def wants_answer(self, method: str, target: str) -> bool:
        """Whether this request's answer may echo a campaign (every routed method on
        `/campaign[/]` and `/campaign/{id}[/]`): its body is to be given to `answer`."""
        route = classify(method, _path(target))
        return route.status is None and route.template in {"/campaign", "/campaign/{id}"}

    def answer(self, body: bytes) -> bytes | None:
        """A JSON answer (at most 1 MiB) with each handed-out `{receiver}/cb/{token}`, spelt
        with `/` or `\\/`, replaced by the client's scheme and authority in the same
        spelling; the rest is the server's bytes. None when nothing changed."""
        if len(body) > BODY_LIMIT or not self._handed_out.search(body):
            return None
        try:
            json.loads(body)
        except (ValueError, RecursionError):
            return None  # not JSON (an HTML page, V-1): documented as not un-rewritten

        def back(match: re.Match[bytes]) -> bytes:
            origin = self._origin_of(match.group(2).decode())
            if origin is None:
                return match.group(0)
            prefix = origin.prefix.encode()
            return prefix.replace(b"/", b"\\/") if b"\\/" in match.group(1) else prefix

        new = self._handed_out.sub(back, body)
        return None if new == body else new


def _path(target: str) -> str:
    """The path of an origin-form or absolute-form request target."""
    return target if target.startswith("/") else urlsplit(target).path or "/"


def _spell(url: str, media: str) -> bytes:
    if media == FORM:
        return quote_plus(url).encode()
    if media == JSON:
        return json.dumps(url).encode()
    return url.encode()


def _form_spans(body: bytes) -> list[tuple[int, int, str | None, str]]:
    """Each `event_callback` pair's value bytes and its unquoted text (None: not UTF-8)."""
    spans: list[tuple[int, int, str | None, str]] = []
    at = 0
    for pair in body.split(b"&"):
        key, eq, value = pair.partition(b"=")
        if unquote_to_bytes(key.replace(b"+", b" ")) == FIELD.encode():
            start = at + len(key) + len(eq)
            try:
                text: str | None = unquote_to_bytes(value.replace(b"+", b" ")).decode()
            except UnicodeDecodeError:
                text = None
            spans.append((start, start + len(value), text, "its value is not UTF-8"))
        at += len(pair) + 1
    return spans


def _multipart_spans(body: bytes, boundary: bytes) -> list[tuple[int, int, str | None, str]]:
    """The payload of each part named `event_callback`; none when the body is not a
    well-formed multipart body (the server judges it)."""
    delimiter = b"--" + boundary
    spans: list[tuple[int, int, str | None, str]] = []
    if body.startswith(delimiter):
        at = 0
    else:
        found = body.find(b"\r\n" + delimiter)
        if found < 0:
            return []
        at = found + 2
    while True:
        after = at + len(delimiter)
        if body[after : after + 2] == b"--":
            return spans
        line_end = body.find(b"\r\n", after)
        if line_end < 0 or body[after:line_end].strip(b" \t"):
            return []
        start = line_end + 2
        end = body.find(b"\r\n" + delimiter, start)
        if end < 0:
            return []
        span = _part(body, start, end)
        if span is not None:
            spans.append(span)
        at = end + 2


def _part(body: bytes, start: int, end: int) -> tuple[int, int, str | None, str] | None:
    part = body[start:end]
    if part.startswith(b"\r\n"):
        head, payload_at = b"", start + 2
    else:
        head, sep, _ = part.partition(b"\r\n\r\n")
        if not sep:
            return None
        payload_at = start + len(head) + 4
    headers = Message()
    for line in head.decode("latin-1").split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip()] = value.strip()
    if headers.get_param("name", header="content-disposition") != FIELD:
        return None
    if headers.get_param("filename", header="content-disposition") is not None:
        return start, end, None, "its multipart part has a filename"
    if "Content-Transfer-Encoding" in headers:
        return start, end, None, "its multipart part has a Content-Transfer-Encoding"
    try:
        text: str | None = body[payload_at:end].decode()
    except UnicodeDecodeError:
        text = None
    return payload_at, end, text, "its value is not UTF-8"


def _json_spans(body: bytes) -> list[tuple[int, int, str | None, str]]:
    """The byte span of each top-level `event_callback` string of a JSON object, walking the
    members by `raw_decode` offsets; none for anything else (the server judges it)."""
    try:
        text = body.decode()
        json.loads(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return []
    at = _skip(text, 0)
    if text[at : at + 1] != "{":
        return []
    spans: list[tuple[int, int, str | None, str]] = []
    at = _skip(text, at + 1)
    while text[at] != "}":
        key, at = _DECODER.raw_decode(text, at)
        at = _skip(text, _skip(text, at) + 1)  # past the colon
        value, end = _DECODER.raw_decode(text, at)
        if key == FIELD and isinstance(value, str):
            start = len(text[:at].encode())
            spans.append((start, start + len(text[at:end].encode()), value, ""))
        at = _skip(text, end)
        if text[at] == ",":
            at = _skip(text, at + 1)
    return spans


def _skip(text: str, at: int) -> int:
    match = _WHITESPACE.match(text, at)
    return match.end() if match else at
