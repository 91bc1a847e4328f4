"""HAR 1.2 files (what browsers, Playwright's `record_har_path` and mitmproxy export) read
into `Seen` exchanges for the judges (docs/design/proxy-and-judge.md, section 4).

Only the server's API traffic is kept: entries of other origins, the mock's `/_mock/` paths
and requests preferring `text/html` (pages for people, V-1) are left out and counted, so the
caller can say so. Stdlib `json` only: HAR is plain JSON, and the one HAR package installed
(`harfile`) only writes.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from campaign_contract.transport.exchange import BODY_LIMIT, Exchange
from campaign_contract.transport.traffic import Header, Seen

_DEFAULT_PORTS = {"http": 80, "https": 443}


class HarError(ValueError):
    """A file that cannot be read as HAR; its message is one line naming what is wrong."""


@dataclass(frozen=True, slots=True)
class LeftOut:
    """The entries of a HAR that are not the server's API traffic, by reason."""

    #: Requests to another origin than the server's (scripts, fonts, other APIs).
    other_origins: int = 0
    #: Requests to the mock's control API and dashboard (`/_mock/`).
    control: int = 0
    #: Requests preferring `text/html` (a person's page, V-1 lets a server answer with one).
    pages: int = 0

    @property
    def total(self) -> int:
        return self.other_origins + self.control + self.pages

    def warning(self) -> str | None:
        """One line saying what was left out, or None when nothing was."""
        if not self.total:
            return None
        parts = [
            f"{count} {what}"
            for count, what in (
                (self.other_origins, "of other origins"),
                (self.control, "to /_mock/"),
                (self.pages, "preferring text/html"),
            )
            if count
        ]
        return f"left out {self.total} HAR entries, not judged: {', '.join(parts)}"


@dataclass(frozen=True, slots=True)
class HarTraffic:
    """What a HAR holds of one server's API traffic."""

    #: The server's origin (`scheme://host[:port]`) the exchanges were kept for.
    origin: str
    #: Its exchanges, in completion order, numbered from 1.
    seen: list[Seen]
    left_out: LeftOut


def read_har(path: Path, origin: str | None = None) -> HarTraffic:
    """The HAR file at `path` (see `parse_har`); an unreadable file is a HarError too."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise HarError(f"{path}: cannot read it ({error.strerror or error})") from None
    return parse_har(data, origin)


def parse_har(data: bytes | str, origin: str | None = None) -> HarTraffic:
    """The exchanges of `origin` in a HAR document (default: the one origin with `/campaign`
    paths). Raises HarError, with a one-line message, for anything that is not HAR 1.2."""
    try:
        document = json.loads(data, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError
        raise HarError(f"not a HAR file: not JSON ({_first_line(error)})") from None
    if not isinstance(document, dict) or not isinstance(document.get("log"), dict):
        raise HarError('not a HAR file: no "log" object at the top')
    if "entries" not in document["log"]:
        raise HarError('not a HAR file: "log" has no "entries"')
    items = _typed(document["log"]["entries"], list, "log.entries")
    entries = [_Entry.read(item, f"log.entries[{i}]") for i, item in enumerate(items)]
    chosen = _chosen_origin(entries) if origin is None else _origin_of_argument(origin)
    kept: list[_Entry] = []
    other = control = pages = 0
    for entry in entries:
        if entry.origin != chosen:
            other += 1
        elif entry.path == "/_mock" or entry.path.startswith("/_mock/"):
            control += 1
        elif entry.prefers_html:
            pages += 1
        else:
            kept.append(entry)
    kept.sort(key=lambda entry: entry.answered_at)  # stable: file order among equal ends
    numbers = _connection_numbers(kept)
    seen = [entry.seen(n, numbers) for n, entry in enumerate(kept, start=1)]
    return HarTraffic(chosen, seen, LeftOut(other, control, pages))


@dataclass(frozen=True, slots=True)
class _Entry:
    """One entry's fields, checked."""

    method: str
    url: str
    origin: str
    path: str
    request_headers: tuple[Header, ...]
    request_body: bytes
    status: int | None
    error: str | None
    reason: str
    response_headers: tuple[Header, ...]
    response_body: bytes
    truncated: bool
    sent_at: float
    elapsed: float
    connection: str | None

    @property
    def answered_at(self) -> float:
        return self.sent_at + self.elapsed

    @property
    def prefers_html(self) -> bool:
        accept = ", ".join(v for k, v in self.request_headers if k.lower() == "accept")
        return "html" in accept and _quality(accept, "text/html") > _quality(
            accept, "application/json"
        )

    @classmethod
    def read(cls, item: Any, where: str) -> _Entry:
        entry = _typed(item, dict, where)
        request = _typed(_required(entry, "request", where), dict, f"{where}.request")
        response = _typed(_required(entry, "response", where), dict, f"{where}.response")
        method = _typed(
            _required(request, "method", f"{where}.request"), str, f"{where}.request.method"
        )
        url = _typed(_required(request, "url", f"{where}.request"), str, f"{where}.request.url")
        try:
            parts = urlsplit(url)
        except ValueError:  # an unclosed IPv6 bracket
            raise HarError(f"{where}.request.url: {url[:200]!r} is not a URL") from None
        status = _typed(
            _required(response, "status", f"{where}.response"), int, f"{where}.response.status"
        )
        body, truncated = _response_body(response, f"{where}.response")
        answered = status > 0  # Chromium writes 0 and Playwright -1 for a request that failed
        return cls(
            method=method,
            url=url,
            origin=_origin(parts.scheme, parts.hostname, _port(parts)),
            path=parts.path or "/",
            request_headers=_headers(request, f"{where}.request"),
            request_body=_request_body(request, f"{where}.request"),
            status=status if answered else None,
            error=None if answered else _failure(entry, response),
            reason=_optional(response, "statusText", str, f"{where}.response") or "",
            response_headers=_headers(response, f"{where}.response"),
            response_body=body,
            truncated=truncated,
            sent_at=_started(entry, where),
            elapsed=max(_number(_required(entry, "time", where), f"{where}.time"), 0.0) / 1000,
            connection=_connection(entry, where),
        )

    def seen(self, number: int, connections: dict[str, int]) -> Seen:
        exchange = Exchange(
            method=self.method,
            url=self.url,
            request_headers=_joined(self.request_headers),
            request_body=self.request_body,
            status=self.status,
            response_headers=list(self.response_headers),
            response_body=self.response_body,
            truncated=self.truncated,
            error=self.error,
            elapsed=self.elapsed,
        )
        return Seen(
            number=number,
            connection=0 if self.connection is None else connections[self.connection],
            sent_at=self.sent_at,
            answered_at=self.answered_at,
            exchange=exchange,
            request_headers=self.request_headers,
            response_headers=self.response_headers,
            reason=self.reason,
        )


def _chosen_origin(entries: list[_Entry]) -> str:
    """The one origin the HAR sent `/campaign` requests to (pages for people aside)."""
    found = dict.fromkeys(
        e.origin
        for e in entries
        if not e.prefers_html
        and ("/campaign/" in e.path or e.path.rstrip("/").endswith("/campaign"))
    )
    if not found:
        raise HarError("the HAR holds no request to a /campaign path: name the server's origin")
    if len(found) > 1:
        raise HarError(
            f"the HAR holds /campaign requests to {len(found)} origins ({', '.join(found)}): "
            "name the server's origin"
        )
    return next(iter(found))


def _origin_of_argument(origin: str) -> str:
    """The origin of a URL the caller named (its path, if any, aside)."""
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        parts = urlsplit("")
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise HarError(f"origin {origin!r} is not an http(s) URL such as http://127.0.0.1:8080")
    return _origin(parts.scheme, parts.hostname, _port(parts))


def _origin(scheme: str, host: str | None, port: int | None) -> str:
    """`scheme://host[:port]`, lower case, without the scheme's default port."""
    scheme = scheme.lower()
    if not host:
        return f"{scheme}:"
    shown = f"[{host}]" if ":" in host else host
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{shown}"
    return f"{scheme}://{shown}:{port}"


def _port(parts: SplitResult) -> int | None:
    try:
        port: int | None = parts.port
    except ValueError:  # a port out of range or not a number: an origin of its own
        return None
    return port


def _quality(accept: str, media: str) -> float:
    """The quality `accept` gives `media`, from its most specific matching range."""
    kind = media.split("/", 1)[0]
    best_rank, best_q = -1, 0.0
    for item in accept.split(","):
        fields = [f.strip() for f in item.split(";")]
        given = fields[0].lower()
        rank = 2 if given == media else 1 if given == f"{kind}/*" else 0 if given == "*/*" else -1
        if rank <= best_rank:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best_rank, best_q = rank, q
    return best_q


def _headers(message: dict[str, Any], where: str) -> tuple[Header, ...]:
    items = _typed(_required(message, "headers", where), list, f"{where}.headers")
    headers: list[Header] = []
    for i, item in enumerate(items):
        at = f"{where}.headers[{i}]"
        header = _typed(item, dict, at)
        name = _typed(_required(header, "name", at), str, f"{at}.name")
        value = _typed(_required(header, "value", at), str, f"{at}.value")
        headers.append((name, value))
    return tuple(headers)


def _joined(headers: tuple[Header, ...]) -> dict[str, str]:
    """The request's headers as the Exchange keeps them: one entry per name (spelt as first
    seen), repeats joined as HTTP allows (RFC 9110 5.3; `Cookie` with `; `), HTTP/2's
    pseudo-headers (`:path`) left to `Seen.request_headers`."""
    joined: dict[str, str] = {}
    spelt: dict[str, str] = {}
    for name, value in headers:
        if name.startswith(":"):
            continue
        key = spelt.setdefault(name.lower(), name)
        if key in joined:
            joined[key] += ("; " if key.lower() == "cookie" else ", ") + value
        else:
            joined[key] = value
    return joined


def _request_body(request: dict[str, Any], where: str) -> bytes:
    """`postData.text`: what was sent (`params` is a parse of it, ignored)."""
    posted = _optional(request, "postData", dict, where)
    if posted is None:
        return b""
    text = _optional(posted, "text", str, f"{where}.postData")
    return (text or "").encode("utf-8", "surrogatepass")


def _response_body(response: dict[str, Any], where: str) -> tuple[bytes, bool]:
    """`content.text` (decoded when base64), and whether the HAR left some of it out."""
    content = _typed(_required(response, "content", where), dict, f"{where}.content")
    at = f"{where}.content"
    text = _optional(content, "text", str, at)
    size = _optional(content, "size", (int, float), at)
    if text is None:
        return b"", size is not None and size > 0
    encoding = _optional(content, "encoding", str, at)
    if encoding in (None, ""):
        body = text.encode("utf-8", "surrogatepass")
    elif encoding.lower() == "base64":
        try:
            body = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise HarError(f"{at}.text: not base64, as its encoding says") from None
    else:
        raise HarError(f"{at}.encoding: {encoding!r} is not one HAR readers know (base64)")
    if len(body) > BODY_LIMIT:
        return body[:BODY_LIMIT], True
    return body, False


def _failure(entry: dict[str, Any], response: dict[str, Any]) -> str:
    """Why a request the HAR marks as failed got no answer (Chromium: `_error`)."""
    for holder, key in ((response, "_error"), (response, "_failureText"), (entry, "_error")):
        value = holder.get(key)
        if isinstance(value, str) and value:
            return value
    return "no answer in the HAR"


def _started(entry: dict[str, Any], where: str) -> float:
    text = _typed(_required(entry, "startedDateTime", where), str, f"{where}.startedDateTime")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise HarError(f"{where}.startedDateTime: {text!r} is not an ISO 8601 date") from None
    if moment.tzinfo is None:  # HAR requires an offset; a file without one is read as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _connection(entry: dict[str, Any], where: str) -> str | None:
    """Chromium's `connection` (its socket's id), as a string; None when absent."""
    value = entry.get("connection")
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise HarError(f"{where}.connection: expected a string, got {_kind(value)}")
    return str(value)


def _connection_numbers(entries: list[_Entry]) -> dict[str, int]:
    """A number per connection: Chromium's own id when it is one, else numbered in order."""
    named = {e.connection for e in entries if e.connection is not None}
    numbers = {c: int(c) for c in named if c.isdigit() and len(c) <= 18 and int(c) > 0}
    following = max(numbers.values(), default=0)
    for entry in entries:
        if entry.connection is not None and entry.connection not in numbers:
            following += 1
            numbers[entry.connection] = following
    return numbers


def _required(holder: dict[str, Any], key: str, where: str) -> Any:
    if key not in holder:
        raise HarError(f"{where}: no {key!r}")
    return holder[key]


def _optional(holder: dict[str, Any], key: str, kind: Any, where: str) -> Any:
    value = holder.get(key)
    return None if value is None else _typed(value, kind, f"{where}.{key}")


def _number(value: Any, where: str) -> float:
    try:
        return float(_typed(value, (int, float), where))
    except OverflowError:
        raise HarError(f"{where}: {str(value)[:20]}... is out of range") from None


def _typed(value: Any, kind: Any, where: str) -> Any:
    """`value` when it is of `kind` (a bool is no number), else a HarError naming `where`."""
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    wanted = kind if isinstance(kind, tuple) else (kind,)
    names = "a number" if float in wanted else " or ".join(_NAMES[k] for k in wanted)
    raise HarError(f"{where}: expected {names}, got {_kind(value)}")


_NAMES: dict[type, str] = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "an integer",
    float: "a number",
}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    for kind, name in _NAMES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _no_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (Python's reader takes them by default)."""
    raise ValueError(f"{name} is not a JSON value")


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
