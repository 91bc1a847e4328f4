"""One recorded HTTP request and what came back (or why nothing did)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: Response bodies are kept up to this size; the rest is dropped and flagged.
BODY_LIMIT = 1024 * 1024

_NOT_JSON = object()


@dataclass(slots=True)
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes = b""
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    truncated: bool = False
    error: str | None = None
    elapsed: float = 0.0
    _parsed: Any = field(default=None, repr=False)
    _parsed_done: bool = field(default=False, repr=False)

    @property
    def answered(self) -> bool:
        return self.status is not None and self.error is None

    def header(self, name: str) -> str | None:
        """The first response header with this name (case-insensitive)."""
        values = self.headers(name)
        return values[0] if values else None

    def request_header(self, name: str) -> str | None:
        """The request header with this name (case-insensitive), as sent."""
        lowered = name.lower()
        return next((v for k, v in self.request_headers.items() if k.lower() == lowered), None)

    def headers(self, name: str) -> list[str]:
        lowered = name.lower()
        return [v for k, v in self.response_headers if k.lower() == lowered]

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";", 1)[0].strip().lower()

    @property
    def is_json_type(self) -> bool:
        ctype = self.content_type
        return ctype == "application/json" or ctype.endswith("+json")

    def json(self) -> Any:
        """The parsed body, or None when it is not JSON (see `parses_as_json`)."""
        value = self._decode()
        return None if value is _NOT_JSON else value

    @property
    def parses_as_json(self) -> bool:
        return self._decode() is not _NOT_JSON

    def _decode(self) -> Any:
        if not self._parsed_done:
            self._parsed_done = True
            try:
                self._parsed = json.loads(self.response_body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                self._parsed = _NOT_JSON
        return self._parsed

    def data(self) -> dict[str, Any]:
        """`data` of an envelope, or an empty dict when there is none."""
        body = self.json()
        data = body.get("data") if isinstance(body, dict) else None
        return data if isinstance(data, dict) else {}

    def success(self) -> bool | None:
        body = self.json()
        value = body.get("success") if isinstance(body, dict) else None
        return value if isinstance(value, bool) else None

    def describe(self) -> str:
        """A short one-line account of the outcome, for messages."""
        if self.error is not None:
            return f"no answer ({self.error})"
        snippet = self.response_body[:120].decode("utf-8", "replace").replace("\n", " ")
        return f"HTTP {self.status} {self.content_type or 'no content type'}: {snippet!r}"
