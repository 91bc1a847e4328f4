"""A WSGI middleware that lets a broken variant rewrite requests and JSON responses of the mock."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Flask

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.http.context import mock_of

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class Call:
    """One request as the variant sees it: method, path, content type and parsed parameters."""

    method: str
    path: str
    content_type: str
    body: bytes
    #: Form pairs or a JSON object; None for other bodies (left untouched).
    form: list[tuple[str, str]] | None = None
    json: dict[str, Any] | None = None
    #: Set by a request rewrite to answer at once instead of calling the mock.
    answer: tuple[int, dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def campaign_id(self) -> int | None:
        parts = self.path.strip("/").split("/")
        return (
            int(parts[1])
            if len(parts) == 2 and parts[0] == "campaign" and parts[1].isdigit()
            else None
        )

    def params(self) -> dict[str, Any]:
        """Parameters by name (form values as text, `segments[]` as a list)."""
        if self.json is not None:
            return self.json
        out: dict[str, Any] = {}
        for key, value in self.form or []:
            if key == "segments[]":
                out.setdefault(key, []).append(value)
            else:
                out[key] = value
        return out

    def set_param(self, name: str, value: Any) -> None:
        if self.json is not None:
            self.json[name] = value
        elif self.form is not None:
            self.form = [(k, v) for k, v in self.form if k != name] + [(name, str(value))]

    def drop_param(self, name: str) -> None:
        if self.json is not None:
            self.json.pop(name, None)
        elif self.form is not None:
            self.form = [(k, v) for k, v in self.form if k != name]


RequestRewrite = Callable[[Call, CampaignBackend], None]
ResponseRewrite = Callable[[Call, int, dict[str, Any], CampaignBackend], int]


def install(
    app: Flask,
    on_request: RequestRewrite | None = None,
    on_response: ResponseRewrite | None = None,
) -> None:
    """Wrap `app.wsgi_app` (Flask's documented place for middleware) with the rewrites."""
    backend: CampaignBackend = mock_of(app).root
    inner: WsgiApp = app.wsgi_app  # type: ignore[assignment]

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/_mock/"):
            return inner(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        call = Call(
            environ["REQUEST_METHOD"],
            environ.get("PATH_INFO", ""),
            environ.get("CONTENT_TYPE", ""),
            body,
        )
        _parse(call)
        if on_request is not None:
            on_request(call, backend)
            body = _serialize(call)
        if call.answer is not None:
            status, document = call.answer
            return _respond(start_response, status, [], document, call.method)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = b"".join(inner(environ, capture))
        status = int(captured["status"].split()[0])
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        try:
            document = json.loads(chunks) if on_response is not None else None
        except ValueError:
            document = None
        if not isinstance(document, dict) or on_response is None:
            start_response(captured["status"], [*headers, ("Content-Length", str(len(chunks)))])
            return [chunks]
        status = on_response(call, status, document, backend)
        return _respond(start_response, status, headers, document, call.method)

    app.wsgi_app = wrapped  # type: ignore[method-assign]


def _parse(call: Call) -> None:
    mimetype = call.content_type.split(";")[0].strip().lower()
    try:
        if mimetype == "application/x-www-form-urlencoded":
            call.form = parse_qsl(call.body.decode(), keep_blank_values=True)
        elif mimetype == "application/json":
            value = json.loads(call.body)
            call.json = value if isinstance(value, dict) else None
    except ValueError:
        pass


def _serialize(call: Call) -> bytes:
    if call.json is not None:
        return json.dumps(call.json).encode()
    if call.form is not None:
        return urlencode(call.form).encode()
    return call.body


def _respond(
    start_response: Callable[..., Any],
    status: int,
    headers: list[tuple[str, str]],
    document: dict[str, Any],
    method: str,
) -> list[bytes]:
    """The rewritten answer; a HEAD gets the headers alone (RFC 9110: no body), or a
    keep-alive client reads the body as the start of the next answer."""
    payload = json.dumps(document).encode()
    kept = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [*kept, ("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [] if method == "HEAD" else [payload]
