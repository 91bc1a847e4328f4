"""`--record FILE`: the proxy's traffic as JSON Lines, one event per line, each written and
flushed as it completes, so a killed proxy still leaves a readable file
(docs/design/proxy-and-judge.md, section 4).

Lines: a header (`format`, `version`, the suite's version, `to`, `receiver`, `started`); one
`exchange` line per `Seen` (its number, connection, moments, the request and the answer with
their headers as lists that keep order, case and repeats, bodies in base64 so every byte
survives); an `end` line when the proxy stopped cleanly. An answer that never came is
`"response": null` with the `error`; an answer that broke off has both.

The file is created mode 0600 and holds no credential: each is replaced by a placeholder keyed
by a random key of this file alone (`transport/redact.py::keyed`), so equal credentials stay
equal (a token equals its cookie) and none can be guessed back from the file.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from campaign_contract._version import __version__
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.received import Received
from campaign_contract.transport.redact import (
    Hide,
    content_type_of,
    keyed,
    redact_body,
    redact_headers,
    redact_target,
)
from campaign_contract.transport.traffic import Header, Seen, header_dict

FORMAT = "campaign-contract-record"
VERSION = 1


class RecordError(ValueError):
    """A file that is not a readable recording; the message names the line."""


def redact_seen(seen: Seen, hide: Hide) -> Seen:
    """The exchange as a recording holds it: every credential hidden, every other byte kept."""
    request_headers = redact_headers(seen.request_headers, hide)
    response_headers = redact_headers(seen.response_headers, hide)
    exchange = seen.exchange
    return Seen(
        number=seen.number,
        connection=seen.connection,
        sent_at=seen.sent_at,
        answered_at=seen.answered_at,
        exchange=Exchange(
            method=exchange.method,
            url=redact_target(exchange.url, hide),
            request_headers=header_dict(request_headers),
            request_body=redact_body(exchange.request_body, content_type_of(request_headers), hide),
            status=exchange.status,
            response_headers=list(response_headers),
            response_body=redact_body(
                exchange.response_body, content_type_of(response_headers), hide
            ),
            truncated=exchange.truncated,
            error=exchange.error,
            elapsed=exchange.elapsed,
        ),
        request_headers=request_headers,
        response_headers=response_headers,
        reason=seen.reason,
        rewrites=dict(seen.rewrites),
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _line(seen: Seen) -> dict[str, Any]:
    exchange = seen.exchange
    response = None
    if exchange.status is not None:
        response = {
            "status": exchange.status,
            "reason": seen.reason,
            "headers": [list(h) for h in seen.response_headers],
            "body_b64": _b64(exchange.response_body),
        }
    return {
        "kind": "exchange",
        "n": seen.number,
        "conn": seen.connection,
        "sent": seen.sent_at,
        "answered": seen.answered_at,
        "request": {
            "method": exchange.method,
            "url": exchange.url,
            "headers": [list(h) for h in seen.request_headers],
            "body_b64": _b64(exchange.request_body),
        },
        "response": response,
        "truncated": exchange.truncated,
        "error": exchange.error,
        "rewrites": dict(seen.rewrites),
    }


def _callback_line(received: Received, hide: Hide) -> dict[str, Any]:
    headers = redact_headers(received.headers, hide)
    return {
        "kind": "callback",
        "n": received.number,
        "arrived": received.arrived,
        "method": received.method,
        "target": redact_target(received.target.decode("latin-1"), hide),
        "headers": [list(h) for h in headers],
        "body_b64": _b64(redact_body(received.body, content_type_of(headers), hide)),
        "status": received.status,
        "truncated": received.truncated,
        "problem": received.problem,
        "matched": received.matched,
        "foreign": received.foreign,
        "latency": received.latency,
        "closed_first": received.closed_first,
        "incomplete": received.incomplete,
    }


class Recorder:
    """Writes a recording: the header at once, `write(seen)` per exchange, `callback(r)` per
    callback the server made, `close(at)` the `end` line; from any thread."""

    def __init__(
        self, path: str | Path, *, to: str, started: float, receiver: str | None = None
    ) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_TRUNC
        self._file: IO[str] = os.fdopen(fd, "w", encoding="utf-8")
        self._hide = keyed(secrets.token_bytes(32))
        self._lock = threading.Lock()
        self._count = 0
        self._put(
            {
                "format": FORMAT,
                "version": VERSION,
                "suite": __version__,
                "to": to,
                "receiver": receiver,
                "started": started,
            }
        )

    def _put(self, line: dict[str, Any]) -> None:
        with self._lock:
            if self._file.closed:
                return  # a callback after the end: not part of the session judged
            self._file.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
            self._file.flush()

    def write(self, seen: Seen) -> None:
        self._put(_line(redact_seen(seen, self._hide)))
        self._count += 1

    def callback(self, received: Received) -> None:
        self._put(_callback_line(received, self._hide))

    def close(self, at: float) -> None:
        self._put({"kind": "end", "at": at, "exchanges": self._count})
        with self._lock:
            self._file.close()


@dataclass(frozen=True, slots=True)
class Recording:
    """A recording read back: its header, its exchanges in order, its `end` line (None when
    the proxy did not stop cleanly)."""

    header: dict[str, Any]
    seen: list[Seen] = field(default_factory=list)
    end: dict[str, Any] | None = None
    callbacks: list[Received] = field(default_factory=list)


def _headers(value: Any, where: str) -> tuple[Header, ...]:
    if not isinstance(value, list) or not all(
        isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in value
    ):
        raise RecordError(f"{where}: headers: expected a list of [name, value] strings")
    return tuple((h[0], h[1]) for h in value)


def _seen(line: dict[str, Any], where: str) -> Seen:
    try:
        request = line["request"]
        response = line["response"]
        request_headers = _headers(request["headers"], where)
        response_headers = _headers(response["headers"], where) if response else ()
        sent, answered = float(line["sent"]), float(line["answered"])
        exchange = Exchange(
            method=str(request["method"]),
            url=str(request["url"]),
            request_headers=header_dict(request_headers),
            request_body=base64.b64decode(request["body_b64"], validate=True),
            status=int(response["status"]) if response else None,
            response_headers=list(response_headers),
            response_body=base64.b64decode(response["body_b64"], validate=True)
            if response
            else b"",
            truncated=bool(line["truncated"]),
            error=line["error"],
            elapsed=answered - sent,
        )
        return Seen(
            number=int(line["n"]),
            connection=int(line["conn"]),
            sent_at=sent,
            answered_at=answered,
            exchange=exchange,
            request_headers=request_headers,
            response_headers=response_headers,
            reason=str(response["reason"]) if response else "",
            rewrites=dict(line["rewrites"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise RecordError(f"{where}: not an exchange line ({error!r})") from error


def _received(line: dict[str, Any], where: str) -> Received:
    try:
        status = line["status"]
        return Received(
            number=int(line["n"]),
            arrived=float(line["arrived"]),
            method=str(line["method"]),
            target=str(line["target"]).encode("latin-1"),
            headers=_headers(line["headers"], where),
            body=base64.b64decode(line["body_b64"], validate=True),
            status=None if status is None else int(status),
            truncated=bool(line["truncated"]),
            problem=None if line["problem"] is None else str(line["problem"]),
            matched=bool(line["matched"]),
            foreign=bool(line["foreign"]),
            latency=None if line.get("latency") is None else float(line["latency"]),
            closed_first=bool(line.get("closed_first", False)),
            incomplete=bool(line.get("incomplete", False)),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise RecordError(f"{where}: not a callback line ({error!r})") from error


def read_record(path: str | Path) -> Recording:
    """The recording in `path`; RecordError naming the line when it is not one."""
    with open(path, encoding="utf-8") as file:
        lines = file.read().splitlines()
    events: list[dict[str, Any]] = []
    for number, text in enumerate(lines, start=1):
        try:
            event = json.loads(text)
        except ValueError as error:
            raise RecordError(f"{path}:{number}: not JSON ({error})") from error
        if not isinstance(event, dict):
            raise RecordError(f"{path}:{number}: expected an object")
        events.append(event)
    if not events or events[0].get("format") != FORMAT:
        raise RecordError(f"{path}:1: not a {FORMAT} file")
    recording = Recording(header=events[0])
    end = None
    for number, event in enumerate(events[1:], start=2):
        kind = event.get("kind")
        if kind == "exchange":
            recording.seen.append(_seen(event, f"{path}:{number}"))
        elif kind == "callback":
            recording.callbacks.append(_received(event, f"{path}:{number}"))
        elif kind == "end":
            end = event
        else:
            raise RecordError(f"{path}:{number}: unknown kind {kind!r}")
    return Recording(recording.header, recording.seen, end, recording.callbacks)
